package amd64_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/arch/x86/x86asm"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/amd64"
)

// siteCase is one patch-site primitive: how to emit it, the site record it
// must produce (Offset aside) and the bytes at the site.
type siteCase struct {
	name string
	emit func(a *amd64.Asm, target codegen.Label)
	want codegen.Site
	// bytes returns the expected site bytes given the site and target offsets.
	bytes func(off, target int) []byte
	// minimal: the site only needs its changed bytes inside one aligned
	// qword, so the padding before it must be the least that achieves it.
	minimal bool
}

func rel32(v int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(int32(v))) }

func cat(ps ...[]byte) []byte {
	var out []byte
	for _, p := range ps {
		out = append(out, p...)
	}
	return out
}

var siteCases = []siteCase{
	{
		name: "JumpSite",
		emit: func(a *amd64.Asm, l codegen.Label) { a.JumpSite("slot", l) },
		want: codegen.Site{Name: "slot", Kind: codegen.SiteBranch, Size: 8, Change: 0, ChangeLen: 5, Guarantee: codegen.InAlignedQword},
		bytes: func(off, target int) []byte {
			return cat([]byte{0xE9}, rel32(target-(off+5)), []byte{0xCC, 0xCC, 0xCC})
		},
	},
	{
		name: "CallSite",
		emit: func(a *amd64.Asm, l codegen.Label) { a.CallSite("call", l) },
		want: codegen.Site{Name: "call", Kind: codegen.SiteBranch, Size: 8, Change: 3, ChangeLen: 5, Guarantee: codegen.InAlignedQword},
		bytes: func(off, target int) []byte {
			return cat([]byte{0x0F, 0x1F, 0x00, 0xE8}, rel32(target-(off+8)))
		},
	},
	{
		name:    "GuardSite8",
		emit:    func(a *amd64.Asm, l codegen.Label) { a.GuardSite8("g2", l) },
		want:    codegen.Site{Name: "g2", Kind: codegen.SiteGuard, Size: 2, Change: 0, ChangeLen: 2, Guarantee: codegen.InAlignedQword},
		bytes:   func(int, int) []byte { return []byte{0x66, 0x90} },
		minimal: true,
	},
	{
		name:    "GuardSite",
		emit:    func(a *amd64.Asm, l codegen.Label) { a.GuardSite("g5", l) },
		want:    codegen.Site{Name: "g5", Kind: codegen.SiteGuard, Size: 5, Change: 0, ChangeLen: 5, Guarantee: codegen.InAlignedQword},
		bytes:   func(int, int) []byte { return []byte{0x0F, 0x1F, 0x44, 0x00, 0x00} },
		minimal: true,
	},
	{
		name:    "MovImm32Site",
		emit:    func(a *amd64.Asm, _ codegen.Label) { a.MovImm32Site("imm", amd64.R9, -2) },
		want:    codegen.Site{Name: "imm", Kind: codegen.SiteImm, Size: 7, Change: 3, ChangeLen: 4, Guarantee: codegen.InAlignedQword},
		bytes:   func(int, int) []byte { return []byte{0x49, 0xC7, 0xC1, 0xFE, 0xFF, 0xFF, 0xFF} },
		minimal: true,
	},
	{
		name:  "MovAbsSite",
		emit:  func(a *amd64.Asm, _ codegen.Label) { a.MovAbsSite("abs", amd64.RDX, 0x0102030405060708, 0) },
		want:  codegen.Site{Name: "abs", Kind: codegen.SiteImm, Size: 10, Change: 0, ChangeLen: 10, Guarantee: codegen.MultiWord},
		bytes: func(int, int) []byte { return []byte{0x48, 0xBA, 8, 7, 6, 5, 4, 3, 2, 1} },
	},
	{
		name:  "DataSlot",
		emit:  func(a *amd64.Asm, _ codegen.Label) { a.DataSlot("data", 0xDEADBEEF) },
		want:  codegen.Site{Name: "data", Kind: codegen.SiteData, Size: 8, Change: 0, ChangeLen: 8, Guarantee: codegen.DataAligned8},
		bytes: func(int, int) []byte { return []byte{0xEF, 0xBE, 0xAD, 0xDE, 0, 0, 0, 0} },
	},
}

