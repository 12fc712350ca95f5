package codegen

import (
	"encoding/binary"
	"fmt"
)

// RefKind names an ISA-specific form of label reference (e.g. amd64 "jcc",
// ppc64 "bc"); its meaning belongs to the [Arch] that emitted it.
type RefKind uint16

// Ref is a label reference as the [Arch] sees it during layout: a branch or
// other field whose bytes depend on the distance from the reference to a label.
type Ref struct {
	Kind RefKind // the ISA's form
	Aux  uint32  // ISA-specific operand bits (condition code, register...)
	Long bool    // the long form is chosen (set by layout or by the emitter)
	Site bool    // a patch site: the form is fixed, never relaxed
	// Anchor, when not zero, makes the reference encode the distance from
	// the Anchor label to the target label (e.g. a ppc64 load at a fixed
	// displacement from a base register that holds the anchor's address)
	// instead of a PC-relative one: layout then passes to = offset(target) -
	// offset(anchor) to Reaches and EncodeRef.
	Anchor Label
}

// Arch is what the layout needs from an ISA. Implementations are stateless
// values; codegen/amd64, codegen/ppc64 and codegen/arm64 provide one each.
type Arch interface {
	// Name is the GOARCH-style name, e.g. "amd64" or "ppc64le".
	Name() string
	// InstAlign is the alignment of every instruction (1 on amd64, 4 on
	// ppc64 and arm64). [Buffer.Finish] refuses a buffer whose length, or
	// the position of a label, site, reference or alignment, is not a
	// multiple of it.
	InstAlign() int
	// RefSize returns the size in bytes of r in its current form (r.Long).
	RefSize(r Ref) int
	// HasLong reports whether r's form has a longer form to relax into.
	HasLong(r Ref) bool
	// Reaches reports whether r in its current form, placed at offset at
	// (its first byte), can encode target to: the target's offset, or for an
	// anchored reference the target's distance from the anchor.
	Reaches(r Ref, at, to int) bool
	// EncodeRef appends the bytes of r placed at offset at with target to
	// (as for Reaches); it must append exactly RefSize(r) bytes.
	EncodeRef(dst []byte, r Ref, at, to int) []byte
	// Pad appends n bytes of the ISA's canonical nops (n is a multiple of
	// InstAlign). Nops must be safe to execute and decode as whole instructions.
	Pad(dst []byte, n int) []byte
}

// PadWords appends n bytes of padding made of the 4-byte instruction word
// word, little-endian, repeated: the [Arch.Pad] of an ISA whose
// instructions are aligned 32-bit words and whose canonical nop is word
// (ppc64le, arm64). n must be a multiple of 4, which [Buffer.Finish]
// ensures for such an ISA (InstAlign 4); PadWords panics otherwise.
func PadWords(dst []byte, n int, word uint32) []byte {
	if n < 0 || n%4 != 0 {
		panic(fmt.Sprintf("BUG: codegen.PadWords: %d bytes is not a whole number of 4-byte words", n))
	}
	for ; n > 0; n -= 4 {
		dst = binary.LittleEndian.AppendUint32(dst, word)
	}
	return dst
}
