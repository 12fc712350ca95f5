//go:build linux

#include "textflag.h"

// func jitfloor(fn, sp uintptr, x int64) int64
//
// The least a Go→JIT call can do (see floor.go): Go's SP stays in X19, its
// frame pointer in X29 (unchanged) and LR in X23, the stack switches to sp,
// fn runs with x in X0, and its X0 is the result. R18, R26..R28 are
// untouched.
TEXT ·jitfloor(SB), NOSPLIT|NOFRAME, $0-32
	MOVD fn+0(FP), R16
	MOVD sp+8(FP), R17
	MOVD x+16(FP), R0
	MOVD RSP, R19
	MOVD R30, R23
	MOVD R17, RSP
	CALL (R16)
	MOVD R23, R30
	MOVD R19, RSP
	MOVD R0, ret+24(FP)
	RET
