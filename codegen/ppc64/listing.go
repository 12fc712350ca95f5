package ppc64

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"golang.org/x/arch/ppc64/ppc64asm"

	"github.com/syncore/syncore/codegen"
)

// Decode decodes the instruction at the start of code, placed at address pc,
// with golang.org/x/arch/ppc64asm (little-endian) and returns its GNU syntax
// and length. It is a [codegen.Decoder]. A word that is not a valid
// instruction is an error, including one the decoder accepts but can only
// print as data (".long", e.g. the zero word), so a listing marks it bad.
func Decode(code []byte, pc uint64) (text string, n int, err error) {
	return decode(code, pc, nil)
}

// DecodeSym returns Decode with branch targets named by sym (the symbol
// containing addr and its address, or "" for none): "bl fib" instead of
// "bl 0x40". (ppc64asm's GNU syntax has no symbol hook, so the target's
// address is replaced in the text.)
func DecodeSym(sym func(addr uint64) (name string, base uint64)) codegen.Decoder {
	return func(code []byte, pc uint64) (string, int, error) { return decode(code, pc, sym) }
}

func decode(code []byte, pc uint64, sym func(uint64) (string, uint64)) (text string, n int, err error) {
	inst, err := ppc64asm.Decode(code, binary.LittleEndian)
	if err != nil {
		return "", 0, err
	}
	text = ppc64asm.GNUSyntax(inst, pc)
	if strings.HasPrefix(text, ".long") || strings.HasPrefix(text, ".quad") {
		return "", 0, fmt.Errorf("ppc64le: invalid instruction (%s)", text)
	}
	if sym != nil {
		for _, a := range inst.Args {
			rel, ok := a.(ppc64asm.PCRel)
			if !ok {
				continue
			}
			target := pc + uint64(int64(rel))
			name, base := sym(target)
			if name == "" {
				break
			}
			if target != base {
				name += fmt.Sprintf("+%#x", target-base)
			}
			hex := fmt.Sprintf("%#x", target)
			if i := strings.LastIndex(text, hex); i >= 0 {
				text = text[:i] + name + text[i+len(hex):]
			}
			break
		}
	}
	return text, inst.Len, nil
}

// WriteListing prints blob as a listing at address base: address, bytes and
// GNU syntax per instruction, labels, and a marker before each patch site
// (see [codegen.WriteListing]).
func WriteListing(w io.Writer, blob *codegen.Blob, base uint64) error {
	return codegen.WriteListing(w, blob, base, Decode, 4, nil)
}
