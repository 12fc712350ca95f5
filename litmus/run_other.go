//go:build !linux || !(amd64 || arm64 || ppc64le)

package litmus

import (
	"context"

	"github.com/syncore/syncore/jit"
)

// ChildMain does nothing where no JIT code runs.
func ChildMain() {}

func runInProcess(context.Context, *Test, *space, *Result, jit.HeapMode, Options) error {
	return ErrUnsupported
}

func runChildren(context.Context, *Test, *space, *Result, jit.HeapMode, Options) error {
	return ErrUnsupported
}
