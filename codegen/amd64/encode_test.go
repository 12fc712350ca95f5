package amd64_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/arch/x86/x86asm"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/amd64"
	"github.com/syncore/syncore/codegen/internal/golden"
)

const (
	rax = amd64.RAX
	rcx = amd64.RCX
	rdx = amd64.RDX
	rbx = amd64.RBX
	rsp = amd64.RSP
	rbp = amd64.RBP
	rsi = amd64.RSI
	rdi = amd64.RDI
	r8  = amd64.R8
	r9  = amd64.R9
	r10 = amd64.R10
	r11 = amd64.R11
	r12 = amd64.R12
	r13 = amd64.R13
	r14 = amd64.R14
	r15 = amd64.R15
)

func bd(b amd64.Reg, d int32) amd64.Mem { return amd64.BaseDisp(b, d) }
func bi(b, i amd64.Reg, s uint8, d int32) amd64.Mem {
	return amd64.BaseIndex(b, i, s, d)
}

// gnu is the GNU golden test of this package: the bytes GNU as produced
// for each line of testdata/gnu.s, against the same code as statements for
// this package (after the source's "#").
var gnu = golden.Harness[byte]{Pkg: "amd64", Marker: "#", Asm: asmType, Parse: hex.DecodeString, Run: runGolden}

var (
	regType   = reflect.TypeFor[amd64.Reg]()
	condType  = reflect.TypeFor[amd64.Cond]()
	memType   = reflect.TypeFor[amd64.Mem]()
	asmType   = reflect.TypeFor[*amd64.Asm]()
	memSyntax = regexp.MustCompile(`^\[([a-z0-9]+)(?:\+([a-z0-9]+)\*([0-9]+))?(?:([+-])0x([0-9a-f]+))?\]$`)
)

// runGolden assembles code into a new assembler (golden.Run: registers and
// conditions by name, memory operands as Mem.String prints them; Skip(n) is
// n int3 bytes, which stands for GNU as's ".fill n,1,0xcc") and returns
// what Finish returns and the names of the Asm methods it called.
func runGolden(code string) ([]byte, []string, error) {
	a := amd64.New()
	bl, called, err := golden.Run(a, code, func(n int) { a.Emit(bytes.Repeat([]byte{0xCC}, n)...) }, goldenOperand)
	if err != nil {
		return nil, called, err
	}
	return bl.Code, called, nil
}

// goldenOperand converts s to a register, condition or memory operand.
func goldenOperand(s string, t reflect.Type) (reflect.Value, bool, error) {
	switch t {
	case regType:
		for r := range amd64.Reg(amd64.NumRegs) {
			if r.String() == s {
				return reflect.ValueOf(r), true, nil
			}
		}
		return reflect.Value{}, true, fmt.Errorf("no register %q", s)
	case condType:
		for c := range amd64.Cond(amd64.NumConds) {
			if c.String() == s {
				return reflect.ValueOf(c), true, nil
			}
		}
		return reflect.Value{}, true, fmt.Errorf("no condition %q", s)
	case memType:
		m, err := parseMem(s)
		return reflect.ValueOf(m), true, err
	}
	return reflect.Value{}, false, nil
}

// parseMem reads a memory operand as [amd64.Mem.String] prints it.
func parseMem(s string) (amd64.Mem, error) {
	sub := memSyntax.FindStringSubmatch(s)
	if sub == nil {
		return amd64.Mem{}, fmt.Errorf("%q is not a memory operand", s)
	}
	reg := func(name string) amd64.Reg {
		for r := range amd64.Reg(amd64.NumRegs) {
			if r.String() == name {
				return r
			}
		}
		return amd64.Reg(amd64.NumRegs)
	}
	m := amd64.Mem{Base: reg(sub[1])}
	if sub[2] != "" {
		sc, _ := strconv.Atoi(sub[3])
		m.Index, m.Scale, m.HasIndex = reg(sub[2]), uint8(sc), true
	}
	if sub[5] != "" {
		d, err := strconv.ParseInt(sub[4]+sub[5], 16, 64)
		if err != nil || d != int64(int32(d)) {
			return amd64.Mem{}, fmt.Errorf("%q: displacement out of range", s)
		}
		m.Disp = int32(d)
	}
	if m.String() != s {
		return amd64.Mem{}, fmt.Errorf("%q is not canonical: %s", s, m)
	}
	return m, nil
}

