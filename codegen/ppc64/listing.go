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
	inst, err := ppc64asm.Decode(code, binary.LittleEndian)
	if err != nil {
		return "", 0, err
	}
	text = ppc64asm.GNUSyntax(inst, pc)
	if strings.HasPrefix(text, ".long") || strings.HasPrefix(text, ".quad") {
		return "", 0, fmt.Errorf("ppc64le: invalid instruction (%s)", text)
	}
	return text, inst.Len, nil
}

// WriteListing prints blob as a listing at address base: address, bytes and
// GNU syntax per instruction, labels, and a marker before each patch site
// (see [codegen.WriteListing]).
func WriteListing(w io.Writer, blob *codegen.Blob, base uint64) error {
	return codegen.WriteListing(w, blob, base, Decode, 4, nil)
}
