#include "textflag.h"

// func flushICache(rw, rx, lines, line uintptr)
TEXT ·flushICache(SB), NOSPLIT|NOFRAME, $0-32
	MOVD rw+0(FP), R3
	MOVD rx+8(FP), R4
	MOVD lines+16(FP), R5
	MOVD line+24(FP), R6
	MOVD R5, CTR
dloop:
	DCBST (R3)
	ADD  R6, R3
	BDNZ dloop
	SYNC
	MOVD R5, CTR
iloop:
	ICBI (R4)
	ADD  R6, R4
	BDNZ iloop
	SYNC
	ISYNC
	RET