// encoders are the methods of Asm that are its own (not promoted from the
// embedded codegen.Buffer): every instruction, data and patch-site emitter.
func encoders() []string { return golden.Encoders(asmType) }

// TestGNUGolden checks every line of testdata/gnu.golden: package amd64
// must emit exactly the bytes that GNU as produced for the line's source
// (testdata/gnu.sh regenerates the file from testdata/gnu.s). Every encoder
// of Asm must appear in it, and gnu.golden must be up to date with gnu.s.
func TestGNUGolden(t *testing.T) { gnu.Test(t) }

// TestGNUGoldenRejectsWrongEncodings is TestGNUGolden's negative control: a
// wrong byte, a missing or extra byte, code that does not match the source,
// and an encoder left out are all caught.
func TestGNUGoldenRejectsWrongEncodings(t *testing.T) {
	lines := gnu.Load(t)
	var l golden.Case[byte]
	for _, l = range lines {
		if l.Code == "MovRR(rax, rcx)" {
			break
		}
	}
	require.Equal(t, "movq %rcx,%rax", l.Gas)
	_, err := gnu.Check(l)
	require.NoError(t, err)

	bad := l
	bad.Want = append([]byte(nil), l.Want...)
	bad.Want[2] ^= 0x08 // ModRM reg field: rcx → r9's low bits
	_, err = gnu.Check(bad)
	assert.Error(t, err, "a wrong byte")
	bad.Want = l.Want[:len(l.Want)-1]
	_, err = gnu.Check(bad)
	assert.Error(t, err, "a missing byte")
	bad.Want = append(append([]byte(nil), l.Want...), 0xC3)
	_, err = gnu.Check(bad)
	assert.Error(t, err, "an extra byte")
	bad = l
	bad.Code = "MovRR(rcx, rax)" // operands swapped
	_, err = gnu.Check(bad)
	assert.Error(t, err, "code that is not the source")
	for _, code := range []string{"MovRR(rax)", "MovRR(rax, 16)", "Nope()", "MovRR(rax, rcx", "Jmp(L1)", "Load(rax, [rax+0x0])"} {
		bad.Code = code
		_, err = gnu.Check(bad)
		assert.Error(t, err, "%q", code)
	}

	leftOut := func(c golden.Case[byte]) bool { return strings.Contains(c.Code, "GuardSite8(") }
	assert.Equal(t, []string{"GuardSite8"}, gnu.Uncovered(lines, leftOut))
}

var allRegs = func() []amd64.Reg {
	rs := make([]amd64.Reg, 16)
	for i := range rs {
		rs[i] = amd64.Reg(i)
	}
	return rs
}()

// TestFormsRegisters runs every form over every register (pair) and, for
// forms with an immediate, every boundary immediate.
func TestFormsRegisters(t *testing.T) {
	n := 0
	for _, f := range forms {
		for _, r1 := range allRegs {
			for _, r2 := range allRegs {
				for i, imm := range imm64s {
					c := amd64.Cond(i+int(r1)+int(r2)) % 16 // every condition for every pair
					o := ops{r1: r1, r2: r2, cond: c, imm: imm, n: int(r2) + i, mem: bd(r1, int32(imm))}
					if err := checkForm(f, o); err != nil {
						t.Fatal(err)
					}
					n++
				}
			}
		}
	}
	t.Logf("%d encodings checked", n)
}

// TestImmediates covers the imm8/imm32 boundaries of every immediate form
// on every register.
func TestImmediates(t *testing.T) {
	for _, name := range []string{"AddRI", "SubRI", "AndRI", "OrRI", "XorRI", "CmpRI", "TestRI", "ImulRRI", "MovRI32", "StoreI32"} {
		f := formByName(name)
		for _, r := range allRegs {
			for _, imm := range imm32s {
				o := ops{r1: r, r2: 15 - r, imm: imm, mem: bd(r, 0)}
				require.NoError(t, checkForm(f, o))
			}
		}
	}
	for _, name := range []string{"MovRI", "MovRI64"} {
		f := formByName(name)
		for _, r := range allRegs {
			for _, imm := range append(imm64s, imm32s...) {
				require.NoError(t, checkForm(f, ops{r1: r, imm: imm}))
			}
		}
	}
	for _, name := range []string{"ShlI", "ShrI", "SarI"} {
		f := formByName(name)
		for _, r := range allRegs {
			for n := 0; n <= 64; n++ {
				require.NoError(t, checkForm(f, ops{r1: r, n: n}))
			}
		}
	}
}

