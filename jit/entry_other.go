//go:build !linux || !(amd64 || ppc64le || arm64)

package jit

// jitcall is never called on this platform: canExecute is false and every
// path that would run machine code returns ErrUnsupported first.
func jitcall(c *callCtx, args *int64) { panic("BUG: jitcall on a platform without a trampoline") }

func jitresume(c *callCtx) { panic("BUG: jitresume on a platform without a trampoline") }

// canExecute reports that syncore cannot run machine code here: it needs
// Linux on amd64, ppc64le or arm64 (it can still compile and list code for every ISA
// here).
const canExecute = false
