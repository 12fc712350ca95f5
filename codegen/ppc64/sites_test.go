package ppc64

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/arch/ppc64/ppc64asm"

	"github.com/syncore/syncore/codegen"
)

// decodeAt decodes the instruction at off and fails the test on a bad word.
func decodeAt(t testing.TB, code []byte, off int) ppc64asm.Inst {
	t.Helper()
	require.Zero(t, off%4, "misaligned instruction at %#x", off)
	inst, err := ppc64asm.Decode(code[off:], binary.LittleEndian)
	require.NoError(t, err, "at %#x", off)
	require.Equal(t, 4, inst.Len)
	require.NotContains(t, ppc64asm.GNUSyntax(inst, uint64(off)), ".long")
	return inst
}

// branchAt decodes a b/bl/bc at off and returns its op, target and (for bc)
// BO and BI.
func branchAt(t testing.TB, code []byte, off int) (op ppc64asm.Op, target int, bo int64, bi ppc64asm.CondReg) {
	t.Helper()
	inst := decodeAt(t, code, off)
	switch inst.Op {
	case ppc64asm.B, ppc64asm.BL:
		return inst.Op, off + int(inst.Args[0].(ppc64asm.PCRel)), 0, 0
	case ppc64asm.BC:
		return inst.Op, off + int(inst.Args[2].(ppc64asm.PCRel)), int64(inst.Args[0].(ppc64asm.Imm)), inst.Args[1].(ppc64asm.CondReg)
	}
	t.Fatalf("not a branch at %#x: %s", off, ppc64asm.GNUSyntax(inst, uint64(off)))
	return
}

func nops(a *Asm, n int) {
	for range n {
		a.Nop()
	}
}

func TestBranchesNear(t *testing.T) {
	a := New()
	back, fwd := a.NewLabel(), a.NewLabel()
	a.Bind(back)
	a.Nop()
	a.B(fwd)               // 4
	a.Bl(back)             // 8
	a.Bc(EQ, fwd)          // 12
	a.Bc(NE.On(CR7), back) // 16
	nops(a, 3)
	a.Bind(fwd) // 32
	a.Blr()
	bl, err := a.Finish()
	require.NoError(t, err)
	require.Len(t, bl.Code, 36)
	assert.Equal(t, 32, bl.Offset(fwd))

	op, to, _, _ := branchAt(t, bl.Code, 4)
	assert.Equal(t, ppc64asm.B, op)
	assert.Equal(t, 32, to)
	op, to, _, _ = branchAt(t, bl.Code, 8)
	assert.Equal(t, ppc64asm.BL, op)
	assert.Equal(t, 0, to)
	op, to, bo, bi := branchAt(t, bl.Code, 12)
	assert.Equal(t, ppc64asm.BC, op)
	assert.Equal(t, []any{32, int64(12), ppc64asm.Cond0EQ}, []any{to, bo, bi})
	op, to, bo, bi = branchAt(t, bl.Code, 16)
	assert.Equal(t, ppc64asm.BC, op)
	assert.Equal(t, []any{0, int64(4), ppc64asm.Cond7EQ}, []any{to, bo, bi})
	assert.Equal(t, []uint32{0x4800001c, 0x4bfffff9, 0x41820014, 0x409efff0}, words(bl.Code[4:20]))
}

// A function larger than ±32 KiB: the conditional branches over it are
// rewritten into an inverted bc over a b, forward and backward, and the
// near ones stay short.
func TestFarConditionalBranch(t *testing.T) {
	for _, c := range []Cond{EQ, NE, LT.On(CR3), GE.On(CR7), SO, NS.On(CR1)} {
		t.Run(c.String(), func(t *testing.T) {
			a := New()
			top, end, near := a.NewLabel(), a.NewLabel(), a.NewLabel()
			a.Bind(top)
			a.Bc(c, end)  // forward, far
			a.Bc(c, near) // forward, near
			a.Nop()
			a.Bind(near)
			nops(a, 10000) // 40 000 bytes
			a.Bc(c, top)   // backward, far
			a.Bind(end)
			a.Blr()
			bl, err := a.Finish()
			require.NoError(t, err)

			checkLong := func(off, target int) {
				op, to, bo, bi := branchAt(t, bl.Code, off)
				require.Equal(t, ppc64asm.BC, op)
				assert.Equal(t, off+8, to, "inverted bc skips the b")
				assert.Equal(t, int64(c.Not().BO()), bo)
				assert.Equal(t, ppc64asm.Cond0LT+ppc64asm.CondReg(c.BI()), bi)
				op, to, _, _ = branchAt(t, bl.Code, off+4)
				require.Equal(t, ppc64asm.B, op)
				assert.Equal(t, target, to)
			}
			checkLong(0, bl.Offset(end))
			op, to, bo, _ := branchAt(t, bl.Code, 8)
			require.Equal(t, ppc64asm.BC, op)
			assert.Equal(t, bl.Offset(near), to)
			assert.Equal(t, int64(c.BO()), bo)
			checkLong(bl.Offset(end)-8, 0)
			assert.Equal(t, 8+4+4+40000+8+4, len(bl.Code))
		})
	}
}

