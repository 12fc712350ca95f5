package arm64

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/arch/arm64/arm64asm"

	"github.com/syncore/syncore/codegen"
)

// decodeAt decodes the instruction at off and fails the test on a bad word.
func decodeAt(t testing.TB, code []byte, off int) arm64asm.Inst {
	t.Helper()
	require.Zero(t, off%4, "misaligned instruction at %#x", off)
	inst, err := decodeWord(code[off : off+4])
	require.NoError(t, err, "at %#x", off)
	return inst
}

// branch is a decoded PC-relative instruction.
type branch struct {
	op     arm64asm.Op
	target int    // absolute offset in the blob
	cond   string // B.cond's condition, as arm64asm prints it
	reg    string // CBZ/CBNZ/TBZ/TBNZ/ADR/LDR's register
	bit    string // TBZ/TBNZ's bit
}

// branchAt decodes a PC-relative instruction at off.
func branchAt(t testing.TB, code []byte, off int) branch {
	t.Helper()
	inst := decodeAt(t, code, off)
	var b branch
	b.op = inst.Op
	for _, a := range inst.Args {
		switch a := a.(type) {
		case nil:
		case arm64asm.PCRel:
			b.target = off + int(a)
		case arm64asm.Cond:
			b.cond = a.String()
		case arm64asm.Reg:
			b.reg = a.String()
		case arm64asm.Imm:
			b.bit = a.String()
		default:
			t.Fatalf("unexpected argument %T %v in %s", a, a, arm64asm.GNUSyntax(inst))
		}
	}
	switch b.op {
	case arm64asm.B, arm64asm.BL, arm64asm.CBZ, arm64asm.CBNZ, arm64asm.TBZ, arm64asm.TBNZ, arm64asm.ADR, arm64asm.LDR:
	default:
		t.Fatalf("not a PC-relative instruction at %#x: %s", off, arm64asm.GNUSyntax(inst))
	}
	return b
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
	a.B(fwd)            // 4
	a.Bl(back)          // 8
	a.Bcond(EQ, fwd)    // 12
	a.Bcond(LE, back)   // 16
	a.Cbz(R3, fwd)      // 20
	a.Cbnz(R30, back)   // 24
	a.Tbz(R4, 63, fwd)  // 28
	a.Tbnz(R5, 0, back) // 32
	a.Adr(R6, fwd)      // 36
	a.LdrLit(R7, fwd)   // 40
	a.Bcond(AL, fwd)    // 44: B
	a.Adr(R8, back)     // 48
	a.Bind(fwd)         // 52
	a.Ret()
	bl, err := a.Finish()
	require.NoError(t, err)
	require.Len(t, bl.Code, 56)
	assert.Equal(t, 52, bl.Offset(fwd))

	tests := []struct {
		off  int
		want branch
	}{
		{4, branch{op: arm64asm.B, target: 52}},
		{8, branch{op: arm64asm.BL, target: 0}},
		{12, branch{op: arm64asm.B, target: 52, cond: "EQ"}},
		{16, branch{op: arm64asm.B, target: 0, cond: "LE"}},
		{20, branch{op: arm64asm.CBZ, target: 52, reg: "X3"}},
		{24, branch{op: arm64asm.CBNZ, target: 0, reg: "X30"}},
		{28, branch{op: arm64asm.TBZ, target: 52, reg: "X4", bit: "#63"}},
		{32, branch{op: arm64asm.TBNZ, target: 0, reg: "W5", bit: "#0"}}, // bits 0..31 print a W register
		{36, branch{op: arm64asm.ADR, target: 52, reg: "X6"}},
		{40, branch{op: arm64asm.LDR, target: 52, reg: "X7"}},
		{44, branch{op: arm64asm.B, target: 52}},
		{48, branch{op: arm64asm.ADR, target: 0, reg: "X8"}},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, branchAt(t, bl.Code, tc.off), "at %d", tc.off)
	}
	// The words GNU as emits for the same (see also testdata/gnu.golden).
	assert.Equal(t, []uint32{0x14000000 | 12, 0x97fffffe, 0x54000000 | 10<<5, 0x54ffff8d}, words(bl.Code[4:20]))
}