// TestSiteGuarantees emits k bytes (k = 0…15) before every site primitive
// and checks the record, the alignment guarantee, that the padding is whole
// nops (and minimal where the site only needs a window), and the bytes.
func TestSiteGuarantees(t *testing.T) {
	for _, sc := range siteCases {
		for k := range 16 {
			t.Run(fmt.Sprintf("%s/after%d", sc.name, k), func(t *testing.T) {
				a := amd64.New()
				if k > 0 {
					a.Nop(k)
				}
				target := a.NewLabel()
				sc.emit(a, target)
				a.Nop(3)
				a.Bind(target)
				a.Ret()
				bl, err := a.Finish()
				require.NoError(t, err)
				require.Len(t, bl.Sites, 1)
				s := bl.Sites[0]
				off := s.Offset
				want := sc.want
				want.Offset = off
				if sc.want.Kind == codegen.SiteBranch || sc.want.Kind == codegen.SiteGuard {
					want.Target = target
				}
				require.Equal(t, want, s)

				// The guarantee.
				switch s.Guarantee {
				case codegen.InAlignedQword:
					first, last := off+s.Change, off+s.Change+s.ChangeLen-1
					require.Equal(t, first/8, last/8, "changed bytes [%d,%d] cross a qword", first, last)
				case codegen.MultiWord, codegen.DataAligned8:
					require.Zero(t, off%8)
				default:
					t.Fatalf("unexpected guarantee %v", s.Guarantee)
				}
				if s.Kind == codegen.SiteBranch {
					// Slots own their whole aligned qword.
					require.Zero(t, off%8)
				}

				// Padding: whole nops, less than a qword, minimal for windows.
				require.GreaterOrEqual(t, off, k)
				require.Less(t, off-k, 8)
				if sc.minimal {
					p := 0
					for (k+p+s.Change)/8 != (k+p+s.Change+s.ChangeLen-1)/8 {
						p++
					}
					require.Equal(t, k+p, off, "padding is not minimal")
				}
				for at := k; at < off; {
					inst, err := x86asm.Decode(bl.Code[at:off], 64)
					require.NoError(t, err)
					require.Equal(t, x86asm.NOP, inst.Op)
					at += inst.Len
				}

				require.Equal(t, sc.bytes(off, bl.Offset(target)), bl.Code[off:off+s.Size])
				if s.Kind == codegen.SiteData {
					return
				}
				// The site is whole instructions: decoding from 0 lands on off
				// and on off+Size.
				seen := map[int]bool{}
				for at := 0; at < len(bl.Code); {
					inst, err := x86asm.Decode(bl.Code[at:], 64)
					require.NoError(t, err)
					seen[at] = true
					at += inst.Len
				}
				assert.True(t, seen[off], "site starts an instruction")
				assert.True(t, seen[off+s.Size], "site ends an instruction")
			})
		}
	}
}

// store8 simulates the patcher's atomic store: p replaces code[at:] and must
// lie inside one aligned qword, which is rewritten whole.
func store8(t *testing.T, code []byte, at int, p []byte) {
	t.Helper()
	q := at &^ 7
	require.LessOrEqual(t, at+len(p), q+8, "patch [%d,%d) crosses a qword", at, at+len(p))
	var w [8]byte
	copy(w[:], code[q:q+8])
	copy(w[at-q:], p)
	copy(code[q:q+8], w[:])
}

func decodeAt(t *testing.T, code []byte, at int) x86asm.Inst {
	t.Helper()
	inst, err := x86asm.Decode(code[at:], 64)
	require.NoError(t, err)
	return inst
}

func target(inst x86asm.Inst, at int) int { return at + inst.Len + int(inst.Args[0].(x86asm.Rel)) }

