#include "textflag.h"

// See ops.go.

TEXT ·load32(SB), NOSPLIT, $0-12
	MOVQ addr+0(FP), AX
	MOVL (AX), AX
	MOVL AX, ret+8(FP)
	RET

TEXT ·load64(SB), NOSPLIT, $0-16
	MOVQ addr+0(FP), AX
	MOVQ (AX), AX
	MOVQ AX, ret+8(FP)
	RET

TEXT ·store8(SB), NOSPLIT, $0-9
	MOVQ addr+0(FP), AX
	MOVB v+8(FP), BX
	MOVB BX, (AX)
	RET

TEXT ·store32(SB), NOSPLIT, $0-12
	MOVQ addr+0(FP), AX
	MOVL v+8(FP), BX
	MOVL BX, (AX)
	RET

TEXT ·store64(SB), NOSPLIT, $0-16
	MOVQ addr+0(FP), AX
	MOVQ v+8(FP), BX
	MOVQ BX, (AX)
	RET

// x86 is TSO: a plain load is an acquire, a plain store a release.
TEXT ·loadAcquire(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), AX
	MOVQ (AX), AX
	MOVQ AX, ret+8(FP)
	RET

TEXT ·storeRelease(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), AX
	MOVQ v+8(FP), BX
	MOVQ BX, (AX)
	RET

// CPUID (leaf 0) is serialising; it writes AX, BX, CX, DX, which ABI0
// allows.
TEXT ·serialise(SB), NOSPLIT, $0-0
	MOVL $0, AX
	MOVL $0, CX
	CPUID
	RET

TEXT ·spin(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	TESTQ CX, CX
	JEQ done
loop:
	DECQ CX
	JNE loop
done:
	RET
