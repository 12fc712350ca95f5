#include "textflag.h"

// func serialize()
//
// ISB is a context synchronization event (Arm ARM DDI 0487, "Context
// synchronization event"): the instructions after it are fetched anew, so
// a word changed under B2.2.5 and made visible to instruction fetch by the
// writer's cache maintenance is executed in its new form. Written as its
// encoding (ISB SY), as jit/cache_arm64.s does.
TEXT ·serialize(SB), NOSPLIT|NOFRAME, $0-0
	WORD $0xd5033fdf // isb
	RET