// TestPatchSimulation applies what a patcher writes (built with the exported
// byte helpers) to each site and decodes the result.
func TestPatchSimulation(t *testing.T) {
	a := amd64.New()
	a.Nop(3)
	t1, t2 := a.NewLabel(), a.NewLabel()
	a.JumpSite("jmp", t1)
	a.Nop(1)
	a.CallSite("call", t1)
	a.GuardSite8("g2", t2)
	a.GuardSite("g5", t2)
	a.MovImm32Site("imm", amd64.R12, 7)
	a.MovAbsSite("abs", amd64.RAX, 1, 0)
	a.Bind(t1)
	a.Ret()
	a.Bind(t2)
	a.Ud2()
	bl, err := a.Finish()
	require.NoError(t, err)
	code := append([]byte(nil), bl.Code...)
	site := map[string]codegen.Site{}
	for _, s := range bl.Sites {
		site[s.Name] = s
	}
	o1, o2 := bl.Offset(t1), bl.Offset(t2)

	// Jump slot: retarget t1 → t2.
	s := site["jmp"]
	require.Equal(t, o1, target(decodeAt(t, code, s.Offset), s.Offset))
	j, err := amd64.EncodeJmpRel32(uint64(s.Offset), uint64(o2))
	require.NoError(t, err)
	store8(t, code, s.Offset+s.Change, j[:])
	require.Equal(t, o2, target(decodeAt(t, code, s.Offset), s.Offset))

	// Call slot: the call is at Offset+Change.
	s = site["call"]
	at := s.Offset + s.Change
	require.Equal(t, x86asm.CALL, decodeAt(t, code, at).Op)
	require.Equal(t, o1, target(decodeAt(t, code, at), at))
	c, err := amd64.EncodeCallRel32(uint64(at), uint64(o2))
	require.NoError(t, err)
	store8(t, code, at, c[:])
	require.Equal(t, o2, target(decodeAt(t, code, at), at))
	require.Equal(t, s.Offset+8, at+5, "the call ends the slot")

	// Guards: arm (nop → jmp to target), then disarm.
	for _, name := range []string{"g2", "g5"} {
		s = site[name]
		orig := append([]byte(nil), code[s.Offset:s.Offset+s.Size]...)
		require.Equal(t, x86asm.NOP, decodeAt(t, code, s.Offset).Op)
		var armed []byte
		if s.Size == 2 {
			j, err := amd64.EncodeJmpRel8(uint64(s.Offset), uint64(o2))
			require.NoError(t, err)
			armed = j[:]
		} else {
			j, err := amd64.EncodeJmpRel32(uint64(s.Offset), uint64(o2))
			require.NoError(t, err)
			armed = j[:]
		}
		require.Len(t, armed, s.ChangeLen)
		store8(t, code, s.Offset, armed)
		inst := decodeAt(t, code, s.Offset)
		require.Equal(t, x86asm.JMP, inst.Op)
		require.Equal(t, s.Size, inst.Len)
		require.Equal(t, o2, target(inst, s.Offset))
		nop, err := amd64.NopBytes(s.Size)
		require.NoError(t, err)
		store8(t, code, s.Offset, nop)
		require.Equal(t, orig, code[s.Offset:s.Offset+s.Size])
	}

	// Immediate: change 7 → -100000.
	s = site["imm"]
	nb, err := amd64.MovImm32Bytes(amd64.R12, -100000)
	require.NoError(t, err)
	require.Equal(t, code[s.Offset:s.Offset+s.Change], nb[:s.Change], "opcode bytes unchanged")
	store8(t, code, s.Offset+s.Change, nb[s.Change:s.Change+s.ChangeLen])
	require.NoError(t, oracle(code[s.Offset:s.Offset+s.Size], x86asm.MOV, x86asm.R12, x86asm.Imm(-100000)))

	// movabs, self-loop protocol: head → EB FE, tail, head.
	s = site["abs"]
	nb10, err := amd64.MovAbsBytes(amd64.RAX, math.MinInt64)
	require.NoError(t, err)
	store8(t, code, s.Offset, amd64.SelfLoop[:])
	inst := decodeAt(t, code, s.Offset)
	require.Equal(t, x86asm.JMP, inst.Op)
	require.Equal(t, s.Offset, target(inst, s.Offset), "self loop")
	copy(code[s.Offset+2:s.Offset+s.Size], nb10[2:]) // tail: the thread spins meanwhile
	require.Equal(t, s.Offset, target(decodeAt(t, code, s.Offset), s.Offset))
	store8(t, code, s.Offset, nb10[:2])
	require.NoError(t, oracle(code[s.Offset:s.Offset+s.Size], x86asm.MOV, x86asm.RAX, x86asm.Imm(math.MinInt64)))
}

