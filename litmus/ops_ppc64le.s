#include "textflag.h"

// See ops.go.

TEXT ·load32(SB), NOSPLIT|NOFRAME, $0-12
	MOVD addr+0(FP), R3
	MOVWZ 0(R3), R3
	MOVW R3, ret+8(FP)
	RET

TEXT ·load64(SB), NOSPLIT|NOFRAME, $0-16
	MOVD addr+0(FP), R3
	MOVD 0(R3), R3
	MOVD R3, ret+8(FP)
	RET

TEXT ·store8(SB), NOSPLIT|NOFRAME, $0-9
	MOVD addr+0(FP), R3
	MOVBZ v+8(FP), R4
	MOVB R4, 0(R3)
	RET

TEXT ·store32(SB), NOSPLIT|NOFRAME, $0-12
	MOVD addr+0(FP), R3
	MOVWZ v+8(FP), R4
	MOVW R4, 0(R3)
	RET

TEXT ·store64(SB), NOSPLIT|NOFRAME, $0-16
	MOVD addr+0(FP), R3
	MOVD v+8(FP), R4
	MOVD R4, 0(R3)
	RET

// ld; lwsync: later loads and stores wait for the load (an acquire), with
// no isync: not context-synchronising.
TEXT ·loadAcquire(SB), NOSPLIT|NOFRAME, $0-16
	MOVD p+0(FP), R3
	MOVD 0(R3), R3
	LWSYNC
	MOVD R3, ret+8(FP)
	RET

// lwsync; std: earlier loads and stores (code stores included) first.
TEXT ·storeRelease(SB), NOSPLIT|NOFRAME, $0-16
	MOVD p+0(FP), R3
	MOVD v+8(FP), R4
	LWSYNC
	MOVD R4, 0(R3)
	RET

TEXT ·serialise(SB), NOSPLIT|NOFRAME, $0-0
	ISYNC
	RET

TEXT ·spin(SB), NOSPLIT|NOFRAME, $0-8
	MOVD n+0(FP), R3
	CMP R3, $0
	BEQ done
loop:
	ADD $-1, R3
	CMP R3, $0
	BNE loop
done:
	RET