// The exact boundaries of bc: +32764 and -32768 stay short, one word more
// relaxes.
func TestBcBoundaries(t *testing.T) {
	tests := []struct {
		name     string
		gap      int // nops between
		backward bool
		wantLen  int // bytes of the branch
	}{
		{"forward max", 32764/4 - 1, false, 4},
		{"forward max+4", 32764 / 4, false, 8},
		{"backward min", 32768 / 4, true, 4},
		{"backward min-4", 32768/4 + 1, true, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := New()
			l := a.NewLabel()
			if tc.backward {
				a.Bind(l)
				nops(a, tc.gap)
				a.Bc(LT, l)
			} else {
				a.Bc(LT, l)
				nops(a, tc.gap)
				a.Bind(l)
			}
			bl, err := a.Finish()
			require.NoError(t, err)
			assert.Equal(t, 4*tc.gap+tc.wantLen, len(bl.Code))
			at := 0
			if tc.backward {
				at = 4 * tc.gap
			}
			_, to, _, _ := branchAt(t, bl.Code, at)
			if tc.wantLen == 4 {
				assert.Equal(t, bl.Offset(l), to)
			} else {
				_, to, _, _ = branchAt(t, bl.Code, at+4)
				assert.Equal(t, bl.Offset(l), to)
			}
		})
	}
}

// Each rewrite pushes the next branch out of reach: the layout must iterate
// until every branch is long and every target is right. Without the one
// extra word before the first target (the control) no branch grows.
func TestFarBranchCascade(t *testing.T) {
	const k = 12
	for _, extra := range []bool{true, false} {
		t.Run(fmt.Sprintf("extra=%v", extra), func(t *testing.T) {
			a := New()
			targets := make([]codegen.Label, k)
			for i := range targets {
				targets[i] = a.NewLabel()
			}
			// bc_{k-1} at 0 ... bc_0 at 4(k-1): bc_i spans bc_0..bc_{i-1}.
			for i := k - 1; i >= 0; i-- {
				a.Bc(GT, targets[i])
			}
			// Every bc_i with i ≥ 1 is exactly 32764 bytes (the maximum) from
			// its target until a branch after it grows; bc_0 is 32768 bytes
			// away with the extra word (just too far), 32764 without.
			for a.Len()+4*k < 32764 { // a.Len counts fixed bytes only
				a.Nop()
			}
			for i := k - 1; i >= 1; i-- {
				a.Bind(targets[i])
				a.Nop()
			}
			if extra {
				a.Nop()
			}
			a.Bind(targets[0])
			a.Blr()
			bl, err := a.Finish()
			require.NoError(t, err)
			size := 4
			if extra {
				size = 8
			}
			for j := 0; j < k; j++ { // bc_{k-1-j} at size*j
				i, at := k-1-j, size*j
				op, to, _, _ := branchAt(t, bl.Code, at)
				require.Equal(t, ppc64asm.BC, op)
				if !extra {
					assert.Equal(t, bl.Offset(targets[i]), to, "branch %d target", i)
					assert.Equal(t, 32764, to-at, "branch %d at its maximum", i)
					continue
				}
				assert.Equal(t, at+8, to, "branch %d is long", i)
				op, to, _, _ = branchAt(t, bl.Code, at+4)
				require.Equal(t, ppc64asm.B, op)
				assert.Equal(t, bl.Offset(targets[i]), to, "branch %d target", i)
			}
		})
	}
}

