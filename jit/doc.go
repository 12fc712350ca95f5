// Package jit is syncore's runtime: it compiles jasm programs (package
// jit/jasm) to amd64, ppc64le or arm64 machine code, loads them into a W^X code
// heap and calls them from Go.
//
//	rt, err := jit.New(jit.Options{})          // registers SYNC_CORE, maps the heap, runs the probe
//	prog, err := rt.Compile("fib.jasm", src)    // parse, verify, compile, load
//	v, err := prog.Func("main").Call(30)        // 832040, or the interpreter's runtime error
//
// # What it guarantees
//
//   - Machine code and the interpreter agree on every result and every
//     runtime error (division by zero, stack overflow, interrupted): frames
//     are exactly jasm.FrameSize bytes, so both overflow the stack budget on
//     the same call. Differential tests check it on random programs.
//   - The code heap maps one memfd twice (RW for writers, RX for execution),
//     so no page is writable and executable at once and patching never takes
//     X away from running code. A coherence probe at start-up checks that
//     code written through the RW view is executed through the RX view and
//     falls back to a single RWX mapping, saying why, where it is not (as
//     under qemu-user). Info reports the mode.
//   - Machine code runs on an mmap'd stack with a guard page (prologues check
//     a limit first), never calls Go, and keeps the registers Go's signal
//     handling relies on (ppc64le: R0 = 0, R2, R13, R30 = g; arm64: R18,
//     R28 = g).
//   - One lowering driver (lower_driver.go) serves every ISA: parameters,
//     locals and the operand stack live in registers where they fit, and
//     every value is in its canonical place at each control-flow edge, so
//     compile time stays linear; each ISA supplies small hooks
//     (amd64_lower.go, ppc64le_lower.go, arm64_lower.go). docs/abi.md gives
//     the registers and frames.
//   - Loop back-edges and the entries of functions that can recurse or make
//     a patchable call poll an interrupt word (Func.Interrupt, CallContext)
//     and the goroutine's preemption request: a long-running call yields to
//     the Go scheduler, so it never holds up a garbage collection.
//   - Compile runs on any host for every ISA; only the host's ISA runs.
//
// Patch sites (pconst, pcall, guard) are compiled to code shapes that obey
// each ISA's rules for concurrent modification; package patch changes them.
// For calls in a loop, Func.NewCaller gives a goroutine its own stack and
// call context (a few nanoseconds per call).
//
// # Retiring and reclaiming code
//
// Program.Close retires a program and frees its code only when no thread
// can be running it, without stopping the world: new calls fail with
// ErrClosed, calls in flight are interrupted at their next poll point (an
// error matching ErrClosed and jasm.ErrInterrupted) or finish, and Close
// waits for a grace period. Every entry into machine code marks its call
// context with a plain store (on amd64 no fence and no atomic
// read-modify-write; on ppc64le and arm64 Go's atomic loads and stores
// around it add barriers, see reclaim.go); Close orders those marks with
// membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED),
// registered in New, and waits for every call that may have entered before
// it — the scheme of liburcu's membarrier flavour. Only then are traps
// written and the block reused (after a SYNC_CORE barrier, or membarrier
// GLOBAL without it). CloseContext bounds the wait; Info.Reclaim says which
// mechanism is in use; Options.Reclaim = ReclaimUnsafe is the negative
// control. Every store into the heap's code holds the runtime's writer lock
// (LockWrites). See reclaim.go and docs/protocols.md, "Reclaiming code".
package jit
