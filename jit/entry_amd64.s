//go:build linux

#include "go_asm.h"
#include "textflag.h"

// func jitcall(c *callCtx, args *int64)
//
// Calls the machine code at c.fn on the JIT stack described by c (see
// entry.go), with c.nargs arguments loaded from args (a Go slice's
// elements, read here on the goroutine stack before the switch). ABI0, no
// frame: at entry 0(SP) is the return address into Go. Go restores R14 (g)
// and zeroes X15 after a call of an ABI0 function; RBP is saved here and
// restored. For the whole call R15 holds c, R14 the goroutine (g), R13
// the interrupt word's address, which poll points read, and R12 the poll
// budget (pollBudget in entry.go). Argument registers
// past c.nargs keep whatever they held: the callee does not read them.
TEXT ·jitcall(SB), NOSPLIT|NOFRAME, $0-16
	MOVQ c+0(FP), R15
	MOVQ args+8(FP), AX
	MOVQ SP, callCtx_savedSP(R15)
	MOVQ BP, callCtx_savedFP(R15)
	MOVQ (TLS), R14
	MOVQ callCtx_intr(R15), R13
	MOVQ $const_pollBudget, R12
	MOVQ callCtx_nargs(R15), BX
	TESTQ BX, BX
	JEQ  call
	MOVQ 0(AX), DI
	CMPQ BX, $1
	JEQ  call
	MOVQ 8(AX), SI
	CMPQ BX, $2
	JEQ  call
	MOVQ 16(AX), DX
	CMPQ BX, $3
	JEQ  call
	MOVQ 24(AX), CX
	CMPQ BX, $4
	JEQ  call
	MOVQ 32(AX), R8
	CMPQ BX, $5
	JEQ  call
	MOVQ 40(AX), R9
	CMPQ BX, $6
	JEQ  call
	MOVQ 48(AX), R10
	CMPQ BX, $7
	JEQ  call
	MOVQ 56(AX), R11

call:
	MOVQ callCtx_fn(R15), AX
	MOVQ callCtx_stackTop(R15), SP
	CALL AX
	// Normal return: result in AX, R15 still holds c. (An exit stub
	// returns straight to our caller instead.) A call continued by
	// jitresume returns here too, and goes back to jitresume's caller:
	// savedSP and savedFP are then jitresume's.
	MOVQ AX, callCtx_result(R15)
	MOVQ callCtx_savedFP(R15), BP
	MOVQ callCtx_savedSP(R15), SP
	RET

// func jitresume(c *callCtx)
//
// Continues a call that yielded (exit code exitYield): saves Go's stack and
// frame pointers anew, restores the JIT stack and frame pointer and the
// poll budget, and jumps to the resume point (which reloads the live
// registers from the frame). The code returns, yields or exits exactly as
// it would have from jitcall.
TEXT ·jitresume(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ c+0(FP), R15
	MOVQ SP, callCtx_savedSP(R15)
	MOVQ BP, callCtx_savedFP(R15)
	MOVQ (TLS), R14
	MOVQ callCtx_intr(R15), R13
	MOVQ $const_pollBudget, R12
	MOVQ $0, callCtx_exit(R15)
	MOVQ callCtx_jitFP(R15), BP
	MOVQ callCtx_resumePC(R15), BX
	MOVQ callCtx_jitSP(R15), SP
	JMP  BX