// farCase is one conditional form with its inverse, for the rewrite tests.
type farCase struct {
	name     string
	emit     func(a *Asm, l codegen.Label)
	short    branch // the short form's decoding (target filled in by the test)
	inverted branch // the first word of the long form (target: its own offset + 8)
	reach    int    // the short form's forward reach: the largest distance, in bytes
}

var farCases = []farCase{
	{"b.eq", func(a *Asm, l codegen.Label) { a.Bcond(EQ, l) }, branch{op: arm64asm.B, cond: "EQ"}, branch{op: arm64asm.B, cond: "NE"}, 1<<20 - 4},
	{"b.hs", func(a *Asm, l codegen.Label) { a.Bcond(HS, l) }, branch{op: arm64asm.B, cond: "CS"}, branch{op: arm64asm.B, cond: "CC"}, 1<<20 - 4},
	{"b.gt", func(a *Asm, l codegen.Label) { a.Bcond(GT, l) }, branch{op: arm64asm.B, cond: "GT"}, branch{op: arm64asm.B, cond: "LE"}, 1<<20 - 4},
	{"b.vc", func(a *Asm, l codegen.Label) { a.Bcond(VC, l) }, branch{op: arm64asm.B, cond: "VC"}, branch{op: arm64asm.B, cond: "VS"}, 1<<20 - 4},
	{"cbz", func(a *Asm, l codegen.Label) { a.Cbz(R9, l) }, branch{op: arm64asm.CBZ, reg: "X9"}, branch{op: arm64asm.CBNZ, reg: "X9"}, 1<<20 - 4},
	{"cbnz", func(a *Asm, l codegen.Label) { a.Cbnz(R0, l) }, branch{op: arm64asm.CBNZ, reg: "X0"}, branch{op: arm64asm.CBZ, reg: "X0"}, 1<<20 - 4},
	{"tbz", func(a *Asm, l codegen.Label) { a.Tbz(R2, 40, l) }, branch{op: arm64asm.TBZ, reg: "X2", bit: "#40"}, branch{op: arm64asm.TBNZ, reg: "X2", bit: "#40"}, 1<<15 - 4},
	{"tbnz", func(a *Asm, l codegen.Label) { a.Tbnz(R30, 7, l) }, branch{op: arm64asm.TBNZ, reg: "W30", bit: "#7"}, branch{op: arm64asm.TBZ, reg: "W30", bit: "#7"}, 1<<15 - 4},
}

// checkShortOrLong checks the conditional form at off: short (one word to
// target) or long (the inverse test over the next word, then B target).
func (fc farCase) check(t testing.TB, code []byte, off, target int, long bool) {
	t.Helper()
	got := branchAt(t, code, off)
	if !long {
		want := fc.short
		want.target = target
		assert.Equal(t, want, got, "%s at %#x: short form", fc.name, off)
		return
	}
	want := fc.inverted
	want.target = off + 8
	assert.Equal(t, want, got, "%s at %#x: inverted test skips the B", fc.name, off)
	assert.Equal(t, branch{op: arm64asm.B, target: target}, branchAt(t, code, off+4), "%s at %#x: B to the target", fc.name, off)
}

