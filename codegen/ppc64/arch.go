package ppc64

import (
	"encoding/binary"
	"fmt"

	"github.com/syncore/syncore/codegen"
)

// Arch is the [codegen.Arch] of ppc64le: 4-byte instructions, nops are
// ori 0,0,0, and the label references below.
type Arch struct{}

var _ codegen.Arch = Arch{}

// Label-reference forms (codegen.RefKind values of this Arch).
const (
	// RefB is b/bl (Aux bit 0: link): I-form, 4 bytes, ±32 MiB, no long form.
	RefB codegen.RefKind = iota + 1
	// RefBc is bc (Aux: a Cond): 4 bytes and ±32 KiB; its long form is
	// bc !cond,.+8; b target (8 bytes, ±32 MiB).
	RefBc
	// RefLdRel is an anchored load (Aux: rt<<5 | base): ld rt,d(base)
	// (4 bytes, d a 16-bit signed multiple of 4); its long form is
	// addis rt,base,ha(d); ld rt,lo(d)(rt) (8 bytes, d within ±2 GiB).
	RefLdRel
	// RefGuard is a guard site: ori 0,0,0 (4 bytes) whose armed form is
	// b target; it is out of range when that b could not reach.
	RefGuard
)

const auxLink = 1

// Name returns "ppc64le".
func (Arch) Name() string { return "ppc64le" }

// InstAlign returns 4.
func (Arch) InstAlign() int { return 4 }

// RefSize returns 4 for a short form and 8 for a long one.
func (Arch) RefSize(r codegen.Ref) int {
	if r.Long && (r.Kind == RefBc || r.Kind == RefLdRel) {
		return 8
	}
	return 4
}

// HasLong reports whether r is a short bc or anchored load.
func (Arch) HasLong(r codegen.Ref) bool {
	return !r.Long && (r.Kind == RefBc || r.Kind == RefLdRel)
}

// Reaches reports whether r placed at at can encode to.
func (Arch) Reaches(r codegen.Ref, at, to int) bool {
	d := int64(to) - int64(at)
	switch r.Kind {
	case RefB, RefGuard:
		return fitsB(d)
	case RefBc:
		if r.Long {
			return fitsB(d - 4)
		}
		return fitsBc(d)
	case RefLdRel:
		d = int64(to) // distance from the anchor
		if r.Long {
			_, _, ok := splitHaLo(d)
			return ok
		}
		return d&3 == 0 && fits16(d)
	}
	panic(fmt.Sprintf("BUG: ppc64: unknown reference kind %d", r.Kind))
}

// splitHaLo splits d into addis/ld operands: d = ha<<16 + lo with lo a
// signed 16-bit multiple of 4.
func splitHaLo(d int64) (ha, lo int64, ok bool) {
	lo = int64(int16(d))
	ha = (d - lo) >> 16
	return ha, lo, d&3 == 0 && fits16(ha)
}

// EncodeRef appends r's instruction words.
func (ar Arch) EncodeRef(dst []byte, r codegen.Ref, at, to int) []byte {
	if !ar.Reaches(r, at, to) {
		panic(fmt.Sprintf("BUG: ppc64: encoding reference kind %d at %#x that does not reach %#x", r.Kind, at, to))
	}
	d := int32(to - at)
	switch r.Kind {
	case RefB:
		return binary.LittleEndian.AppendUint32(dst, bWord(d, r.Aux&auxLink != 0))
	case RefGuard:
		return binary.LittleEndian.AppendUint32(dst, NopWord)
	case RefBc:
		c := Cond(r.Aux)
		if !r.Long {
			return binary.LittleEndian.AppendUint32(dst, bcWord(c.BO(), c.BI(), d))
		}
		n := c.Not()
		dst = binary.LittleEndian.AppendUint32(dst, bcWord(n.BO(), n.BI(), 8))
		return binary.LittleEndian.AppendUint32(dst, bWord(d-4, false))
	case RefLdRel:
		rt, base := Reg(r.Aux>>5&31), Reg(r.Aux&31)
		ha, lo, _ := splitHaLo(int64(to))
		if !r.Long {
			return binary.LittleEndian.AppendUint32(dst, dForm(opLD, rt, base, uint32(lo)))
		}
		dst = binary.LittleEndian.AppendUint32(dst, dForm(opADDIS, rt, base, uint32(ha)))
		return binary.LittleEndian.AppendUint32(dst, dForm(opLD, rt, rt, uint32(lo)))
	}
	panic(fmt.Sprintf("BUG: ppc64: unknown reference kind %d", r.Kind))
}

// Pad appends n/4 nops (ori 0,0,0) ([codegen.PadWords]). When the layout calls it n
// is a multiple of 4: [codegen.Buffer.Finish] refuses a stream that raw
// bytes misaligned before it lays out any padding. Any other n panics.
func (Arch) Pad(dst []byte, n int) []byte { return codegen.PadWords(dst, n, NopWord) }