// TestMemoryOperands covers every base, every index (and none), every
// scale and every displacement width boundary for the memory forms.
func TestMemoryOperands(t *testing.T) {
	var mems []amd64.Mem
	for _, base := range allRegs {
		for _, d := range disps {
			mems = append(mems, bd(base, d))
			for _, idx := range allRegs {
				for _, s := range []uint8{1, 2, 4, 8} {
					mems = append(mems, bi(base, idx, s, d))
				}
			}
		}
	}
	n := 0
	for _, name := range []string{"Load", "Store", "Lea", "StoreI32"} {
		f := formByName(name)
		for i, m := range mems {
			o := ops{r1: amd64.Reg(i % 16), mem: m, imm: -1}
			if err := checkForm(f, o); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	// Every destination register with the special-case bases.
	for _, r := range allRegs {
		for _, base := range []amd64.Reg{rsp, r12, rbp, r13} {
			for _, d := range disps {
				require.NoError(t, checkForm(formByName("Load"), ops{r1: r, mem: bd(base, d)}))
				require.NoError(t, checkForm(formByName("Store"), ops{r1: r, mem: bi(base, r13, 2, d)}))
			}
		}
	}
	t.Logf("%d memory encodings checked", n)
}

func TestNopBytes(t *testing.T) {
	for n := 1; n <= 15; n++ {
		p, err := amd64.NopBytes(n)
		require.NoError(t, err)
		require.Len(t, p, n)
		a := amd64.New()
		a.Nop(n)
		bl, err := a.Finish()
		require.NoError(t, err)
		assert.Equal(t, p, bl.Code, "Nop(%d) and NopBytes(%d) agree", n, n)
		require.NoError(t, checkForm(formByName("Nop"), ops{n: n}))
		p[0] = 0xCC // a copy: the table is unchanged
		q, _ := amd64.NopBytes(n)
		assert.NotEqual(t, byte(0xCC), q[0])
	}
	// 12–15 bytes: GNU as's 11-byte form with more 0x66 prefixes.
	q, _ := amd64.NopBytes(15)
	assert.Equal(t, mustHex("66 66 66 66 66 66 2e 0f 1f 84 00 00 00 00 00"), q)
	for _, n := range []int{0, -1, 16} {
		_, err := amd64.NopBytes(n)
		assert.ErrorIs(t, err, codegen.ErrOutOfRange)
	}
}

// TestPad checks that alignment padding is whole canonical nops.
func TestPad(t *testing.T) {
	for n := 0; n <= 40; n++ {
		p := amd64.Arch{}.Pad(nil, n)
		require.Len(t, p, n)
		for off := 0; off < n; {
			inst, err := x86asm.Decode(p[off:], 64)
			require.NoError(t, err)
			require.Equal(t, x86asm.NOP, inst.Op, "pad %d at %d", n, off)
			require.LessOrEqual(t, inst.Len, amd64.MaxPadNop)
			off += inst.Len
		}
	}
}

// TestOracleRejectsCorruption is the negative control: the oracle must catch
// a one-byte corruption of a good encoding (wrong register, wrong opcode,
// wrong length, invalid instruction).
func TestOracleRejectsCorruption(t *testing.T) {
	good := mustHex("4a 8b 44 60 10") // mov 0x10(%rax,%r12,2),%rax
	args := []x86asm.Arg{x86asm.RAX, x86asm.Mem{Base: x86asm.RAX, Index: x86asm.R12, Scale: 2, Disp: 16}}
	require.NoError(t, oracle(good, x86asm.MOV, args...))
	for i, c := range []struct {
		at  int
		val byte
	}{
		{0, 0x48}, // REX.X dropped: index field 100 then means no index
		{1, 0x89}, // store instead of load
		{1, 0x03}, // add instead of mov
		{2, 0x84}, // mod 10: disp32 expected, bytes run short
		{3, 0x20}, // scale 1 instead of 2
		{4, 0x11}, // displacement 0x11
		{1, 0x0f}, // 0f 44: a different instruction (cmove)
	} {
		bad := append([]byte(nil), good...)
		bad[c.at] = c.val
		assert.Error(t, oracle(bad, x86asm.MOV, args...), "corruption %d: % x", i, bad)
	}
	// Invalid instruction bytes: decode fails or prints as data.
	assert.Error(t, oracle(mustHex("0f 0b 0b"), x86asm.UD2))
	assert.Error(t, oracle(mustHex("06"), x86asm.PUSH)) // push es: invalid in 64-bit mode
}

// TestBadOperands checks that every caller mistake is an error from Finish
// (never a panic) matching the right sentinel, with the offending offset.
func TestBadOperands(t *testing.T) {
	l0 := codegen.Label(0)
	tests := []struct {
		name string
		emit func(a *amd64.Asm)
		want error
	}{
		{"reg 16", func(a *amd64.Asm) { a.MovRR(16, rax) }, codegen.ErrBadOperand},
		{"reg 255", func(a *amd64.Asm) { a.AddRR(rax, 255) }, codegen.ErrBadOperand},
		{"index rsp", func(a *amd64.Asm) { a.Load(rax, bi(rax, rsp, 1, 0)) }, codegen.ErrBadOperand},
		{"scale 0", func(a *amd64.Asm) { a.Load(rax, bi(rax, rcx, 0, 0)) }, codegen.ErrBadOperand},
		{"scale 3", func(a *amd64.Asm) { a.Store(bi(rax, rcx, 3, 0), rdx) }, codegen.ErrBadOperand},
		{"scale 16", func(a *amd64.Asm) { a.Lea(rax, bi(rax, rcx, 16, 0)) }, codegen.ErrBadOperand},
		{"scale without index", func(a *amd64.Asm) { a.Load(rax, amd64.Mem{Base: rax, Scale: 4}) }, codegen.ErrBadOperand},
		{"bad base", func(a *amd64.Asm) { a.StoreI32(bd(99, 0), 1) }, codegen.ErrBadOperand},
		{"bad index", func(a *amd64.Asm) { a.Load(rax, bi(rax, 17, 1, 0)) }, codegen.ErrBadOperand},
		{"shift 64", func(a *amd64.Asm) { a.ShlI(rax, 64) }, codegen.ErrOutOfRange},
		{"shift 255", func(a *amd64.Asm) { a.SarI(rax, 255) }, codegen.ErrOutOfRange},
		{"nop 0", func(a *amd64.Asm) { a.Nop(0) }, codegen.ErrOutOfRange},
		{"nop 16", func(a *amd64.Asm) { a.Nop(16) }, codegen.ErrOutOfRange},
		{"cond 16", func(a *amd64.Asm) { a.Setcc(16, rax) }, codegen.ErrBadOperand},
		{"jcc cond 16", func(a *amd64.Asm) { l := a.NewLabel(); a.Bind(l); a.Jcc(16, l) }, codegen.ErrBadOperand},
		{"jcclong cond 16", func(a *amd64.Asm) { l := a.NewLabel(); a.Bind(l); a.JccLong(99, l) }, codegen.ErrBadOperand},
		{"cmov cond 16", func(a *amd64.Asm) { a.CmovRR(16, rax, rax) }, codegen.ErrBadOperand},
		{"setcc reg", func(a *amd64.Asm) { a.Setcc(amd64.CondE, 16) }, codegen.ErrBadOperand},
		{"push reg", func(a *amd64.Asm) { a.Push(16) }, codegen.ErrBadOperand},
		{"callr reg", func(a *amd64.Asm) { a.CallR(16) }, codegen.ErrBadOperand},
		{"loadrip reg", func(a *amd64.Asm) { l := a.NewLabel(); a.Bind(l); a.LoadRIP(16, l) }, codegen.ErrBadOperand},
		{"learip reg", func(a *amd64.Asm) { l := a.NewLabel(); a.Bind(l); a.LeaRIP(16, l) }, codegen.ErrBadOperand},
		{"jmp label 0", func(a *amd64.Asm) { a.Jmp(l0) }, codegen.ErrBadOperand},
		{"undefined label", func(a *amd64.Asm) { a.Jmp(a.NewLabel()) }, codegen.ErrUndefinedLabel},
		{"movimm32site reg", func(a *amd64.Asm) { a.MovImm32Site("s", 16, 0) }, codegen.ErrBadOperand},
		{"movabssite reg", func(a *amd64.Asm) { a.MovAbsSite("s", 16, 0, 0) }, codegen.ErrBadOperand},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := amd64.New()
			a.Ret() // the mistake is at offset 1
			require.NotPanics(t, func() { tc.emit(a) })
			bl, err := a.Finish()
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, bl)
			var ce *codegen.Error
			require.True(t, errors.As(err, &ce))
			assert.Equal(t, "amd64", ce.Arch)
			assert.Equal(t, 1, ce.Offset)
		})
	}
}

