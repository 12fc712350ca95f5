#include "textflag.h"

// func serialize()
//
// isync is context-synchronising (Power ISA Book I §1.7.1): instructions
// after it are fetched anew, in the context it establishes.
TEXT ·serialize(SB), NOSPLIT|NOFRAME, $0-0
	ISYNC
	RET
