#include "textflag.h"

// The instructions by their encodings (Arm ARM C6.2): the Go assembler's
// names for them differ between Go versions.
#define MRS_CTR_X0	WORD $0xd53b0020 // mrs x0, ctr_el0
#define DC_CVAU_X0	WORD $0xd50b7b20 // dc cvau, x0
#define IC_IVAU_X0	WORD $0xd50b7520 // ic ivau, x0
#define DSB_ISH	WORD $0xd5033b9f // dsb ish
#define ISB_SY	WORD $0xd5033fdf // isb

// func readCTR() uint64
TEXT ·readCTR(SB), NOSPLIT|NOFRAME, $0-8
	MRS_CTR_X0
	MOVD R0, ret+0(FP)
	RET

// func cleanDCache(start, end, line uintptr) uintptr
TEXT ·cleanDCache(SB), NOSPLIT|NOFRAME, $0-32
	MOVD start+0(FP), R0
	MOVD end+8(FP), R1
	MOVD line+16(FP), R2
	MOVD ZR, R3
dloop:
	DC_CVAU_X0
	ADD  $1, R3
	ADD  R2, R0
	CMP  R1, R0
	BLO  dloop
	DSB_ISH
	MOVD R3, ret+24(FP)
	RET

// func invalidateICache(start, end, line uintptr) uintptr
TEXT ·invalidateICache(SB), NOSPLIT|NOFRAME, $0-32
	MOVD start+0(FP), R0
	MOVD end+8(FP), R1
	MOVD line+16(FP), R2
	MOVD ZR, R3
iloop:
	IC_IVAU_X0
	ADD  $1, R3
	ADD  R2, R0
	CMP  R1, R0
	BLO  iloop
	DSB_ISH
	ISB_SY
	MOVD R3, ret+24(FP)
	RET

// func dsbISH()
TEXT ·dsbISH(SB), NOSPLIT|NOFRAME, $0-0
	DSB_ISH
	RET

// func dsbISHISB()
TEXT ·dsbISHISB(SB), NOSPLIT|NOFRAME, $0-0
	DSB_ISH
	ISB_SY
	RET