func TestRegCondNames(t *testing.T) {
	assert.Equal(t, "rax", amd64.RAX.String())
	assert.Equal(t, "r15", amd64.R15.String())
	assert.Equal(t, "Reg(16)", amd64.Reg(16).String())
	assert.Equal(t, "sil", amd64.RSI.Byte())
	assert.Equal(t, "r8b", amd64.R8.Byte())
	assert.Equal(t, "le", amd64.CondLE.String())
	assert.Equal(t, "Cond(16)", amd64.Cond(16).String())
	assert.Equal(t, "[rsp+r12*8-0x10]", bi(rsp, r12, 8, -16).String())
	for c := range amd64.Cond(16) {
		// Inverting a condition flips the opcode's low bit: jcc/jncc pairs.
		assert.Equal(t, c^1, c.Invert())
		assert.Equal(t, c, c.Invert().Invert())
	}
	for _, r := range allRegs {
		assert.Equal(t, x86asm.Reg(r64(r)).String(), upper(r.String()))
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// branchKind is a label-referencing emitter and how it decodes.
type branchKind struct {
	name        string
	emit        func(a *amd64.Asm, l codegen.Label)
	short, long int // sizes (short = long when the form has no short form)
	op          x86asm.Op
}

var branchKinds = func() []branchKind {
	ks := []branchKind{
		{"Jmp", (*amd64.Asm).Jmp, 2, 5, x86asm.JMP},
		{"JmpLong", (*amd64.Asm).JmpLong, 5, 5, x86asm.JMP},
		{"Call", (*amd64.Asm).Call, 5, 5, x86asm.CALL},
	}
	for c := range amd64.Cond(16) {
		ks = append(ks,
			branchKind{"J" + c.String(), func(a *amd64.Asm, l codegen.Label) { a.Jcc(c, l) }, 2, 6, jccOps[c]},
			branchKind{"J" + c.String() + "Long", func(a *amd64.Asm, l codegen.Label) { a.JccLong(c, l) }, 6, 6, jccOps[c]})
	}
	return ks
}()

// buildBranch emits a branch of kind k over gap filler bytes (int3), forward
// or backward, and returns the blob and the branch's offset.
func buildBranch(t testing.TB, k branchKind, gap int, backward bool) (*codegen.Blob, int, codegen.Label) {
	a := amd64.New()
	l := a.NewLabel()
	if backward {
		a.Bind(l)
		for range gap {
			a.Int3()
		}
		k.emit(a, l)
	} else {
		k.emit(a, l)
		for range gap {
			a.Int3()
		}
		a.Bind(l)
	}
	bl, err := a.Finish()
	require.NoError(t, err)
	at := 0
	if backward {
		at = gap
	}
	return bl, at, l
}

// TestBranchRelaxation checks rel8/rel32 selection at the exact boundary in
// both directions for every branch form, and the decoded target.
func TestBranchRelaxation(t *testing.T) {
	for _, k := range branchKinds {
		for _, backward := range []bool{false, true} {
			// Forward: rel = gap, short up to 127. Backward: rel = -(gap+size),
			// short down to -128, i.e. gap ≤ 126.
			for _, gap := range []int{0, 1, 100, 125, 126, 127, 128, 129, 300, 40000} {
				bl, at, l := buildBranch(t, k, gap, backward)
				wantShort := !backward && gap <= 127 || backward && gap <= 126
				size := k.long
				if wantShort {
					size = k.short
				}
				rel := gap
				if backward {
					rel = -(gap + size)
				}
				b := bl.Code[at : at+size]
				require.NoError(t, oracle(b, k.op, x86asm.Rel(int32(rel))), "%s gap %d backward %v", k.name, gap, backward)
				require.Equal(t, bl.Offset(l), at+size+rel)
				require.Len(t, bl.Code, gap+size)
			}
		}
	}
}

// TestRelaxationCascade builds a chain where each jmp reaches its label with
// rel8 only while the next jmp is short; the last one must be long, and the
// growth has to ripple back through every earlier one.
func TestRelaxationCascade(t *testing.T) {
	for _, far := range []bool{false, true} {
		const n = 20
		a := amd64.New()
		ls := make([]codegen.Label, n)
		for i := range ls {
			ls[i] = a.NewLabel()
		}
		for i := range n {
			a.Jmp(ls[i])
			if i > 0 {
				a.Bind(ls[i-1]) // jmp i-1 → here: 125 filler + jmp i = 127 if short
			}
			for range 125 {
				a.Int3()
			}
		}
		if far {
			for range 3 { // the last jmp's distance becomes 128
				a.Int3()
			}
		}
		a.Bind(ls[n-1])
		bl, err := a.Finish()
		require.NoError(t, err)
		off := 0
		for i := range n {
			inst, err := x86asm.Decode(bl.Code[off:], 64)
			require.NoError(t, err)
			require.Equal(t, x86asm.JMP, inst.Op)
			wantLen := 2
			if far {
				wantLen = 5
			}
			require.Equal(t, wantLen, inst.Len, "jmp %d far=%v", i, far)
			require.Equal(t, bl.Offset(ls[i]), off+inst.Len+int(inst.Args[0].(x86asm.Rel)))
			off += inst.Len + 125
		}
	}
}

// TestBranchesRandom emits random code with forward and backward branches
// to random labels and checks that every decoded branch reaches its label.
func TestBranchesRandom(t *testing.T) {
	rng := newRand(1)
	for iter := range 50 {
		a := amd64.New()
		labels := make([]codegen.Label, 30)
		for i := range labels {
			labels[i] = a.NewLabel()
		}
		bound := 0
		var refs []codegen.Label
		for bound < len(labels) {
			switch rng.next() % 5 {
			case 0:
				a.Bind(labels[bound])
				bound++
			case 1:
				a.Nop(int(rng.next()%15) + 1)
			case 2:
				for range int(rng.next() % 200) {
					a.Int3()
				}
			default:
				l := labels[rng.next()%uint64(len(labels))]
				k := branchKinds[rng.next()%uint64(len(branchKinds))]
				k.emit(a, l)
				refs = append(refs, l)
			}
		}
		bl, err := a.Finish()
		require.NoError(t, err)
		var got []int
		for off := 0; off < len(bl.Code); {
			inst, err := x86asm.Decode(bl.Code[off:], 64)
			require.NoError(t, err)
			if rel, ok := inst.Args[0].(x86asm.Rel); ok {
				got = append(got, off+inst.Len+int(rel))
			}
			off += inst.Len
		}
		require.Len(t, got, len(refs), "iteration %d", iter)
		for i, l := range refs {
			require.Equal(t, bl.Offset(l), got[i], "iteration %d branch %d", iter, i)
		}
	}
}

func TestRIPRelative(t *testing.T) {
	for _, r := range allRegs {
		a := amd64.New()
		slot := a.NewLabel()
		a.LoadRIP(r, slot)
		a.LeaRIP(r, slot)
		a.Ret()
		a.BindDataSlot(slot, "x", 0x1122334455667788)
		bl, err := a.Finish()
		require.NoError(t, err)
		off := bl.Offset(slot)
		require.Equal(t, 0, off%8)
		require.NoError(t, oracle(bl.Code[0:7], x86asm.MOV, r64(r), x86asm.Mem{Base: x86asm.RIP, Disp: int64(off - 7)}))
		require.NoError(t, oracle(bl.Code[7:14], x86asm.LEA, r64(r), x86asm.Mem{Base: x86asm.RIP, Disp: int64(off - 14)}))
		require.Equal(t, mustHex("88 77 66 55 44 33 22 11"), bl.Code[off:off+8])
	}
	a := amd64.New()
	a.LoadRIP(rax, a.NewLabel())
	_, err := a.Finish()
	require.ErrorIs(t, err, codegen.ErrUndefinedLabel)
}

// rand is a small deterministic generator (xorshift64*), so tests do not
// depend on math/rand's sequence.
type rand struct{ s uint64 }

func newRand(seed uint64) *rand { return &rand{seed*0x9E3779B97F4A7C15 + 1} }

func (r *rand) next() uint64 {
	r.s ^= r.s >> 12
	r.s ^= r.s << 25
	r.s ^= r.s >> 27
	return r.s * 2685821657736338717
}
