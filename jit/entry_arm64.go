//go:build linux

package jit

// jitcall calls the machine code at c.fn with the c.nargs arguments at
// args (nil when there are none) on the JIT stack described by c; see
// entry_arm64.s and the calling convention in entry.go.
//
//go:noescape
func jitcall(c *callCtx, args *int64)

// jitresume continues a call that yielded; see the .s file.
//
//go:noescape
func jitresume(c *callCtx)

// canExecute reports that this platform can run the code syncore emits
// (the trampolines are built for Linux only: the runtime maps its memory with
// Linux calls, mem_linux.go).
const canExecute = true
