package arm64

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"golang.org/x/arch/arm64/arm64asm"

	"github.com/syncore/syncore/codegen"
)

// Decode decodes the instruction at the start of code, placed at address pc,
// with golang.org/x/arch/arm64/arm64asm and returns its GNU syntax and
// length (always 4). It is a [codegen.Decoder]. PC-relative targets are
// printed as absolute addresses ("b 0x108"), as objdump prints them. The
// SYS instructions arm64asm does not know (IC IVAU, IC IALLU, IC IALLUIS,
// and the plain SYS form) are decoded here. A word that is not an allocated
// instruction (the zero word, for one) is an error, so a listing marks it
// bad.
func Decode(code []byte, pc uint64) (text string, n int, err error) {
	return decode(code, pc, nil)
}

// DecodeSym returns Decode with branch targets named by sym (the symbol
// containing addr and its address, or "" for none): "bl fib" instead of
// "bl 0x40".
func DecodeSym(sym func(addr uint64) (name string, base uint64)) codegen.Decoder {
	return func(code []byte, pc uint64) (string, int, error) { return decode(code, pc, sym) }
}

func decode(code []byte, pc uint64, sym func(uint64) (string, uint64)) (text string, n int, err error) {
	if len(code) < 4 {
		return "", 0, fmt.Errorf("arm64: truncated instruction (%d bytes)", len(code))
	}
	inst, err := arm64asm.Decode(code[:4])
	if err != nil {
		if text, ok := decodeSys(binary.LittleEndian.Uint32(code)); ok {
			return text, 4, nil
		}
		return "", 0, fmt.Errorf("arm64: %w", err)
	}
	text = strings.TrimSpace(arm64asm.GNUSyntax(inst)) // "nop " has a trailing space
	for _, a := range inst.Args {
		rel, ok := a.(arm64asm.PCRel)
		if !ok {
			continue
		}
		target := pc + uint64(int64(rel))
		repl := fmt.Sprintf("%#x", target)
		if sym != nil {
			if name, base := sym(target); name != "" {
				repl = name
				if target != base {
					repl += fmt.Sprintf("+%#x", target-base)
				}
			}
		}
		text = strings.Replace(text, strings.ToLower(rel.String()), repl, 1)
		break
	}
	return text, 4, nil
}

// WriteListing prints blob as a listing at address base: address, bytes and
// GNU syntax per instruction, labels, and a marker before each patch site
// (see [codegen.WriteListing]).
func WriteListing(w io.Writer, blob *codegen.Blob, base uint64) error {
	return codegen.WriteListing(w, blob, base, Decode, 4, nil)
}

// decodeSys decodes a SYS word (op0 = 1, L = 0): the instruction-cache
// maintenance aliases by name, anything else as SYS (Arm ARM C6.2, SYS).
func decodeSys(w uint32) (string, bool) {
	if w&0xfff80000 != opSYS {
		return "", false
	}
	op1, crn, crm, op2, rt := w>>16&7, w>>12&15, w>>8&15, w>>5&7, Reg(w&31)
	switch {
	case op1 == 3 && crn == 7 && crm == 5 && op2 == 1:
		return "ic ivau, " + rt.String(), true
	case op1 == 0 && crn == 7 && crm == 5 && op2 == 0 && rt == ZR:
		return "ic iallu", true
	case op1 == 0 && crn == 7 && crm == 1 && op2 == 0 && rt == ZR:
		return "ic ialluis", true
	case rt == ZR:
		return fmt.Sprintf("sys #%d, c%d, c%d, #%d", op1, crn, crm, op2), true
	}
	return fmt.Sprintf("sys #%d, c%d, c%d, #%d, %v", op1, crn, crm, op2, rt), true
}