// b and bl reach ±32 MiB; beyond, Finish reports ErrOutOfRange (there is no
// longer form), as it does for a bc whose rewrite cannot reach either.
func TestBranchOutOfRange(t *testing.T) {
	const limit = 1 << 25 // bytes
	tests := []struct {
		name string
		gap  int // bytes of nops between the branch (4 bytes, or 8 for a long bc) and its target
		emit func(a *Asm, l codegen.Label)
		ok   bool
	}{
		{"b max", limit - 8, func(a *Asm, l codegen.Label) { a.B(l) }, true},
		{"b max+4", limit - 4, func(a *Asm, l codegen.Label) { a.B(l) }, false},
		{"bl max+4", limit - 4, func(a *Asm, l codegen.Label) { a.Bl(l) }, false},
		{"branch site max+4", limit - 4, func(a *Asm, l codegen.Label) { a.JumpSite("s", l) }, false},
		{"guard max+4", limit - 4, func(a *Asm, l codegen.Label) { a.GuardSite("g", l) }, false},
		{"bc long max", limit - 8, func(a *Asm, l codegen.Label) { a.Bc(EQ, l) }, true},
		{"bc long max+4", limit - 4, func(a *Asm, l codegen.Label) { a.Bc(EQ, l) }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := New()
			l := a.NewLabel()
			tc.emit(a, l)
			a.Grow(tc.gap)
			for range tc.gap / 4 {
				a.Emit32(NopWord)
			}
			a.Bind(l)
			bl, err := a.Finish()
			if tc.ok {
				require.NoError(t, err)
				op, to, _, _ := branchAt(t, bl.Code, len(bl.Code)-tc.gap-4)
				assert.Contains(t, []ppc64asm.Op{ppc64asm.B, ppc64asm.BL}, op)
				assert.Equal(t, bl.Offset(l), to)
				return
			}
			require.ErrorIs(t, err, codegen.ErrOutOfRange)
		})
	}
}

func TestUndefinedLabel(t *testing.T) {
	for _, emit := range []func(a *Asm, l codegen.Label){
		func(a *Asm, l codegen.Label) { a.B(l) },
		func(a *Asm, l codegen.Label) { a.Bc(EQ, l) },
		func(a *Asm, l codegen.Label) { a.GuardSite("g", l) },
		func(a *Asm, l codegen.Label) { a.CallSite("c", l) },
		func(a *Asm, l codegen.Label) { a.LdRel(R3, R4, l, l) },
	} {
		a := New()
		emit(a, a.NewLabel())
		_, err := a.Finish()
		assert.ErrorIs(t, err, codegen.ErrUndefinedLabel)
	}
}

// Patch sites keep their guarantees whatever precedes them: any number of
// instructions, and a preceding far bc whose rewrite shifts everything after
// it by one word.
func TestSiteGuarantees(t *testing.T) {
	for pre := 0; pre < 16; pre++ {
		for _, relax := range []bool{false, true} {
			t.Run(fmt.Sprintf("pre=%d,relax=%v", pre, relax), func(t *testing.T) {
				a := New()
				fn, far := a.NewLabel(), a.NewLabel()
				a.Bind(fn)
				if relax {
					a.Bc(NE, far)
				}
				nops(a, pre)
				a.JumpSite("jump", fn)
				nops(a, pre%3)
				a.CallSite("call", fn)
				a.GuardSite("guard", far)
				slot := a.DataSlot("slot", 0x1122334455667788)
				a.Nop()
				slot2 := a.DataSlot("slot2", 42)
				if relax {
					nops(a, 9000)
				}
				a.Bind(far)
				a.Blr()
				bl, err := a.Finish()
				require.NoError(t, err)
				require.Len(t, bl.Sites, 5)

				for _, s := range bl.Sites {
					switch s.Kind {
					case codegen.SiteBranch, codegen.SiteGuard:
						assert.Zero(t, s.Offset%4, "%s word-aligned", s.Name)
						assert.Equal(t, s.Offset/8, (s.Offset+s.Change+s.ChangeLen-1)/8, "%s in one aligned qword", s.Name)
						assert.Equal(t, 4, s.Size)
						assert.Equal(t, codegen.WordAligned|codegen.PatchClass|codegen.InAlignedQword, s.Guarantee)
						w := binary.LittleEndian.Uint32(bl.Code[s.Offset:])
						assert.True(t, IsPatchClass(w), "%s: %#08x", s.Name, w)
						target := bl.Offset(s.Target)
						switch s.Name {
						case "jump", "call":
							to, link, ok := BranchTarget(w, uint64(s.Offset))
							require.True(t, ok)
							assert.Equal(t, uint64(target), to)
							assert.Equal(t, s.Name == "call", link)
						case "guard":
							assert.Equal(t, NopWord, w)
							armed, err := EncodeB(uint64(s.Offset), uint64(target), false)
							require.NoError(t, err)
							op, to, _, _ := branchAt(t, binary.LittleEndian.AppendUint32(make([]byte, s.Offset), armed), s.Offset)
							assert.Equal(t, ppc64asm.B, op)
							assert.Equal(t, target, to)
						}
					case codegen.SiteData:
						assert.Zero(t, s.Offset%8, "%s 8-aligned", s.Name)
						assert.Equal(t, codegen.DataAligned8, s.Guarantee)
						assert.Equal(t, 8, s.Size)
						assert.Equal(t, 8, s.ChangeLen)
					default:
						t.Errorf("unexpected site %+v", s)
					}
				}
				assert.Equal(t, bl.Sites[3].Offset, bl.Offset(slot))
				assert.Equal(t, bl.Sites[4].Offset, bl.Offset(slot2))
				assert.Equal(t, uint64(0x1122334455667788), binary.LittleEndian.Uint64(bl.Code[bl.Offset(slot):]))
				assert.Equal(t, uint64(42), binary.LittleEndian.Uint64(bl.Code[bl.Offset(slot2):]))
				// Padding before a slot is nops.
				for off := bl.Sites[2].Offset + 4; off < bl.Offset(slot); off += 4 {
					assert.Equal(t, NopWord, binary.LittleEndian.Uint32(bl.Code[off:]))
				}
			})
		}
	}
}

