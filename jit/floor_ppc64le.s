//go:build linux

#include "textflag.h"

// func jitfloor(fn, sp uintptr, x int64) int64
//
// The least a Go→JIT call can do (see floor.go): Go's R1 stays in R14 and
// the link register in R15, the stack switches to sp, fn runs with x in R3,
// and its R3 is the result. R0, R2, R13 and R30 (g) are untouched.
TEXT ·jitfloor(SB), NOSPLIT|NOFRAME, $0-32
	MOVD fn+0(FP), R12
	MOVD sp+8(FP), R11
	MOVD x+16(FP), R3
	MOVD R1, R14
	MOVD LR, R15
	MOVD R11, R1
	MOVD R12, CTR
	CALL (CTR)
	MOVD R15, LR
	MOVD R14, R1
	MOVD R3, ret+24(FP)
	RET
