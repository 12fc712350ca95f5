package amd64

import (
	"errors"
	"io"
	"strings"

	"golang.org/x/arch/x86/x86asm"

	"github.com/syncore/syncore/codegen"
)

// errNotInstruction reports bytes that x86asm decodes but can only print as
// data or "(bad)".
var errNotInstruction = errors.New("amd64: not a valid instruction")

// Decode decodes the instruction at the start of code, placed at address pc,
// in 64-bit mode and returns its GNU (AT&T) syntax as objdump prints it
// (golang.org/x/arch/x86/x86asm), with branch targets as absolute addresses,
// and its length. It matches [codegen.Decoder]. Bytes that do not decode, or
// that x86asm can only print as data, are an error.
func Decode(code []byte, pc uint64) (text string, n int, err error) {
	return decode(code, pc, nil)
}

// DecodeSym returns Decode with branch and call targets named by sym
// (x/arch's symbol lookup: the symbol containing addr and its address, or
// "" for none): "call fib" instead of "call 0x40".
func DecodeSym(sym func(addr uint64) (name string, base uint64)) codegen.Decoder {
	return func(code []byte, pc uint64) (string, int, error) { return decode(code, pc, sym) }
}

func decode(code []byte, pc uint64, sym x86asm.SymLookup) (text string, n int, err error) {
	inst, err := x86asm.Decode(code, 64)
	if err != nil {
		return "", 0, err
	}
	if inst.Op == 0 {
		// x86asm returns a bare prefix (e.g. "rex.w") for truncated input.
		return "", 0, x86asm.ErrTruncated
	}
	text = x86asm.GNUSyntax(inst, pc, sym)
	if strings.HasPrefix(text, ".") || strings.Contains(text, "(bad)") {
		return "", 0, errNotInstruction
	}
	return text, inst.Len, nil
}

// WriteListing prints bl, placed at address base, one instruction per line
// (address, bytes, GNU syntax) with patch sites marked; see
// [codegen.WriteListing].
func WriteListing(w io.Writer, bl *codegen.Blob, base uint64) error {
	return codegen.WriteListing(w, bl, base, Decode, 1, nil)
}