// A function larger than the short reach: the conditional branches over it
// are rewritten into an inverted test over a B, forward and backward, and
// the near ones stay short.
func TestFarConditionalBranch(t *testing.T) {
	for _, fc := range farCases {
		t.Run(fc.name, func(t *testing.T) {
			a := New()
			top, end, near := a.NewLabel(), a.NewLabel(), a.NewLabel()
			a.Bind(top)
			fc.emit(a, end)  // forward, far
			fc.emit(a, near) // forward, near
			a.Nop()
			a.Bind(near)
			gap := fc.reach/4 + 16
			nops(a, gap)
			fc.emit(a, top) // backward, far
			a.Bind(end)
			a.Ret()
			bl, err := a.Finish()
			require.NoError(t, err)
			fc.check(t, bl.Code, 0, bl.Offset(end), true)
			fc.check(t, bl.Code, 8, bl.Offset(near), false)
			fc.check(t, bl.Code, bl.Offset(end)-8, 0, true)
			assert.Equal(t, 8+4+4+4*gap+8+4, len(bl.Code))
		})
	}
}

// The exact boundaries of each short form: the largest forward and backward
// distances stay short, one word more relaxes.
func TestConditionalBoundaries(t *testing.T) {
	for _, fc := range farCases {
		tests := []struct {
			name     string
			gap      int // NOPs between
			backward bool
			long     bool
		}{
			{"forward max", fc.reach/4 - 1, false, false},
			{"forward max+4", fc.reach / 4, false, true},
			{"backward min", fc.reach/4 + 1, true, false},
			{"backward min-4", fc.reach/4 + 2, true, true},
		}
		for _, tc := range tests {
			t.Run(fc.name+"/"+tc.name, func(t *testing.T) {
				a := New()
				l := a.NewLabel()
				if tc.backward {
					a.Bind(l)
					nops(a, tc.gap)
					fc.emit(a, l)
				} else {
					fc.emit(a, l)
					nops(a, tc.gap)
					a.Bind(l)
				}
				bl, err := a.Finish()
				require.NoError(t, err)
				size := 4
				if tc.long {
					size = 8
				}
				assert.Equal(t, 4*tc.gap+size, len(bl.Code))
				at := 0
				if tc.backward {
					at = 4 * tc.gap
				}
				fc.check(t, bl.Code, at, bl.Offset(l), tc.long)
				if !tc.long {
					d := bl.Offset(l) - at
					assert.True(t, d == fc.reach || d == -fc.reach-4, "distance %d is the limit", d)
				}
			})
		}
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
			// tbz_{k-1} at 0 ... tbz_0 at 4(k-1): tbz_i spans tbz_0..tbz_{i-1}.
			for i := k - 1; i >= 0; i-- {
				a.Tbz(R1, uint(i), targets[i])
			}
			// Every tbz_i with i ≥ 1 is exactly 32764 bytes (the maximum) from
			// its target until a branch after it grows; tbz_0 is 32768 bytes
			// away with the extra word (just too far), 32764 without.
			for a.Len()+4*k < 32764 {
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
			a.Ret()
			bl, err := a.Finish()
			require.NoError(t, err)
			size := 4
			if extra {
				size = 8
			}
			for j := 0; j < k; j++ { // tbz_{k-1-j} at size*j
				i, at := k-1-j, size*j
				got := branchAt(t, bl.Code, at)
				if !extra {
					require.Equal(t, arm64asm.TBZ, got.op)
					assert.Equal(t, bl.Offset(targets[i]), got.target, "branch %d target", i)
					assert.Equal(t, 32764, got.target-at, "branch %d at its maximum", i)
					continue
				}
				require.Equal(t, arm64asm.TBNZ, got.op, "branch %d is long", i)
				assert.Equal(t, at+8, got.target)
				assert.Equal(t, fmt.Sprintf("#%d", i), got.bit)
				b := branchAt(t, bl.Code, at+4)
				require.Equal(t, arm64asm.B, b.op)
				assert.Equal(t, bl.Offset(targets[i]), b.target, "branch %d target", i)
			}
		})
	}
}

