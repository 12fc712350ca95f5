package arm64

import "math/bits"

// Constants.

// LoadConst loads the 64-bit constant v into rd (R0..R30) using the
// shortest sequence among these families (1 to 4 instructions), reading no
// other register and using no scratch register:
//
//	MOVZ rd, #c, LSL #s then MOVK for every other non-zero 16-bit chunk
//	MOVN rd, #^c, LSL #s then MOVK for every other chunk that is not 0xffff
//	ORR rd, XZR, #bitmask then MOVK for every chunk where v differs from
//	the bitmask immediate (Arm ARM C3.4.2 "Logical (immediate)")
//
// So every value takes at most 4; one instruction loads a value with at
// most one non-zero chunk (MOVZ), at most one chunk other than 0xffff
// (MOVN) or a bitmask immediate (ORR: 0x5555555555555555, 0x00ff00ff00ff00ff,
// 2^63-1...). On a tie the MOVZ family is preferred, then MOVN, then ORR.
// The 32-bit (W) forms, which would load some values below 2^32 in fewer
// instructions, are not used.
func (a *Asm) LoadConst(rd Reg, v int64) {
	if !isX(rd) {
		a.badReg("loadconst", "destination", rd, classX)
		return
	}
	var seq constSeq
	seq.plan(rd, uint64(v))
	for i := 0; i < seq.n; i++ {
		a.Buffer.Emit32(seq.w[i])
	}
}

// constSeq is a planned constant load.
type constSeq struct {
	n int
	w [4]uint32
}

func (s *constSeq) add(w uint32) { s.w[s.n] = w; s.n++ }

func chunk(v uint64, i int) uint32 { return uint32(v>>(16*i)) & 0xffff }

func (s *constSeq) plan(rd Reg, v uint64) {
	var n0, n1 int // chunks that are 0x0000, 0xffff
	for i := 0; i < 4; i++ {
		switch chunk(v, i) {
		case 0:
			n0++
		case 0xffff:
			n1++
		}
	}
	best := 4 - max(n0, n1) // the MOVZ or MOVN sequence, at least 1
	if best > 1 {
		// One ORR with best-2 or fewer MOVKs beats it.
		if b, ok := orrBase(v, best-2); ok {
			s.orrMovk(rd, v, b)
			return
		}
	}
	if n1 > n0 {
		s.movMovk(rd, v, opMOVN, 0xffff)
	} else {
		s.movMovk(rd, v, opMOVZ, 0)
	}
}

// movMovk emits MOVZ (fill 0) or MOVN (fill 0xffff) for the first chunk
// that is not fill (chunk 0 if none), then MOVK for the others.
func (s *constSeq) movMovk(rd Reg, v uint64, op, fill uint32) {
	first := -1
	for i := 0; i < 4; i++ {
		c := chunk(v, i)
		if c == fill {
			continue
		}
		if first < 0 {
			first = i
			s.add(movWord(op, rd, uint32(i), (c^fill)&0xffff))
			continue
		}
		s.add(movWord(opMOVK, rd, uint32(i), c))
	}
	if first < 0 { // v is 0 (MOVZ #0) or all ones (MOVN #0)
		s.add(movWord(op, rd, 0, 0))
	}
}

// orrMovk emits ORR rd, XZR, #b and a MOVK for each chunk of v that b
// lacks.
func (s *constSeq) orrMovk(rd Reg, v, b uint64) {
	nimms, _ := bitmaskImm(b)
	s.add(logImmWord(opORRI, rd, ZR, nimms))
	for i := 0; i < 4; i++ {
		if c := chunk(v, i); c != chunk(b, i) {
			s.add(movWord(opMOVK, rd, uint32(i), c))
		}
	}
}

