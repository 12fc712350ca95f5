package ppc64

import "math/bits"

// Constants.

// LoadConst loads the 64-bit constant v into rd using the shortest sequence
// among these families (1 to 5 instructions), reading no other register and
// using no scratch register:
//
//	1: li (16-bit signed), lis (32-bit signed with a zero low half)
//	2: lis;ori (32-bit signed); li;oris (below 2^32 with bit 15 clear);
//	   li or lis followed by one rldicl, rldicr or rldic
//	3: lis;ori or li;oris followed by one rldicl, rldicr or rldic
//	   (e.g. any value below 2^32: lis;ori;clrldi 32)
//	≤5: high word (li or lis[;ori]); sldi 32; [oris]; [ori]
//
// The rotate families reach masks, shifted small values and values with a
// single run of ones or zeros: 2^63-1 is li -1; clrldi 1, and 2^32 is li 1;
// sldi 32.
func (a *Asm) LoadConst(rd Reg, v int64) {
	if rd > 31 {
		a.badRegs("loadconst", rd)
		return
	}
	var seq constSeq
	seq.plan(rd, v)
	for i := 0; i < seq.n; i++ {
		a.Buffer.Emit32(seq.w[i])
	}
}

// constSeq is a planned constant load.
type constSeq struct {
	n int
	w [5]uint32
}

func (s *constSeq) add(w uint32) { s.w[s.n] = w; s.n++ }

// Base loaders: ways to build a value from nothing.
const (
	baseLi     = iota // li x, x a 16-bit signed value
	baseLis           // lis x>>16, x a 32-bit signed value with a zero low half
	baseLisOri        // lis;ori: x a 32-bit signed value
	baseLiOris        // li;oris: x below 2^32 with bit 15 clear
)

// loadBase emits the base loader for x (which must belong to the family;
// smaller forms are used when they suffice).
func (s *constSeq) loadBase(rd Reg, kind int, x int64) {
	switch {
	case kind == baseLiOris:
		s.add(dForm(opADDI, rd, R0, uint32(x)&0xffff))
		if hi := uint32(x) >> 16; hi != 0 {
			s.add(dForm(opORIS, rd, rd, hi))
		}
	case fits16(x):
		s.add(dForm(opADDI, rd, R0, uint32(x)))
	default:
		s.add(dForm(opADDIS, rd, R0, uint32(x>>16)))
		if lo := uint32(x) & 0xffff; lo != 0 {
			s.add(dForm(opORI, rd, rd, lo))
		}
	}
}

// candidates returns the values of family kind that agree with t on as many
// bits as the family allows (one per possible sign), so that if any member
// agrees with t on a set of bits, one of these does.
func candidates(kind int, t uint64) (c [2]int64, n int) {
	switch kind {
	case baseLi:
		return [2]int64{int64(int16(t & 0x7fff)), int64(int16(t | 0x8000))}, 2
	case baseLis:
		return [2]int64{int64(int32(t & 0x7fff0000)), int64(int32(t&0x7fff0000 | 0x80000000))}, 2
	case baseLisOri:
		return [2]int64{int64(int32(t & 0x7fffffff)), int64(int32(t | 0x80000000))}, 2
	default: // baseLiOris
		return [2]int64{int64(t & 0xffff7fff)}, 1
	}
}

// rotFind looks for x in family kind and one rotate-and-mask instruction
// that turns x into v, and returns the instruction word for rd.
//
// With the mask chosen as small as v allows (rldicl: clear the lz high
// bits; rldicr: clear the tz low bits; rldic: both, shifting by tz), x must
// agree with v rotated right by sh on the masked positions. x is a run of
// sign bits s above a payload window, so the bits of v that differ from s
// must fit in that window rotated by sh; sliding the window to start at the
// first such bit keeps them inside, so only shifts that put the window's
// start at the beginning of a run of differing bits need trying
// (TestLoadConstShortest checks this against an exhaustive search).
func rotFind(rd Reg, kind int, v uint64) (x int64, w uint32, ok bool) {
	lz, tz := uint(bits.LeadingZeros64(v)), uint(bits.TrailingZeros64(v))
	// Where a run of differing bits may start in x: at the payload's lowest
	// bit, or for lis (whose 16 low bits are zero) also at bit 0 when x is
	// negative and those zeros differ from the sign.
	offs := [2]uint{0, 0}
	if kind == baseLis {
		offs[0] = 16
	}
	for form := 0; form < 2; form++ {
		mask, xo, m := ^uint64(0)>>lz, uint32(xoRLDICL), uint32(lz)
		if form == 1 {
			mask, xo, m = ^uint64(0)<<tz, xoRLDICR, uint32(63-tz)
		}
		for _, fill := range [2]uint64{0, ^uint64(0)} {
			d := (v ^ fill) & mask // the bits that must lie in the payload
			// No family's window is wider than 32 bits, so the window
			// starts at a run of d that follows at least 32 zeros: z has
			// bit i set when bits i..i+31 of d are all zero.
			z := ^d
			for n := 1; n < 32; n *= 2 {
				z &= bits.RotateLeft64(z, -n)
			}
			starts := d &^ bits.RotateLeft64(d, 1) & bits.RotateLeft64(z, 32)
			if d == 0 {
				starts = 1
			}
			for ; starts != 0; starts &= starts - 1 {
				i := bits.TrailingZeros64(starts)
				for _, off := range offs {
					sh := (uint(i) - off) & 63
					if x, ok := rotTry(kind, v, sh, mask); ok {
						return x, mdForm(xo, rd, rd, uint32(sh), m), true
					}
				}
			}
		}
	}
	// rldic rd,rd,tz,lz: (x << tz) with the lz high bits cleared.
	if lz+tz <= 63 {
		if x, ok := rotTry(kind, v, tz, ^uint64(0)>>lz&(^uint64(0)<<tz)); ok {
			return x, mdForm(xoRLDIC, rd, rd, uint32(tz), uint32(lz)), true
		}
	}
	return 0, 0, false
}

// rotTry reports the x of family kind with rotl(x, sh) & mask == v, if any.
func rotTry(kind int, v uint64, sh uint, mask uint64) (int64, bool) {
	c, n := candidates(kind, bits.RotateLeft64(v, -int(sh)))
	for i := 0; i < n; i++ {
		if bits.RotateLeft64(uint64(c[i]), int(sh))&mask == v {
			return c[i], true
		}
	}
	return 0, false
}

func (s *constSeq) plan(rd Reg, v int64) {
	u := uint64(v)
	switch {
	case fits16(v):
		s.loadBase(rd, baseLi, v)
		return
	case int64(int32(v)) == v:
		s.loadBase(rd, baseLisOri, v) // lis, or lis;ori
		return
	case u < 1<<32 && u&0x8000 == 0:
		s.loadBase(rd, baseLiOris, v)
		return
	}
	for _, kinds := range [2][2]int{{baseLi, baseLis}, {baseLisOri, baseLiOris}} {
		for _, k := range kinds {
			if x, w, ok := rotFind(rd, k, u); ok {
				s.loadBase(rd, k, x)
				s.add(w)
				return
			}
		}
	}
	// High word, shifted up, then the low word ored in.
	s.loadBase(rd, baseLisOri, int64(int32(u>>32)))
	s.add(mdForm(xoRLDICR, rd, rd, 32, 31)) // sldi rd,rd,32
	if hi := uint32(u) >> 16; hi != 0 {
		s.add(dForm(opORIS, rd, rd, hi))
	}
	if lo := uint32(u) & 0xffff; lo != 0 {
		s.add(dForm(opORI, rd, rd, lo))
	}
}