// ADR and LDR (literal) reach ±1 MiB and have no long form: one word
// farther is ErrOutOfRange at Finish.
func TestPCRelOutOfRange(t *testing.T) {
	const limit = 1 << 20
	forms := []struct {
		name string
		emit func(a *Asm, l codegen.Label)
	}{
		{"adr", func(a *Asm, l codegen.Label) { a.Adr(R1, l) }},
		{"ldr literal", func(a *Asm, l codegen.Label) { a.LdrLit(R1, l) }},
	}
	for _, f := range forms {
		for _, tc := range []struct {
			name     string
			gap      int
			backward bool
			ok       bool
		}{
			{"forward max", limit/4 - 2, false, true}, // distance 4 + 4*gap = limit - 4
			{"forward max+4", limit/4 - 1, false, false},
			{"backward min", limit / 4, true, true},
			{"backward min-4", limit/4 + 1, true, false},
		} {
			t.Run(f.name+"/"+tc.name, func(t *testing.T) {
				a := New()
				l := a.NewLabel()
				if tc.backward {
					a.Bind(l)
					nops(a, tc.gap)
					f.emit(a, l)
				} else {
					f.emit(a, l)
					nops(a, tc.gap)
					a.Bind(l)
				}
				bl, err := a.Finish()
				if !tc.ok {
					require.ErrorIs(t, err, codegen.ErrOutOfRange)
					return
				}
				require.NoError(t, err)
				at := 0
				if tc.backward {
					at = 4 * tc.gap
				}
				assert.Equal(t, bl.Offset(l), branchAt(t, bl.Code, at).target)
			})
		}
	}
}

// B and BL reach ±128 MiB and have no longer form; the long form of a
// conditional reaches as far from its second word. Checked on the Arch at
// the exact limits (128 MiB of code would not fit a test), and by EncodeRef
// against the decoder.
func TestBranchReach(t *testing.T) {
	ar := Arch{}
	const lim = 1 << 27
	at := lim + 4096 // room for backward targets (int may be 32 bits)
	for _, k := range []codegen.RefKind{RefB, RefGuard} {
		r := codegen.Ref{Kind: k}
		assert.True(t, ar.Reaches(r, at, at+lim-4))
		assert.False(t, ar.Reaches(r, at, at+lim))
		assert.True(t, ar.Reaches(r, at, at-lim))
		assert.False(t, ar.Reaches(r, at, at-lim-4))
		assert.False(t, ar.Reaches(r, at, at+2), "not a multiple of 4")
	}
	for _, k := range []codegen.RefKind{RefBcond, RefCbz, RefTbz} {
		r := codegen.Ref{Kind: k, Long: true}
		assert.True(t, ar.Reaches(r, at, at+4+lim-4))
		assert.False(t, ar.Reaches(r, at, at+4+lim))
		assert.True(t, ar.Reaches(r, at, at+4-lim))
		assert.False(t, ar.Reaches(r, at, at-lim))
		assert.False(t, ar.HasLong(r))
		assert.Equal(t, 8, ar.RefSize(r))
		r.Long = false
		assert.True(t, ar.HasLong(r))
		assert.Equal(t, 4, ar.RefSize(r))
	}
	for _, k := range []codegen.RefKind{RefB, RefAdr, RefLdrLit, RefGuard} {
		r := codegen.Ref{Kind: k}
		assert.False(t, ar.HasLong(r))
		assert.Equal(t, 4, ar.RefSize(r))
	}
	assert.True(t, ar.Reaches(codegen.Ref{Kind: RefAdr}, 100, 101), "ADR takes any byte offset")
	assert.False(t, ar.Reaches(codegen.Ref{Kind: RefLdrLit}, 100, 102))

	// EncodeRef at the limits decodes to the same targets.
	for _, tc := range []struct {
		r        codegen.Ref
		to, size int
	}{
		{codegen.Ref{Kind: RefB}, at + lim - 4, 4},
		{codegen.Ref{Kind: RefB, Aux: auxLink}, at - lim, 4},
		{codegen.Ref{Kind: RefBcond, Aux: uint32(GE), Long: true}, at + lim, 8},
		{codegen.Ref{Kind: RefCbz, Aux: auxNot | 5, Long: true}, at + 4 - lim, 8},
		{codegen.Ref{Kind: RefTbz, Aux: 63<<6 | 7, Long: true}, at + lim, 8},
		{codegen.Ref{Kind: RefBcond, Aux: uint32(LT)}, at + 1<<20 - 4, 4},
		{codegen.Ref{Kind: RefCbz, Aux: 30}, at - 1<<20, 4},
		{codegen.Ref{Kind: RefTbz, Aux: auxNot | 31<<6 | 2}, at + 1<<15 - 4, 4},
		{codegen.Ref{Kind: RefAdr, Aux: 3}, at + 1<<20 - 1, 4},
		{codegen.Ref{Kind: RefAdr, Aux: 3}, at - 1<<20, 4},
		{codegen.Ref{Kind: RefLdrLit, Aux: 3}, at - 1<<20, 4},
	} {
		code := ar.EncodeRef(nil, tc.r, at, tc.to)
		require.Len(t, code, tc.size)
		inst := decodeAt(t, code, tc.size-4) // the word that carries the target
		off := at + tc.size - 4
		rel, ok := inst.Args[0].(arm64asm.PCRel)
		for i := 1; !ok && i < len(inst.Args) && inst.Args[i] != nil; i++ {
			rel, ok = inst.Args[i].(arm64asm.PCRel)
		}
		require.True(t, ok, arm64asm.GNUSyntax(inst))
		assert.Equal(t, tc.to, off+int(rel), "%+v: %s", tc.r, arm64asm.GNUSyntax(inst))
	}
	assert.Panics(t, func() { ar.EncodeRef(nil, codegen.Ref{Kind: RefB}, 0, lim) }, "a reference that does not reach is a BUG")
	assert.Panics(t, func() { ar.Reaches(codegen.Ref{Kind: 99}, 0, 0) })
	if math.MaxInt > math.MaxInt32 {
		far := int64(1) << 40
		assert.False(t, ar.Reaches(codegen.Ref{Kind: RefB}, 0, int(far)))
	}
}