func TestGuardReach(t *testing.T) {
	guard := func(a *amd64.Asm, size int, l codegen.Label) {
		if size == 2 {
			a.GuardSite8("g", l)
		} else {
			a.GuardSite("g", l)
		}
	}
	for _, tc := range []struct {
		size, gap int
		backward  bool
		ok        bool
	}{
		{2, 127, false, true}, {2, 128, false, false},
		{2, 126, true, true}, {2, 127, true, false},
		{5, 128, false, true}, {5, 5000, true, true},
	} {
		a := amd64.New()
		l := a.NewLabel()
		if tc.backward {
			a.Bind(l)
			for range tc.gap {
				a.Int3()
			}
			guard(a, tc.size, l)
		} else {
			guard(a, tc.size, l)
			for range tc.gap {
				a.Int3()
			}
			a.Bind(l)
		}
		bl, err := a.Finish()
		if !tc.ok {
			require.ErrorIs(t, err, codegen.ErrOutOfRange, "%+v", tc)
			continue
		}
		require.NoError(t, err, "%+v", tc)
		// The armed form is encodable.
		s := bl.Sites[0]
		if tc.size == 2 {
			_, err = amd64.EncodeJmpRel8(uint64(s.Offset), uint64(bl.Offset(l)))
		} else {
			_, err = amd64.EncodeJmpRel32(uint64(s.Offset), uint64(bl.Offset(l)))
		}
		require.NoError(t, err, "%+v", tc)
	}
	a := amd64.New()
	a.GuardSite("g", a.NewLabel())
	_, err := a.Finish()
	require.ErrorIs(t, err, codegen.ErrUndefinedLabel)
}

func TestEncodeHelpers(t *testing.T) {
	const base = uint64(0x7f0000001000)
	for _, tc := range []struct {
		d   int64 // displacement from the end of the instruction
		ok8 bool
		ok  bool
	}{
		{0, true, true}, {127, true, true}, {-128, true, true}, {128, false, true}, {-129, false, true},
		{math.MaxInt32, false, true}, {math.MinInt32, false, true},
		{math.MaxInt32 + 1, false, false}, {math.MinInt32 - 1, false, false},
	} {
		j8, err := amd64.EncodeJmpRel8(base, uint64(int64(base)+2+tc.d))
		if tc.ok8 {
			require.NoError(t, err)
			require.NoError(t, oracle(j8[:], x86asm.JMP, x86asm.Rel(tc.d)))
		} else {
			require.ErrorIs(t, err, codegen.ErrOutOfRange, "rel8 %d", tc.d)
		}
		j, err := amd64.EncodeJmpRel32(base, uint64(int64(base)+5+tc.d))
		c, errc := amd64.EncodeCallRel32(base, uint64(int64(base)+5+tc.d))
		if tc.ok {
			require.NoError(t, err)
			require.NoError(t, errc)
			require.NoError(t, oracle(j[:], x86asm.JMP, x86asm.Rel(tc.d)))
			require.NoError(t, oracle(c[:], x86asm.CALL, x86asm.Rel(tc.d)))
		} else {
			require.ErrorIs(t, err, codegen.ErrOutOfRange, "rel32 %d", tc.d)
			require.ErrorIs(t, errc, codegen.ErrOutOfRange, "rel32 %d", tc.d)
		}
	}
	// Wrap-around of unsigned addresses is handled as a distance.
	j, err := amd64.EncodeJmpRel32(10, 0)
	require.NoError(t, err)
	require.NoError(t, oracle(j[:], x86asm.JMP, x86asm.Rel(-15)))
	_, err = amd64.EncodeJmpRel32(0, math.MaxUint64)
	require.NoError(t, err)
	_, err = amd64.EncodeJmpRel32(0, 1<<63)
	require.ErrorIs(t, err, codegen.ErrOutOfRange)

	for _, r := range allRegs {
		for _, imm := range imm64s {
			m, err := amd64.MovImm32Bytes(r, int32(imm))
			require.NoError(t, err)
			require.NoError(t, oracle(m[:], x86asm.MOV, r64(r), x86asm.Imm(int32(imm))))
			ab, err := amd64.MovAbsBytes(r, imm)
			require.NoError(t, err)
			require.NoError(t, oracle(ab[:], x86asm.MOV, r64(r), x86asm.Imm(imm)))
			// The helpers produce what the sites emit.
			a := amd64.New()
			a.MovImm32Site("a", r, int32(imm))
			a.MovAbsSite("b", r, imm, 0)
			bl, err := a.Finish()
			require.NoError(t, err)
			require.Equal(t, m[:], bl.Code[bl.Sites[0].Offset:][:7])
			require.Equal(t, ab[:], bl.Code[bl.Sites[1].Offset:][:10])
		}
	}
	_, err = amd64.MovImm32Bytes(16, 0)
	require.ErrorIs(t, err, codegen.ErrBadOperand)
	_, err = amd64.MovAbsBytes(16, 0)
	require.ErrorIs(t, err, codegen.ErrBadOperand)
	require.NoError(t, oracle(amd64.SelfLoop[:], x86asm.JMP, x86asm.Rel(-2)))
}
