package jit

import (
	"unsafe"
)

// The JIT calling convention (see docs/abi.md):
//
//   - Go enters machine code only through jitcall, an assembly trampoline
//     per ISA (entry_amd64.s, entry_ppc64le.s). It saves Go's stack pointer
//     (and frame pointer or link register) in the callCtx, loads the
//     arguments into the argument registers, switches to the JIT stack and
//     calls the function. The result comes back in the result register.
//   - The callCtx pointer stays in the context register for the whole call.
//     JIT code never changes it, nor the registers Go's runtime needs while a
//     signal may arrive (amd64: RSP discipline; ppc64le: R0 = 0, R1, R2, R13,
//     R30 = g).
//   - A runtime error leaves through an exit stub: it stores the exit code in
//     callCtx.exit and returns straight to jitcall's caller, restoring what
//     the trampoline saved.
//
// Register roles per ISA:
//
//	          args            result  ctx   scratch (never live across calls)
//	amd64     RDI RSI RDX RCX R8 R9 R10 R11   RAX  R15   RAX, RBX, R12-R14
//	ppc64le   R3..R10         R3      R14   R11, R12, R15-R29, R31
type callCtx struct {
	stackLimit uintptr  // lowest address the JIT stack pointer may reach
	intr       *uint32  // interrupt word polled at back-edges and calls; non-zero: stop
	base       uintptr  // executable address of the program's code blob
	exit       int64    // exit code: exitOK or the runtime error
	result     int64    // result of a normal return
	stackTop   uintptr  // initial JIT stack pointer (16-byte aligned)
	savedSP    uintptr  // Go stack pointer at entry to jitcall
	savedFP    uintptr  // amd64: Go frame pointer (RBP); ppc64le: link register
	args       [8]int64 // arguments of the entry function
}

// Offsets that the compilers use to address callCtx from machine code.
const (
	ctxStackLimit = int32(unsafe.Offsetof(callCtx{}.stackLimit))
	ctxIntr       = int32(unsafe.Offsetof(callCtx{}.intr))
	ctxBase       = int32(unsafe.Offsetof(callCtx{}.base))
	ctxExit       = int32(unsafe.Offsetof(callCtx{}.exit))
	ctxSavedSP    = int32(unsafe.Offsetof(callCtx{}.savedSP))
	ctxSavedFP    = int32(unsafe.Offsetof(callCtx{}.savedFP))
)

// Exit codes that machine code stores in callCtx.exit.
const (
	exitOK            = 0
	exitDivideByZero  = 1
	exitStackOverflow = 2
	exitInterrupted   = 3
)