func TestUndefinedLabel(t *testing.T) {
	for _, emit := range []func(a *Asm, l codegen.Label){
		func(a *Asm, l codegen.Label) { a.B(l) },
		func(a *Asm, l codegen.Label) { a.Bl(l) },
		func(a *Asm, l codegen.Label) { a.Bcond(EQ, l) },
		func(a *Asm, l codegen.Label) { a.Cbz(R1, l) },
		func(a *Asm, l codegen.Label) { a.Tbnz(R1, 3, l) },
		func(a *Asm, l codegen.Label) { a.Adr(R1, l) },
		func(a *Asm, l codegen.Label) { a.LdrLit(R1, l) },
	} {
		a := New()
		emit(a, a.NewLabel())
		_, err := a.Finish()
		assert.ErrorIs(t, err, codegen.ErrUndefinedLabel)
	}
}

// Patch sites keep their guarantees whatever precedes them: any number of
// instructions, and a preceding far B.cond whose rewrite shifts everything
// after it by one word.
func TestSiteGuarantees(t *testing.T) {
	for pre := 0; pre < 16; pre++ {
		for _, relax := range []bool{false, true} {
			t.Run(fmt.Sprintf("pre=%d,relax=%v", pre, relax), func(t *testing.T) {
				a := New()
				fn, far := a.NewLabel(), a.NewLabel()
				a.Bind(fn)
				if relax {
					a.Tbnz(R3, 5, far)
				}
				nops(a, pre)
				a.JumpSite("jump", fn)
				nops(a, pre%3)
				a.CallSite("call", fn)
				a.GuardSite("guard", far)
				slot := a.DataSlot("slot", 0x1122334455667788)
				a.Nop()
				slot2 := a.DataSlot("slot2", 42)
				a.LdrLit(R4, slot)
				if relax {
					nops(a, 9000)
				}
				a.Bind(far)
				a.Ret()
				bl, err := a.Finish()
				require.NoError(t, err)
				require.Len(t, bl.Sites, 5)

				for _, s := range bl.Sites {
					switch s.Kind {
					case codegen.SiteBranch, codegen.SiteGuard:
						assert.Zero(t, s.Offset%4, "%s word-aligned", s.Name)
						assert.Equal(t, s.Offset/8, (s.Offset+s.Change+s.ChangeLen-1)/8, "%s in one aligned qword", s.Name)
						assert.Equal(t, 4, s.Size)
						assert.Equal(t, 0, s.Change)
						assert.Equal(t, 4, s.ChangeLen)
						assert.Equal(t, codegen.WordAligned|codegen.PatchClass|codegen.InAlignedQword, s.Guarantee)
						w := words(bl.Code[s.Offset : s.Offset+4])[0]
						assert.True(t, IsPatchClass(w), "%s: %#08x", s.Name, w)
						target := bl.Offset(s.Target)
						switch s.Name {
						case "jump", "call":
							to, link, ok := BranchTarget(w, uint64(s.Offset))
							require.True(t, ok)
							assert.Equal(t, uint64(target), to)
							assert.Equal(t, s.Name == "call", link)
							want := arm64asm.B
							if link {
								want = arm64asm.BL
							}
							assert.Equal(t, branch{op: want, target: target}, branchAt(t, bl.Code, s.Offset))
						case "guard":
							assert.Equal(t, NopWord, w)
							armed, err := EncodeB(uint64(s.Offset), uint64(target), false)
							require.NoError(t, err)
							code := append([]byte(nil), bl.Code...)
							copy(code[s.Offset:], binary.LittleEndian.AppendUint32(nil, armed))
							assert.Equal(t, branch{op: arm64asm.B, target: target}, branchAt(t, code, s.Offset))
						}
					case codegen.SiteData:
						assert.Zero(t, s.Offset%8, "%s 8-aligned", s.Name)
						assert.Equal(t, codegen.DataAligned8, s.Guarantee)
						assert.Equal(t, 8, s.Size)
						assert.Equal(t, 8, s.ChangeLen)
						assert.Equal(t, codegen.Label(0), s.Target)
					default:
						t.Errorf("unexpected site %+v", s)
					}
				}
				assert.Equal(t, bl.Sites[3].Offset, bl.Offset(slot))
				assert.Equal(t, bl.Sites[4].Offset, bl.Offset(slot2))
				w := words(bl.Code[bl.Offset(slot) : bl.Offset(slot)+8])
				assert.Equal(t, uint64(0x1122334455667788), uint64(w[1])<<32|uint64(w[0]))
				assert.Equal(t, []uint32{42, 0}, words(bl.Code[bl.Offset(slot2):bl.Offset(slot2)+8]))
				// Padding before a slot is NOPs.
				for off := bl.Sites[2].Offset + 4; off < bl.Offset(slot); off += 4 {
					assert.Equal(t, NopWord, words(bl.Code[off : off+4])[0])
				}
				// The literal load reads the slot.
				ld := bl.Offset(slot2) + 8
				assert.Equal(t, branch{op: arm64asm.LDR, target: bl.Offset(slot), reg: "X4"}, branchAt(t, bl.Code, ld))
			})
		}
	}
}

