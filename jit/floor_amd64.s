//go:build linux

#include "textflag.h"

// func jitfloor(fn, sp uintptr, x int64) int64
//
// The least a Go→JIT call can do (see floor.go): Go's stack pointer stays in
// R12, RBP is left alone (fn keeps it), the stack switches to sp, fn runs
// with x in RDI, and its RAX is the result.
TEXT ·jitfloor(SB), NOSPLIT|NOFRAME, $0-32
	MOVQ fn+0(FP), AX
	MOVQ sp+8(FP), BX
	MOVQ x+16(FP), DI
	MOVQ SP, R12
	MOVQ BX, SP
	CALL AX
	MOVQ R12, SP
	MOVQ AX, ret+24(FP)
	RET
