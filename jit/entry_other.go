//go:build !amd64 && !ppc64le

package jit

// jitcall is never called on this GOARCH: canExecute is false and every
// path that would run machine code returns ErrUnsupported first.
func jitcall(fn uintptr, c *callCtx) { panic("BUG: jitcall on a GOARCH without a trampoline") }

func jitresume(c *callCtx) { panic("BUG: jitresume on a GOARCH without a trampoline") }

// canExecute reports that syncore cannot run machine code on this GOARCH
// (it can still compile for amd64 and ppc64le here).
const canExecute = false
