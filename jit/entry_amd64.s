//go:build linux

#include "go_asm.h"
#include "textflag.h"

// func jitcall(fn uintptr, c *callCtx)
//
// Calls machine code at fn on the JIT stack described by c (see entry.go).
// ABI0, no frame: at entry 0(SP) is the return address into Go. The Go ABI
// wrapper that calls an ABI0 function restores R14 (g) and zeroes X15 on the
// way back; RBP is saved here and restored. For the whole call R15 holds c,
// R14 the goroutine (g) and R13 the interrupt word's address, which poll
// points read.
TEXT ·jitcall(SB), NOSPLIT|NOFRAME, $0-16
	MOVQ fn+0(FP), AX
	MOVQ c+8(FP), R15
	MOVQ SP, callCtx_savedSP(R15)
	MOVQ BP, callCtx_savedFP(R15)
	MOVQ (TLS), R14
	MOVQ R14, callCtx_g(R15)
	MOVQ callCtx_intr(R15), R13
	MOVQ callCtx_args+0(R15), DI
	MOVQ callCtx_args+8(R15), SI
	MOVQ callCtx_args+16(R15), DX
	MOVQ callCtx_args+24(R15), CX
	MOVQ callCtx_args+32(R15), R8
	MOVQ callCtx_args+40(R15), R9
	MOVQ callCtx_args+48(R15), R10
	MOVQ callCtx_args+56(R15), R11
	MOVQ callCtx_stackTop(R15), SP
	CALL AX
	// Normal return: result in AX, R15 still holds c. (An exit stub
	// returns straight to our caller instead.)
	MOVQ AX, callCtx_result(R15)
	MOVQ callCtx_savedFP(R15), BP
	MOVQ callCtx_savedSP(R15), SP
	RET

// func jitresume(c *callCtx)
//
// Continues a call that yielded (exit code exitYield): saves Go's stack and
// frame pointers anew, restores the JIT stack, frame pointer and cached top
// of stack, and jumps to the resume point. The code returns, yields or
// exits exactly as it would have from jitcall.
TEXT ·jitresume(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ c+0(FP), R15
	MOVQ SP, callCtx_savedSP(R15)
	MOVQ BP, callCtx_savedFP(R15)
	MOVQ (TLS), R14
	MOVQ R14, callCtx_g(R15)
	MOVQ callCtx_intr(R15), R13
	MOVQ $0, callCtx_exit(R15)
	MOVQ callCtx_tos(R15), AX
	MOVQ callCtx_jitFP(R15), BP
	MOVQ callCtx_resumePC(R15), BX
	MOVQ callCtx_jitSP(R15), SP
	JMP  BX