// orrBase returns a bitmask immediate that agrees with v on all but at most
// k (0..2) of its 16-bit chunks, if there is one.
//
// A bitmask immediate repeats an element of 2..64 bits that is a rotated
// run of ones, so it has one of three shapes, and orrBase tries each shape's
// few candidates instead of all 5334 immediates:
//
//   - period 16 or less: four equal chunks, so one of v's kept chunks,
//     repeated.
//   - period 32: two equal 32-bit halves h. Each 16-bit half of h is a chunk
//     of v where v is kept (chunk i or i+2), or, when both are replaced,
//     0x0000 or 0xffff (extending the run of the other half; if that half
//     is all zeros or all ones, MOVZ or MOVN is as short).
//   - one run in 64 bits: the replaced chunks, filled with 0x0000 or 0xffff,
//     extend their neighbours' runs. That keeps the number of 0/1
//     transitions around the word at two, the single run, unless every
//     kept bit is equal, and then MOVZ or MOVN is at least as short.
//
// TestLoadConstShortest checks the result against all 5334 immediates.
func orrBase(v uint64, k int) (uint64, bool) {
	if _, ok := bitmaskImm(v); ok {
		return v, true
	}
	if k == 0 {
		return 0, false
	}
	best, cost := uint64(0), k+1 // the candidate that differs from v in the fewest chunks, the first on a tie
	var c [4]uint64
	for i := range c {
		c[i] = v >> (16 * i) & 0xffff
	}
	for _, x := range c {
		b := x * 0x0001000100010001
		if d := diffChunks(b, v); d < cost {
			if _, ok := bitmaskImm(b); ok {
				best, cost = b, d
			}
		}
	}
	// A run of ones, rotated, in a 32- or 64-bit element is what has
	// exactly two 0/1 transitions around the element; an element with a
	// shorter period was a candidate above.
	for _, lo := range [4]uint64{c[0], c[2], 0, 0xffff} {
		for _, hi := range [4]uint64{c[1], c[3], 0, 0xffff} {
			h := uint32(hi<<16 | lo)
			b := uint64(h)<<32 | uint64(h)
			if d := diffChunks(b, v); d < cost && bits.OnesCount32(h^bits.RotateLeft32(h, 1)) == 2 {
				best, cost = b, d
			}
		}
	}
	for _, free := range freeSets {
		if cost <= 1 {
			break
		}
		if int(free.n) > k {
			continue
		}
		for fill := uint64(0); fill < 1<<free.n; fill++ { // 0x0000 or 0xffff for each
			b := v&^free.mask | pdep(fill, free)
			if d := diffChunks(b, v); d < cost && bits.OnesCount64(b^bits.RotateLeft64(b, 1)) == 2 {
				best, cost = b, d
			}
		}
	}
	return best, cost <= k
}

// diffChunks returns the number of 16-bit chunks in which a and b differ.
func diffChunks(a, b uint64) int {
	x := a ^ b
	x |= x >> 8
	x |= x >> 4
	x |= x >> 2
	x |= x >> 1 // bit 16i is set when chunk i differs
	return bits.OnesCount64(x & 0x0001000100010001)
}

// freeSet is a set of chunks to replace: their mask and the chunk numbers.
type freeSet struct {
	mask uint64
	n    uint64
	at   [2]uint8
}

// freeSets are the sets of one chunk, then of two.
var freeSets = func() (out []freeSet) {
	for i := uint8(0); i < 4; i++ {
		out = append(out, freeSet{mask: 0xffff << (16 * i), n: 1, at: [2]uint8{i}})
	}
	for i := uint8(0); i < 4; i++ {
		for j := i + 1; j < 4; j++ {
			out = append(out, freeSet{mask: 0xffff<<(16*i) | 0xffff<<(16*j), n: 2, at: [2]uint8{i, j}})
		}
	}
	return out
}()

// pdep spreads the bits of fill over f's chunks: bit i of fill makes chunk
// f.at[i] all ones.
func pdep(fill uint64, f freeSet) uint64 {
	var b uint64
	for i := uint64(0); i < f.n; i++ {
		if fill>>i&1 != 0 {
			b |= 0xffff << (16 * f.at[i])
		}
	}
	return b
}

// bitmaskImm returns the N:immr:imms fields (N at bit 12, immr at 6, imms
// at 0) that encode v as a logical immediate: an element of 2, 4, 8, 16, 32
// or 64 bits, replicated, whose bits are a run of ones rotated right by
// immr (Arm ARM C3.4.2, and the DecodeBitMasks pseudocode). 0 and all ones
// have no encoding.
func bitmaskImm(v uint64) (uint32, bool) {
	if v == 0 || v == ^uint64(0) {
		return 0, false
	}
	// The smallest element size whose replication gives v.
	size := uint(64)
	for size > 2 {
		half := size / 2
		m := uint64(1)<<half - 1
		if v&m != v>>half&m {
			break
		}
		size = half
	}
	mask := ^uint64(0) >> (64 - size)
	e := v & mask
	ones := uint(bits.OnesCount64(e))
	// r rotates e right so that its run of ones starts at bit 0: the run
	// starts at the lowest one if bit 0 is clear, else just above the
	// highest zero (the run wraps around).
	var r uint
	if e&1 == 0 {
		r = uint(bits.TrailingZeros64(e))
	} else {
		r = uint(64-bits.LeadingZeros64(^e&mask)) % size
	}
	rot := e
	if r != 0 {
		rot = (e>>r | e<<(size-r)) & mask
	}
	if rot != 1<<ones-1 {
		return 0, false
	}
	immr := uint32(size-r) & uint32(size-1)
	imms := uint32(^(2*size-1))&0x3f | uint32(ones-1)
	var n uint32
	if size == 64 {
		n = 1
	}
	return n<<12 | immr<<6 | imms, true
}
