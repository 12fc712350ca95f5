//go:build linux

#include "go_asm.h"
#include "textflag.h"

// func jitcall(c *callCtx, args *int64)
//
// Calls the machine code at c.fn on the JIT stack described by c (see
// entry.go), with c.nargs arguments loaded from args (a Go slice's
// elements, read here on the goroutine stack before the switch). ABI0, no
// frame: LR holds the return address into Go. R0 (zero), R2, R13 and R30
// (g) are never written by JIT code, so a signal that arrives while machine
// code runs finds them valid (FACTS: without cgo the signal trampoline
// takes g from R30). R1 and LR are saved in c and restored. For the whole
// call R14 holds c, R15 the interrupt word's address and R29 the poll
// budget (pollBudget in entry.go); R12 holds the
// callee's address at its entry. Argument registers past c.nargs keep
// whatever they held: the callee does not read them.
TEXT ·jitcall(SB), NOSPLIT|NOFRAME, $0-16
	MOVD c+0(FP), R14
	MOVD args+8(FP), R11
	MOVD R1, callCtx_savedSP(R14)
	MOVD LR, R12
	MOVD R12, callCtx_savedFP(R14)
	MOVD callCtx_intr(R14), R15
	MOVD $const_pollBudget, R29
	MOVD callCtx_nargs(R14), R12
	CMP  R12, $0
	BEQ  call
	MOVD 0(R11), R3
	CMP  R12, $1
	BEQ  call
	MOVD 8(R11), R4
	CMP  R12, $2
	BEQ  call
	MOVD 16(R11), R5
	CMP  R12, $3
	BEQ  call
	MOVD 24(R11), R6
	CMP  R12, $4
	BEQ  call
	MOVD 32(R11), R7
	CMP  R12, $5
	BEQ  call
	MOVD 40(R11), R8
	CMP  R12, $6
	BEQ  call
	MOVD 48(R11), R9
	CMP  R12, $7
	BEQ  call
	MOVD 56(R11), R10

call:
	MOVD callCtx_fn(R14), R12
	MOVD callCtx_stackTop(R14), R1
	MOVD R12, CTR
	CALL (CTR)
	// Normal return: result in R3, R14 still holds c. A call continued by
	// jitresume returns here too, and goes back to jitresume's caller:
	// savedSP and savedFP are then jitresume's.
	MOVD R3, callCtx_result(R14)
	MOVD callCtx_savedFP(R14), R15
	MOVD R15, LR
	MOVD callCtx_savedSP(R14), R1
	RET

// func jitresume(c *callCtx)
//
// Continues a call that yielded (exit code exitYield): saves Go's R1 and LR
// anew, restores the JIT stack pointer and the poll budget, and jumps to
// the resume point (which reloads the live registers from the frame).
TEXT ·jitresume(SB), NOSPLIT|NOFRAME, $0-8
	MOVD c+0(FP), R14
	MOVD R1, callCtx_savedSP(R14)
	MOVD LR, R15
	MOVD R15, callCtx_savedFP(R14)
	MOVD $0, R15
	MOVD R15, callCtx_exit(R14)
	MOVD callCtx_intr(R14), R15
	MOVD $const_pollBudget, R29
	MOVD callCtx_resumePC(R14), R12
	MOVD callCtx_jitSP(R14), R1
	MOVD R12, CTR
	JMP  (CTR)
