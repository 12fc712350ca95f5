//go:build linux

#include "go_asm.h"
#include "textflag.h"

// func jitcall(c *callCtx, args *int64)
//
// Calls the machine code at c.fn on the JIT stack described by c (see
// entry.go), with c.nargs arguments loaded from args (a Go slice's
// elements, read here on the goroutine stack before the switch) into
// X0..X7. ABI0, no frame: LR (X30) holds the return address into Go. Go's
// SP, frame pointer (X29) and LR are saved in c and restored. R18 (the
// platform register), R26, R27 and R28 (g: without cgo Go's signal handler
// takes g from it) are never written by JIT code, so a signal that arrives
// while machine code runs finds them valid. For the whole call X20 holds c,
// X21 the interrupt word's address and X22 the poll budget (pollBudget in
// entry.go).
TEXT ·jitcall(SB), NOSPLIT|NOFRAME, $0-16
	MOVD c+0(FP), R20
	MOVD args+8(FP), R16
	MOVD RSP, R17
	MOVD R17, callCtx_savedSP(R20)
	MOVD R29, callCtx_savedFP(R20)
	MOVD R30, callCtx_savedLR(R20)
	MOVD callCtx_intr(R20), R21
	MOVD $const_pollBudget, R22
	MOVD callCtx_nargs(R20), R17
	CBZ  R17, call
	MOVD 0(R16), R0
	CMP  $1, R17
	BEQ  call
	MOVD 8(R16), R1
	CMP  $2, R17
	BEQ  call
	MOVD 16(R16), R2
	CMP  $3, R17
	BEQ  call
	MOVD 24(R16), R3
	CMP  $4, R17
	BEQ  call
	MOVD 32(R16), R4
	CMP  $5, R17
	BEQ  call
	MOVD 40(R16), R5
	CMP  $6, R17
	BEQ  call
	MOVD 48(R16), R6
	CMP  $7, R17
	BEQ  call
	MOVD 56(R16), R7

call:
	MOVD callCtx_fn(R20), R16
	MOVD callCtx_stackTop(R20), R17
	MOVD R17, RSP
	CALL (R16)
	// Normal return: result in X0, X20 still holds c. A call continued by
	// jitresume returns here too, and goes back to jitresume's caller:
	// the saved registers are then jitresume's.
	MOVD R0, callCtx_result(R20)
	MOVD callCtx_savedFP(R20), R29
	MOVD callCtx_savedLR(R20), R30
	MOVD callCtx_savedSP(R20), R17
	MOVD R17, RSP
	RET

// func jitresume(c *callCtx)
//
// Continues a call that yielded (exit code exitYield): saves Go's SP, frame
// pointer and LR anew, restores the JIT stack and frame pointers and the
// poll budget, and jumps to the resume point (which reloads the live
// registers from the frame).
TEXT ·jitresume(SB), NOSPLIT|NOFRAME, $0-8
	MOVD c+0(FP), R20
	MOVD RSP, R17
	MOVD R17, callCtx_savedSP(R20)
	MOVD R29, callCtx_savedFP(R20)
	MOVD R30, callCtx_savedLR(R20)
	MOVD ZR, callCtx_exit(R20)
	MOVD callCtx_intr(R20), R21
	MOVD $const_pollBudget, R22
	MOVD callCtx_jitFP(R20), R29
	MOVD callCtx_resumePC(R20), R16
	MOVD callCtx_jitSP(R20), R17
	MOVD R17, RSP
	JMP  (R16)
