//go:build !linux

package seccomp

import (
	"fmt"
	"runtime"
	"syscall"
)

// DenyMembarrier needs Linux; elsewhere it returns an error matching
// [ErrUnavailable].
func DenyMembarrier(errno syscall.Errno) error {
	return fmt.Errorf("seccomp: deny membarrier with %v: %w (no seccomp on %s)", errno, ErrUnavailable, runtime.GOOS)
}
