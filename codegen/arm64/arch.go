package arm64

import (
	"encoding/binary"
	"fmt"

	"github.com/syncore/syncore/codegen"
)

// Arch is the [codegen.Arch] of arm64: 4-byte instructions, NOP padding,
// and the label references below.
type Arch struct{}

var _ codegen.Arch = Arch{}

// Label-reference forms (codegen.RefKind values of this Arch).
const (
	// RefB is B/BL (Aux bit 0: link): 4 bytes, ±128 MiB, no long form.
	RefB codegen.RefKind = iota + 1
	// RefBcond is B.cond (Aux: a Cond other than AL): 4 bytes and ±1 MiB;
	// its long form is B.!cond .+8; B target (8 bytes, ±128 MiB).
	RefBcond
	// RefCbz is CBZ or CBNZ (Aux: the register, plus auxNot for CBNZ):
	// 4 bytes and ±1 MiB; its long form is the opposite test over a B
	// (8 bytes, ±128 MiB).
	RefCbz
	// RefTbz is TBZ or TBNZ (Aux: the register, the bit number << 6, plus
	// auxNot for TBNZ): 4 bytes and ±32 KiB; its long form is the opposite
	// test over a B (8 bytes, ±128 MiB).
	RefTbz
	// RefAdr is ADR (Aux: the register): 4 bytes, ±1 MiB, no long form.
	RefAdr
	// RefLdrLit is LDR (literal), 64-bit (Aux: the register): 4 bytes,
	// ±1 MiB, no long form.
	RefLdrLit
	// RefGuard is a guard site: NOP (4 bytes) whose armed form is B target;
	// it is out of range when that B could not reach.
	RefGuard
)

const (
	auxLink = 1      // RefB: BL
	auxNot  = 1 << 5 // RefCbz, RefTbz: CBNZ, TBNZ
)

// Name returns "arm64".
func (Arch) Name() string { return "arm64" }

// InstAlign returns 4.
func (Arch) InstAlign() int { return 4 }

func hasLongForm(k codegen.RefKind) bool { return k == RefBcond || k == RefCbz || k == RefTbz }

// RefSize returns 4 for a short form and 8 for a long one.
func (Arch) RefSize(r codegen.Ref) int {
	if r.Long && hasLongForm(r.Kind) {
		return 8
	}
	return 4
}

// HasLong reports whether r is a short B.cond, CBZ/CBNZ or TBZ/TBNZ.
func (Arch) HasLong(r codegen.Ref) bool { return !r.Long && hasLongForm(r.Kind) }

// Reaches reports whether r placed at at can encode to.
func (Arch) Reaches(r codegen.Ref, at, to int) bool {
	d := int64(to) - int64(at)
	switch r.Kind {
	case RefB, RefGuard:
		return fitsB(d)
	case RefBcond, RefCbz, RefTbz:
		if r.Long {
			return fitsB(d - 4)
		}
		if r.Kind == RefTbz {
			return fitsImm14(d)
		}
		return fitsImm19(d)
	case RefAdr:
		return fitsAdr(d)
	case RefLdrLit:
		return fitsImm19(d)
	}
	panic(fmt.Sprintf("BUG: arm64: unknown reference kind %d", r.Kind))
}

// EncodeRef appends r's instruction words.
func (ar Arch) EncodeRef(dst []byte, r codegen.Ref, at, to int) []byte {
	if !ar.Reaches(r, at, to) {
		panic(fmt.Sprintf("BUG: arm64: encoding reference kind %d at %#x that does not reach %#x", r.Kind, at, to))
	}
	d := int32(to - at)
	switch r.Kind {
	case RefB:
		return binary.LittleEndian.AppendUint32(dst, bWord(d, r.Aux&auxLink != 0))
	case RefGuard:
		return binary.LittleEndian.AppendUint32(dst, NopWord)
	case RefAdr:
		return binary.LittleEndian.AppendUint32(dst, adrWord(Reg(r.Aux), d))
	case RefLdrLit:
		return binary.LittleEndian.AppendUint32(dst, imm19Word(opLDRLIT, d, Reg(r.Aux)))
	case RefBcond:
		c := Cond(r.Aux)
		if !r.Long {
			return binary.LittleEndian.AppendUint32(dst, imm19Word(opBCOND, d, Reg(c)))
		}
		dst = binary.LittleEndian.AppendUint32(dst, imm19Word(opBCOND, 8, Reg(c.Invert())))
		return binary.LittleEndian.AppendUint32(dst, bWord(d-4, false))
	case RefCbz:
		op := uint32(opCBZ)
		if r.Aux&auxNot != 0 {
			op = opCBNZ
		}
		rt := Reg(r.Aux & 31)
		if !r.Long {
			return binary.LittleEndian.AppendUint32(dst, imm19Word(op, d, rt))
		}
		dst = binary.LittleEndian.AppendUint32(dst, imm19Word(op^(opCBZ^opCBNZ), 8, rt))
		return binary.LittleEndian.AppendUint32(dst, bWord(d-4, false))
	case RefTbz:
		op := uint32(opTBZ)
		if r.Aux&auxNot != 0 {
			op = opTBNZ
		}
		rt, bit := Reg(r.Aux&31), r.Aux>>6&63
		if !r.Long {
			return binary.LittleEndian.AppendUint32(dst, tbWord(op, rt, bit, d))
		}
		dst = binary.LittleEndian.AppendUint32(dst, tbWord(op^(opTBZ^opTBNZ), rt, bit, 8))
		return binary.LittleEndian.AppendUint32(dst, bWord(d-4, false))
	}
	panic(fmt.Sprintf("BUG: arm64: unknown reference kind %d", r.Kind))
}

// Pad appends n/4 NOPs ([codegen.PadWords]). When the layout calls it n
// is a multiple of 4: [codegen.Buffer.Finish] refuses a stream that raw
// bytes misaligned before it lays out any padding. Any other n panics.
func (Arch) Pad(dst []byte, n int) []byte { return codegen.PadWords(dst, n, NopWord) }
