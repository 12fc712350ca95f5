//go:build !linux

package membarrier

import (
	"runtime"
	"syscall"
)

// Call fails with [ErrUnsupported] without a system call: membarrier(2)
// exists on Linux only. [Query], [Register], [Barrier] and the rest check
// their arguments first, as on Linux ([ErrInvalidCmd]), then fail the same
// way.
func Call(cmd Cmd, flags Flags, cpuID int) (int, error) {
	return -1, &Error{Op: opOf(cmd), Cmd: cmd, Flags: flags, CPU: cpuID, Kind: ErrUnsupported,
		Why: "membarrier(2) is Linux only, this is " + runtime.GOOS}
}

// errnoName names an errno; off Linux no error of this package carries one.
func errnoName(e syscall.Errno) string { return e.Error() }
