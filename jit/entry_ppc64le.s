//go:build linux

#include "go_asm.h"
#include "textflag.h"

// func jitcall(fn uintptr, c *callCtx)
//
// Calls machine code at fn on the JIT stack described by c (see entry.go).
// ABI0, no frame: LR holds the return address into Go. R0 (zero), R2, R13
// and R30 (g) are never written by JIT code, so a signal that arrives while
// machine code runs finds them valid (FACTS: without cgo the signal
// trampoline takes g from R30). R1 and LR are saved in c and restored. For
// the whole call R14 holds c and R15 the interrupt word's address.
TEXT ·jitcall(SB), NOSPLIT|NOFRAME, $0-16
	MOVD fn+0(FP), R12
	MOVD c+8(FP), R14
	MOVD R1, callCtx_savedSP(R14)
	MOVD LR, R15
	MOVD R15, callCtx_savedFP(R14)
	MOVD callCtx_intr(R14), R15
	MOVD callCtx_args+0(R14), R3
	MOVD callCtx_args+8(R14), R4
	MOVD callCtx_args+16(R14), R5
	MOVD callCtx_args+24(R14), R6
	MOVD callCtx_args+32(R14), R7
	MOVD callCtx_args+40(R14), R8
	MOVD callCtx_args+48(R14), R9
	MOVD callCtx_args+56(R14), R10
	MOVD callCtx_stackTop(R14), R1
	MOVD R12, CTR
	CALL (CTR)
	// Normal return: result in R3, R14 still holds c.
	MOVD R3, callCtx_result(R14)
	MOVD callCtx_savedFP(R14), R15
	MOVD R15, LR
	MOVD callCtx_savedSP(R14), R1
	RET

// func jitresume(c *callCtx)
//
// Continues a call that yielded (exit code exitYield): saves Go's R1 and LR
// anew, restores the JIT stack pointer and cached top of stack (R3), and
// jumps to the resume point.
TEXT ·jitresume(SB), NOSPLIT|NOFRAME, $0-8
	MOVD c+0(FP), R14
	MOVD R1, callCtx_savedSP(R14)
	MOVD LR, R15
	MOVD R15, callCtx_savedFP(R14)
	MOVD $0, R15
	MOVD R15, callCtx_exit(R14)
	MOVD callCtx_intr(R14), R15
	MOVD callCtx_tos(R14), R3
	MOVD callCtx_resumePC(R14), R12
	MOVD callCtx_jitSP(R14), R1
	MOVD R12, CTR
	JMP  (CTR)
