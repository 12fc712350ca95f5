#include "textflag.h"

// See ops.go.

TEXT ·load32(SB), NOSPLIT|NOFRAME, $0-12
	MOVD addr+0(FP), R0
	MOVWU (R0), R0
	MOVW R0, ret+8(FP)
	RET

TEXT ·load64(SB), NOSPLIT|NOFRAME, $0-16
	MOVD addr+0(FP), R0
	MOVD (R0), R0
	MOVD R0, ret+8(FP)
	RET

TEXT ·store8(SB), NOSPLIT|NOFRAME, $0-9
	MOVD addr+0(FP), R0
	MOVBU v+8(FP), R1
	MOVB R1, (R0)
	RET

TEXT ·store32(SB), NOSPLIT|NOFRAME, $0-12
	MOVD addr+0(FP), R0
	MOVWU v+8(FP), R1
	MOVW R1, (R0)
	RET

TEXT ·store64(SB), NOSPLIT|NOFRAME, $0-16
	MOVD addr+0(FP), R0
	MOVD v+8(FP), R1
	MOVD R1, (R0)
	RET

// LDAR: an acquire, not a context synchronization event.
TEXT ·loadAcquire(SB), NOSPLIT|NOFRAME, $0-16
	MOVD p+0(FP), R0
	LDAR (R0), R0
	MOVD R0, ret+8(FP)
	RET

// STLR: a release; earlier stores (code stores included) first.
TEXT ·storeRelease(SB), NOSPLIT|NOFRAME, $0-16
	MOVD p+0(FP), R0
	MOVD v+8(FP), R1
	STLR R1, (R0)
	RET

// ISB, written as its encoding (ISB SY) as jit/cache_arm64.s does.
TEXT ·serialise(SB), NOSPLIT|NOFRAME, $0-0
	WORD $0xd5033fdf
	RET

TEXT ·spin(SB), NOSPLIT|NOFRAME, $0-8
	MOVD n+0(FP), R0
	CBZ R0, done
loop:
	SUB $1, R0
	CBNZ R0, loop
done:
	RET