// A site after raw bytes that broke word alignment is refused.
func TestSiteMisaligned(t *testing.T) {
	for _, emit := range []func(a *Asm){
		func(a *Asm) { a.JumpSite("b", a.NewLabel()) },
		func(a *Asm) { a.GuardSite("g", a.NewLabel()) },
		func(a *Asm) { a.DataSlot("d", 0) },
	} {
		a := New()
		a.Emit(0)
		emit(a)
		require.ErrorIs(t, a.Err(), codegen.ErrBadOperand)
	}
}

// LdRel loads from a slot at a fixed distance from an anchor held in a base
// register: one ld when the distance fits 16 bits, addis+ld otherwise. The
// distance is slot - anchor, whatever the load's own position.
func TestLdRel(t *testing.T) {
	tests := []struct {
		name      string
		slotFirst bool // slot, gap nops, anchor, load; else anchor, load, gap nops, slot
		gap       int
		long      bool
	}{
		{"near", false, 0, false},
		{"near max", false, 32760/4 - 3, false},
		{"just too far", false, 32760/4 - 1, true},
		{"far", false, 20000, true},
		{"behind near", true, 10, false},
		{"behind min", true, 32768/4 - 2, false},
		{"behind just too far", true, 32768/4 - 1, true},
		{"behind far", true, 9000, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := New()
			anchor, slot, at := a.NewLabel(), a.NewLabel(), a.NewLabel()
			if tc.slotFirst {
				a.BindDataSlot(slot, "s", 7)
				nops(a, tc.gap)
			}
			a.Bind(anchor)
			a.Bind(at)
			a.LdRel(R5, R9, slot, anchor)
			a.Blr()
			if !tc.slotFirst {
				nops(a, tc.gap)
				a.BindDataSlot(slot, "s", 7)
			}
			bl, err := a.Finish()
			require.NoError(t, err)
			d := bl.Offset(slot) - bl.Offset(anchor)
			off := bl.Offset(at)
			inst := decodeAt(t, bl.Code, off)
			if !tc.long {
				require.Equal(t, ppc64asm.LD, inst.Op, ppc64asm.GNUSyntax(inst, 0))
				assert.Equal(t, []ppc64asm.Arg{R(R5), ppc64asm.Offset(d), R(R9)}, inst.Args[:3])
				return
			}
			require.Equal(t, ppc64asm.ADDIS, inst.Op, ppc64asm.GNUSyntax(inst, 0))
			assert.Equal(t, R(R5), inst.Args[0])
			assert.Equal(t, R(R9), inst.Args[1])
			ha := int64(inst.Args[2].(ppc64asm.Imm))
			ld := decodeAt(t, bl.Code, off+4)
			require.Equal(t, ppc64asm.LD, ld.Op)
			assert.Equal(t, R(R5), ld.Args[0])
			assert.Equal(t, R(R5), ld.Args[2])
			lo := int64(ld.Args[1].(ppc64asm.Offset))
			assert.Equal(t, int64(d), ha<<16+lo, "addis+ld reach the slot")
			assert.GreaterOrEqual(t, max(d, -d), 32764, "the long form only when needed")
		})
	}
}

