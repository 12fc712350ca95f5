#include "textflag.h"

// func serialize()
//
// CPUID is serialising (Intel SDM Vol. 3 §8.3): the instructions after it are
// fetched anew. It clobbers AX, BX, CX, DX, which ABI0 allows.
TEXT ·serialize(SB), NOSPLIT|NOFRAME, $0-0
	MOVL $0, AX
	MOVL $0, CX
	CPUID
	RET