// A site after raw bytes that broke word alignment is refused.
func TestSiteMisaligned(t *testing.T) {
	for _, emit := range []func(a *Asm){
		func(a *Asm) { a.JumpSite("b", a.NewLabel()) },
		func(a *Asm) { a.CallSite("c", a.NewLabel()) },
		func(a *Asm) { a.GuardSite("g", a.NewLabel()) },
		func(a *Asm) { a.DataSlot("d", 0) },
		func(a *Asm) { a.BindDataSlot(a.NewLabel(), "d", 0) },
	} {
		a := New()
		a.Emit(0)
		emit(a)
		require.ErrorIs(t, a.Err(), codegen.ErrBadOperand)
	}
}

// Branch and guard sites are fixed forms: beyond ±128 MiB the layout
// reports ErrOutOfRange (a form without a long one that does not reach),
// never a rewrite. 128 MiB of code does not fit a test: the Arch says so at
// the limit, and the layout's rule is codegen's (TestBranchReach, and
// codegen's own tests).
func TestSiteOutOfRange(t *testing.T) {
	ar := Arch{}
	for _, k := range []codegen.RefKind{RefB, RefGuard} {
		r := codegen.Ref{Kind: k, Site: true}
		assert.False(t, ar.HasLong(r), "kind %d", k)
		assert.True(t, ar.Reaches(r, 1<<27, 0))
		assert.False(t, ar.Reaches(r, 1<<27+4, 0))
		assert.False(t, ar.Reaches(r, 0, 1<<27))
	}
}

