//go:build !linux || !(amd64 || ppc64le)

package jit

// jitcall is never called on this platform: canExecute is false and every
// path that would run machine code returns ErrUnsupported first.
func jitcall(c *callCtx, args *int64) { panic("BUG: jitcall on a platform without a trampoline") }

func jitresume(c *callCtx) { panic("BUG: jitresume on a platform without a trampoline") }

// canExecute reports that syncore cannot run machine code here: it needs
// Linux on amd64 or ppc64le (it can still compile and list code for both ISAs
// here).
const canExecute = false
