package jit

import (
	"unsafe"
)

// The JIT calling convention (see docs/abi.md):
//
//   - Go enters machine code only through jitcall, an assembly trampoline
//     per ISA (entry_amd64.s, entry_ppc64le.s, entry_arm64.s). It saves Go's stack pointer
//     (and frame pointer or link register) in the callCtx, loads the
//     arguments (callCtx.nargs of them, straight from the caller's slice)
//     into the argument registers, switches to the JIT stack and calls
//     callCtx.fn. The result comes back in the result register, which the
//     trampoline stores in callCtx.result.
//   - The callCtx pointer stays in the context register for the whole call.
//     JIT code never changes it, nor the registers Go's runtime needs while a
//     signal may arrive (amd64: RSP discipline; ppc64le: R0 = 0, R1, R2, R13,
//     R30 = g; arm64: X18, X26, X27, X28 = g, SP discipline).
//   - A runtime error leaves through an exit stub: it stores the exit code in
//     callCtx.exit and returns straight to jitcall's caller, restoring what
//     the trampoline saved.
//   - A poll point that finds a preemption request yields (see below); Go
//     continues the call with jitresume, which also re-saves Go's stack
//     pointer (the goroutine stack may have moved meanwhile).
//
// Register roles per ISA:
//
//	          args                            result  ctx  interrupt word  g     poll budget  pool (lower_driver.go)
//	amd64     RDI RSI RDX RCX R8 R9 R10 R11   RAX     R15  R13             R14   R12          RBX RSI RDI R8..R11
//	ppc64le   R3..R10                         R3      R14  R15             R30   R29          R16..R28
//	arm64     X0..X7                          X0      X20  X21             X28   X22          X9..X15 X19 X23..X25
//
// Go keeps exit at exitOK between calls: machine code stores only the codes
// of other exits, and whoever reads one of those resets it (jitresume
// resets it itself), so a call needs no store to clear it first.
type callCtx struct {
	stackLimit uintptr // lowest address the JIT stack pointer may reach
	intr       uintptr // address of the interrupt word polled at back-edges and calls (non-zero: stop); the Go caller keeps the word alive
	base       uintptr // executable address of the program's code blob
	exit       int64   // exit code: exitOK or the runtime error
	result     int64   // result of a normal return
	stackTop   uintptr // initial JIT stack pointer (16-byte aligned)
	savedSP    uintptr // Go stack pointer at entry to jitcall
	savedFP    uintptr // amd64, arm64: Go frame pointer (RBP, X29); ppc64le: link register
	savedLR    uintptr // arm64: the link register into Go
	fn         uintptr // the machine code jitcall calls
	nargs      int64   // how many arguments jitcall loads (0..8)

	// Cooperative preemption (see yield below). Polls read the goroutine's
	// stackguard0 through the g register: amd64 R14, which jitcall and
	// jitresume load from TLS; ppc64le R30 and arm64 X28, Go's own, which
	// nothing changes.
	resumePC uintptr // where a yielded call continues
	jitSP    uintptr // JIT stack pointer of a yielded call
	jitFP    uintptr // amd64, arm64: its frame pointer (RBP, X29)

	// faultPC identifies the check that sent a call to an exit stub: the
	// address of the check's out-of-line stub (amd64: its first byte;
	// ppc64le, arm64: the return address of its bl). Code.Lines maps it to the
	// jasm instruction.
	faultPC uintptr
}

// Offsets that the compilers use to address callCtx from machine code.
const (
	ctxStackLimit = int32(unsafe.Offsetof(callCtx{}.stackLimit))
	ctxBase       = int32(unsafe.Offsetof(callCtx{}.base))
	ctxExit       = int32(unsafe.Offsetof(callCtx{}.exit))
	ctxSavedSP    = int32(unsafe.Offsetof(callCtx{}.savedSP))
	ctxSavedFP    = int32(unsafe.Offsetof(callCtx{}.savedFP))
	ctxSavedLR    = int32(unsafe.Offsetof(callCtx{}.savedLR))
	ctxResumePC   = int32(unsafe.Offsetof(callCtx{}.resumePC))
	ctxJitSP      = int32(unsafe.Offsetof(callCtx{}.jitSP))
	ctxJitFP      = int32(unsafe.Offsetof(callCtx{}.jitFP))
	ctxFaultPC    = int32(unsafe.Offsetof(callCtx{}.faultPC))
)

// Yielding. Machine code is not preemptible by the Go scheduler: a signal
// that lands in JIT code is ignored (runtime.isAsyncSafePoint refuses a PC
// that is not Go), so a long JIT loop would hold up every stop-the-world
// (a GC) for as long as it runs, and deadlock it if the loop waits for
// another goroutine. So poll points (loop back-edges, and the entries of
// functions on a call cycle) also read the goroutine's stackguard0, once the
// poll budget below has run out, which the runtime sets
// to stackPreempt whenever it wants this goroutine to stop (the same word
// Go functions check in their prologues). When it is set, an out-of-line
// path stores the registers live there in their frame slots, leaves the
// resume address and the JIT stack (and frame) pointer in callCtx and
// returns to jitcall's caller with exitYield; Go then calls runtime.Gosched (a safe point) and jitresume
// continues the code where it left off, on its own stack, which the Go
// runtime never moves.
const (
	// gStackguard0 is the offset of stackguard0 in the runtime's g (after
	// stack.lo and stack.hi); it has not changed since Go 1.4.
	gStackguard0 = 16
	// stackPreempt is the value the runtime stores in stackguard0 to
	// request preemption (runtime/stack.go: uintptrMask & -1314).
	stackPreempt = -1314
	// pollBudget is how many poll points compiled code passes between two
	// reads of the interrupt word and stackguard0: every poll point
	// decrements a register (amd64 R12, ppc64le R29, arm64 X22) that jitcall and
	// jitresume set to it, and checks only when it reaches zero, then sets
	// it again. A poll costs one decrement and branch; an interrupt or a
	// preemption request waits at most this many back-edges or recursive
	// calls (about a microsecond of a tight loop), and a call that passes
	// fewer poll points than this never sees an Interrupt
	// (TestPollBudget).
	pollBudget = 1024
)

// Exit codes that machine code stores in callCtx.exit.
const (
	exitOK            = 0
	exitDivideByZero  = 1
	exitStackOverflow = 2
	exitInterrupted   = 3
	exitYield         = 4
)
