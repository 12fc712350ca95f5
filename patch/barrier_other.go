//go:build !linux

package patch

import (
	"fmt"

	"github.com/syncore/syncore/jit"
)

// mapPage fails off Linux: the MProtect barrier rests on how Linux shoots
// down TLB entries, and nothing here runs JIT code (jit.Supported says why).
func mapPage() ([]byte, error) {
	return nil, fmt.Errorf("mprotect barrier: %w", jit.Supported())
}

func protect(page []byte, writable bool) error {
	return fmt.Errorf("mprotect barrier: %w", jit.Supported())
}
