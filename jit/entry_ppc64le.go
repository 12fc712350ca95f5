package jit

// jitcall calls machine code at fn on the JIT stack described by c; see
// entry_ppc64le.s and the calling convention in entry.go.
//
//go:noescape
func jitcall(fn uintptr, c *callCtx)

// jitresume continues a call that yielded; see the .s file.
//
//go:noescape
func jitresume(c *callCtx)

// canExecute reports that this GOARCH can run the code syncore emits.
const canExecute = true