func TestLdRelErrors(t *testing.T) {
	tests := []struct {
		name string
		emit func(a *Asm)
		want error
	}{
		{"rt r0", func(a *Asm) { l := a.DataSlot("s", 0); a.LdRel(R0, R3, l, l) }, codegen.ErrBadOperand},
		{"base r0", func(a *Asm) { l := a.DataSlot("s", 0); a.LdRel(R3, R0, l, l) }, codegen.ErrBadOperand},
		{"bad reg", func(a *Asm) { l := a.DataSlot("s", 0); a.LdRel(R3, 40, l, l) }, codegen.ErrBadOperand},
		{"no anchor", func(a *Asm) { l := a.DataSlot("s", 0); a.LdRel(R3, R4, l, 0) }, codegen.ErrBadOperand},
		{"beyond 2 GiB is not testable in memory; misaligned distance is", func(a *Asm) {
			anchor := a.NewLabel()
			a.Bind(anchor)
			l := a.NewLabel()
			a.Nop()
			a.Bind(l)
			a.LdRel(R3, R4, l, anchor) // distance 4: fine
			a.Word(0)
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := assemble(tc.emit)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
	// The long form's reach, checked on the Arch directly (2 GiB of code
	// would not fit a test).
	ar := Arch{}
	r := codegen.Ref{Kind: RefLdRel, Long: true}
	assert.True(t, ar.Reaches(r, 0, 0x7fff7ffc))
	assert.False(t, ar.Reaches(r, 0, 0x7fff8000))
	if math.MaxInt > math.MaxInt32 { // the far end of the reach needs a 64-bit int
		lo := int64(-0x80008000)
		assert.True(t, ar.Reaches(r, 0, int(lo)))
		assert.False(t, ar.Reaches(r, 0, int(lo-4)))
	}
	assert.False(t, ar.Reaches(r, 0, 0x10002), "not a multiple of 4")
	r.Long = false
	assert.True(t, ar.Reaches(r, 1<<20, 0x7ffc), "anchored: the position does not matter")
	assert.False(t, ar.Reaches(r, 0, 0x8000))
	assert.True(t, ar.Reaches(r, 0, -0x8000))
	assert.False(t, ar.Reaches(r, 0, 6))
}

func TestEncodeB(t *testing.T) {
	tests := []struct {
		from, to uint64
		link     bool
		want     uint32
		err      error
	}{
		{0x1000, 0x1008, false, 0x48000008, nil},
		{0x1000, 0x1000, true, 0x48000001, nil},
		{0x1000, 0xff8, true, 0x4bfffff9, nil},
		{0, 1<<25 - 4, false, 0x49fffffc, nil},
		{1 << 25, 0, false, 0x4a000000, nil},
		{0, 1 << 25, false, 0, codegen.ErrOutOfRange},
		{1<<25 + 4, 0, false, 0, codegen.ErrOutOfRange},
		{0x7fff_0000_0000, 0x10, false, 0, codegen.ErrOutOfRange},
		{0x1002, 0x1000, false, 0, codegen.ErrBadOperand},
		{0x1000, 0x1001, false, 0, codegen.ErrBadOperand},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%#x->%#x", tc.from, tc.to), func(t *testing.T) {
			w, err := EncodeB(tc.from, tc.to, tc.link)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, w)
			assert.True(t, IsPatchClass(w))
			to, link, ok := BranchTarget(w, tc.from)
			require.True(t, ok)
			assert.Equal(t, tc.to, to)
			assert.Equal(t, tc.link, link)
			// The oracle agrees on the displacement.
			inst, derr := ppc64asm.Decode(binary.LittleEndian.AppendUint32(nil, w), binary.LittleEndian)
			require.NoError(t, derr)
			assert.Equal(t, ppc64asm.PCRel(int64(tc.to-tc.from)), inst.Args[0])
		})
	}
}

func TestIsPatchClass(t *testing.T) {
	tests := []struct {
		w    uint32
		want bool
		what string
	}{
		{0x48000008, true, "b"},
		{0x48000009, true, "bl"},
		{0x4800000a, true, "ba"},
		{0x4800000b, true, "bla"},
		{0x4bfffffc, true, "b .-4"},
		{NopWord, true, "ori 0,0,0"},
		{0x60210000, false, "ori 1,1,0"},
		{0x60000001, false, "ori 0,0,1"},
		{0x7c000378, false, "or 0,0,0"},
		{0x68000000, false, "xori 0,0,0 (xnop)"},
		{0x41820008, false, "beq"},
		{BlrWord, false, "blr"},
		{0x38600001, false, "li r3,1"},
		{TrapWord, false, "trap"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, IsPatchClass(tc.w), tc.what)
		_, _, isB := BranchTarget(tc.w, 0)
		assert.Equal(t, tc.want && tc.w != NopWord, isB, tc.what)
	}
	to, _, _ := BranchTarget(0x4800000a, 0x5000)
	assert.Equal(t, uint64(8), to, "absolute ba")
	to, _, _ = BranchTarget(0x4bfffffe, 0x5000)
	assert.Equal(t, ^uint64(3), to, "absolute ba to -4")
}