func TestEncodeB(t *testing.T) {
	const lim = 1 << 27
	tests := []struct {
		from, to uint64
		link     bool
		want     uint32
		err      error
	}{
		{0x1000, 0x1008, false, 0x14000002, nil},
		{0x1000, 0x1000, true, 0x94000000, nil},
		{0x1000, 0xff8, true, 0x97fffffe, nil},
		{0, lim - 4, false, 0x15ffffff, nil},
		{lim, 0, false, 0x16000000, nil},
		{0xffff_ffff_ffff_fff0, 0x10, false, 0x14000008, nil}, // wraps around the address space
		{0, lim, false, 0, codegen.ErrOutOfRange},
		{lim + 4, 0, false, 0, codegen.ErrOutOfRange},
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
			inst, derr := decodeWord(binary.LittleEndian.AppendUint32(nil, w))
			require.NoError(t, derr)
			assert.Equal(t, arm64asm.PCRel(int64(tc.to-tc.from)), inst.Args[0])
		})
	}
}

func TestIsPatchClass(t *testing.T) {
	tests := []struct {
		w    uint32
		want bool
		what string
	}{
		{0x14000002, true, "b"},
		{0x94000002, true, "bl"},
		{0x17ffffff, true, "b .-4"},
		{NopWord, true, "nop"},
		{BrkWord(0), true, "brk #0"},
		{BrkWord(0xffff), true, "brk #0xffff"},
		{IsbWord, true, "isb"},
		{0xd4000001, true, "svc #0"},
		{0xd4000002, true, "hvc #0"},
		{0xd4000003, true, "smc #0"},
		{0xd4001fe1, true, "svc #0xff"},
		{0xd4000000, false, "svc space, LL=00 (unallocated)"},
		{0xd4400000, false, "hlt #0"},
		{0xd503203f, false, "yield (another hint)"},
		{0xd503205f, false, "wfe"},
		{0xd503209f, false, "sev... a hint, not NOP"},
		{0xd5033f9f, false, "dsb sy"},
		{0xd5033bdf, false, "isb with another option"},
		{0x54000040, false, "b.eq"},
		{0xb4000040, false, "cbz"},
		{RetWord, false, "ret"},
		{0xd63f0200, false, "blr x16"},
		{0xd2800020, false, "mov x0, #1"},
		{0, false, "udf #0"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, IsPatchClass(tc.w), tc.what)
		_, _, isB := BranchTarget(tc.w, 0)
		assert.Equal(t, tc.w>>26&0x1f == 5, isB, tc.what)
	}
	// Every fixed word the package exports decodes as what it claims.
	for _, tc := range []struct {
		w    uint32
		text string
	}{
		{NopWord, "nop"}, {RetWord, "ret"}, {IsbWord, "isb"}, {DsbIshWord, "dsb ish"}, {DmbIshWord, "dmb ish"},
		{BrkWord(0x3e8), "brk #0x3e8"},
	} {
		text, _, err := Decode(binary.LittleEndian.AppendUint32(nil, tc.w), 0)
		require.NoError(t, err)
		assert.Equal(t, tc.text, text)
	}
}
