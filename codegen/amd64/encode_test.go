package amd64_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/arch/x86/x86asm"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/amd64"
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

// golden holds encodings checked against GNU as (binutils 2.40): the AT&T
// source in gas assembles to hex. Each row also goes through the oracle.
var golden = []struct {
	form string
	o    ops
	gas  string
	hex  string
}{
	{"MovRR", ops{r1: rax, r2: rcx}, "movq %rcx,%rax", "48 89 c8"},
	{"MovRR", ops{r1: r15, r2: r8}, "movq %r8,%r15", "4d 89 c7"},
	{"MovRR", ops{r1: rsp, r2: rbp}, "movq %rbp,%rsp", "48 89 ec"},
	{"MovRR", ops{r1: r12, r2: r13}, "movq %r13,%r12", "4d 89 ec"},
	{"AddRR", ops{r1: rax, r2: rsi}, "addq %rsi,%rax", "48 01 f0"},
	{"SubRR", ops{r1: r9, r2: rdx}, "subq %rdx,%r9", "49 29 d1"},
	{"AndRR", ops{r1: rbx, r2: r12}, "andq %r12,%rbx", "4c 21 e3"},
	{"OrRR", ops{r1: rdi, r2: rdi}, "orq %rdi,%rdi", "48 09 ff"},
	{"XorRR", ops{r1: r13, r2: r13}, "xorq %r13,%r13", "4d 31 ed"},
	{"CmpRR", ops{r1: rax, r2: r15}, "cmpq %r15,%rax", "4c 39 f8"},
	{"TestRR", ops{r1: rax, r2: rsi}, "testq %rsi,%rax", "48 85 f0"},
	{"Imul", ops{r1: rax, r2: r9}, "imulq %r9,%rax", "49 0f af c1"},
	{"Imul", ops{r1: r12, r2: rcx}, "imulq %rcx,%r12", "4c 0f af e1"},
	{"MovzxB", ops{r1: rax, r2: rsi}, "movzbq %sil,%rax", "48 0f b6 c6"},
	{"MovzxB", ops{r1: r8, r2: rcx}, "movzbq %cl,%r8", "4c 0f b6 c1"},
	{"MovzxB", ops{r1: rdx, r2: r15}, "movzbq %r15b,%rdx", "49 0f b6 d7"},
	{"CmovRR", ops{cond: amd64.CondL, r1: rax, r2: rsi}, "cmovlq %rsi,%rax", "48 0f 4c c6"},
	{"CmovRR", ops{cond: amd64.CondNE, r1: r10, r2: r11}, "cmovneq %r11,%r10", "4d 0f 45 d3"},
	{"AddRI", ops{r1: rax, imm: 1}, "addq $1,%rax", "48 83 c0 01"},
	{"AddRI", ops{r1: rax, imm: 127}, "addq $127,%rax", "48 83 c0 7f"},
	{"AddRI", ops{r1: rax, imm: 128}, "addq $128,%rax", "48 05 80 00 00 00"},
	{"AddRI", ops{r1: rcx, imm: 128}, "addq $128,%rcx", "48 81 c1 80 00 00 00"},
	{"AddRI", ops{r1: rcx, imm: -128}, "addq $-128,%rcx", "48 83 c1 80"},
	{"AddRI", ops{r1: rcx, imm: -129}, "addq $-129,%rcx", "48 81 c1 7f ff ff ff"},
	{"AddRI", ops{r1: r8, imm: math.MaxInt32}, "addq $0x7fffffff,%r8", "49 81 c0 ff ff ff 7f"},
	{"AddRI", ops{r1: r15, imm: math.MinInt32}, "addq $-0x80000000,%r15", "49 81 c7 00 00 00 80"},
	{"SubRI", ops{r1: rsp, imm: 8}, "subq $8,%rsp", "48 83 ec 08"},
	{"SubRI", ops{r1: rax, imm: 1000}, "subq $1000,%rax", "48 2d e8 03 00 00"},
	{"AndRI", ops{r1: rdx, imm: -16}, "andq $-16,%rdx", "48 83 e2 f0"},
	{"AndRI", ops{r1: rax, imm: 0xffff}, "andq $0xffff,%rax", "48 25 ff ff 00 00"},
	{"OrRI", ops{r1: r12, imm: 0}, "orq $0,%r12", "49 83 cc 00"},
	{"XorRI", ops{r1: rsi, imm: -1}, "xorq $-1,%rsi", "48 83 f6 ff"},
	{"CmpRI", ops{r1: rdi, imm: 0}, "cmpq $0,%rdi", "48 83 ff 00"},
	{"CmpRI", ops{r1: rax, imm: 0x12345}, "cmpq $0x12345,%rax", "48 3d 45 23 01 00"},
	{"CmpRI", ops{r1: r13, imm: 0x12345}, "cmpq $0x12345,%r13", "49 81 fd 45 23 01 00"},
	{"TestRI", ops{r1: rax, imm: 1}, "testq $1,%rax", "48 a9 01 00 00 00"},
	{"TestRI", ops{r1: rcx, imm: 1}, "testq $1,%rcx", "48 f7 c1 01 00 00 00"},
	{"TestRI", ops{r1: r9, imm: -1}, "testq $-1,%r9", "49 f7 c1 ff ff ff ff"},
	{"ImulRRI", ops{r1: rax, r2: rcx, imm: 5}, "imulq $5,%rcx,%rax", "48 6b c1 05"},
	{"ImulRRI", ops{r1: r8, r2: r15, imm: 500}, "imulq $500,%r15,%r8", "4d 69 c7 f4 01 00 00"},
	{"MovRI32", ops{r1: rax, imm: -5}, "movq $-5,%rax", "48 c7 c0 fb ff ff ff"},
	{"MovRI32", ops{r1: r11, imm: 0x7fffffff}, "movq $0x7fffffff,%r11", "49 c7 c3 ff ff ff 7f"},
	{"MovRI64", ops{r1: rax, imm: 0x123456789}, "movabsq $0x123456789,%rax", "48 b8 89 67 45 23 01 00 00 00"},
	{"MovRI64", ops{r1: r15, imm: -1}, "movabsq $-1,%r15", "49 bf ff ff ff ff ff ff ff ff"},
	{"MovRI", ops{r1: rax, imm: 0}, "movl $0,%eax", "b8 00 00 00 00"},
	{"MovRI", ops{r1: rax, imm: 5}, "movl $5,%eax", "b8 05 00 00 00"},
	{"MovRI", ops{r1: r9, imm: math.MaxUint32}, "movl $0xffffffff,%r9d", "41 b9 ff ff ff ff"},
	{"MovRI", ops{r1: rbx, imm: -1}, "movq $-1,%rbx", "48 c7 c3 ff ff ff ff"},
	{"MovRI", ops{r1: rbx, imm: math.MinInt32}, "movq $-0x80000000,%rbx", "48 c7 c3 00 00 00 80"},
	{"MovRI", ops{r1: rdx, imm: math.MaxUint32 + 1}, "movabsq $0x100000000,%rdx", "48 ba 00 00 00 00 01 00 00 00"},
	{"MovRI", ops{r1: r14, imm: math.MinInt64}, "movabsq $-0x8000000000000000,%r14", "49 be 00 00 00 00 00 00 00 80"},
	{"Load", ops{r1: rax, mem: bd(rax, 0)}, "movq (%rax),%rax", "48 8b 00"},
	{"Load", ops{r1: rax, mem: bd(rsp, 0)}, "movq (%rsp),%rax", "48 8b 04 24"},
	{"Load", ops{r1: rax, mem: bd(r12, 0)}, "movq (%r12),%rax", "49 8b 04 24"},
	{"Load", ops{r1: rax, mem: bd(rbp, 0)}, "movq 0(%rbp),%rax", "48 8b 45 00"},
	{"Load", ops{r1: rax, mem: bd(r13, 0)}, "movq 0(%r13),%rax", "49 8b 45 00"},
	{"Load", ops{r1: rcx, mem: bd(rdx, 127)}, "movq 127(%rdx),%rcx", "48 8b 4a 7f"},
	{"Load", ops{r1: rcx, mem: bd(rdx, 128)}, "movq 128(%rdx),%rcx", "48 8b 8a 80 00 00 00"},
	{"Load", ops{r1: rcx, mem: bd(rdx, -128)}, "movq -128(%rdx),%rcx", "48 8b 4a 80"},
	{"Load", ops{r1: rcx, mem: bd(rdx, -129)}, "movq -129(%rdx),%rcx", "48 8b 8a 7f ff ff ff"},
	{"Load", ops{r1: r8, mem: bd(rsp, 8)}, "movq 8(%rsp),%r8", "4c 8b 44 24 08"},
	{"Load", ops{r1: r15, mem: bd(r12, 0x1000)}, "movq 0x1000(%r12),%r15", "4d 8b bc 24 00 10 00 00"},
	{"Load", ops{r1: rdi, mem: bd(r13, math.MinInt32)}, "movq -0x80000000(%r13),%rdi", "49 8b bd 00 00 00 80"},
	{"Load", ops{r1: rsi, mem: bd(rbp, math.MaxInt32)}, "movq 0x7fffffff(%rbp),%rsi", "48 8b b5 ff ff ff 7f"},
	{"Load", ops{r1: rax, mem: bi(rax, r12, 2, 0)}, "movq (%rax,%r12,2),%rax", "4a 8b 04 60"},
	{"Load", ops{r1: rax, mem: bi(rbx, rcx, 8, 16)}, "movq 16(%rbx,%rcx,8),%rax", "48 8b 44 cb 10"},
	{"Load", ops{r1: r9, mem: bi(rsp, rax, 1, 0)}, "movq (%rsp,%rax,1),%r9", "4c 8b 0c 04"},
	{"Load", ops{r1: r9, mem: bi(rbp, rsi, 4, 0)}, "movq 0(%rbp,%rsi,4),%r9", "4c 8b 4c b5 00"},
	{"Load", ops{r1: r9, mem: bi(r13, r15, 4, -129)}, "movq -129(%r13,%r15,4),%r9", "4f 8b 8c bd 7f ff ff ff"},
	{"Load", ops{r1: r9, mem: bi(r12, rbp, 8, 127)}, "movq 127(%r12,%rbp,8),%r9", "4d 8b 4c ec 7f"},
	{"Store", ops{r1: rax, mem: bd(rsp, 0)}, "movq %rax,(%rsp)", "48 89 04 24"},
	{"Store", ops{r1: r12, mem: bd(r12, -8)}, "movq %r12,-8(%r12)", "4d 89 64 24 f8"},
	{"Store", ops{r1: rcx, mem: bi(rdi, r8, 8, 0x100)}, "movq %rcx,0x100(%rdi,%r8,8)", "4a 89 8c c7 00 01 00 00"},
	{"StoreI32", ops{mem: bd(rax, 0), imm: 7}, "movq $7,(%rax)", "48 c7 00 07 00 00 00"},
	{"StoreI32", ops{mem: bd(rbp, -16), imm: -1}, "movq $-1,-16(%rbp)", "48 c7 45 f0 ff ff ff ff"},
	{"Lea", ops{r1: rax, mem: bd(rsp, 16)}, "leaq 16(%rsp),%rax", "48 8d 44 24 10"},
	{"Lea", ops{r1: r10, mem: bi(rax, rax, 2, 0)}, "leaq (%rax,%rax,2),%r10", "4c 8d 14 40"},
	{"Lea", ops{r1: rdx, mem: bi(r13, r12, 1, 1)}, "leaq 1(%r13,%r12,1),%rdx", "4b 8d 54 25 01"},
	{"Neg", ops{r1: rax}, "negq %rax", "48 f7 d8"},
	{"Neg", ops{r1: r15}, "negq %r15", "49 f7 df"},
	{"Not", ops{r1: rcx}, "notq %rcx", "48 f7 d1"},
	{"Idiv", ops{r1: r9}, "idivq %r9", "49 f7 f9"},
	{"Idiv", ops{r1: rbx}, "idivq %rbx", "48 f7 fb"},
	{"Push", ops{r1: rbp}, "pushq %rbp", "55"},
	{"Push", ops{r1: r12}, "pushq %r12", "41 54"},
	{"Pop", ops{r1: rbp}, "popq %rbp", "5d"},
	{"Pop", ops{r1: r15}, "popq %r15", "41 5f"},
	{"CallR", ops{r1: rax}, "call *%rax", "ff d0"},
	{"CallR", ops{r1: r8}, "call *%r8", "41 ff d0"},
	{"JmpR", ops{r1: rax}, "jmp *%rax", "ff e0"},
	{"JmpR", ops{r1: r11}, "jmp *%r11", "41 ff e3"},
	{"ShlI", ops{r1: rax, n: 1}, "shlq $1,%rax", "48 d1 e0"},
	{"ShlI", ops{r1: rax, n: 0}, "shlq $0,%rax", "48 c1 e0 00"},
	{"ShlI", ops{r1: r9, n: 63}, "shlq $63,%r9", "49 c1 e1 3f"},
	{"ShrI", ops{r1: rdx, n: 3}, "shrq $3,%rdx", "48 c1 ea 03"},
	{"SarI", ops{r1: r12, n: 1}, "sarq $1,%r12", "49 d1 fc"},
	{"SarI", ops{r1: rsi, n: 32}, "sarq $32,%rsi", "48 c1 fe 20"},
	{"ShlCL", ops{r1: rax}, "shlq %cl,%rax", "48 d3 e0"},
	{"ShrCL", ops{r1: r10}, "shrq %cl,%r10", "49 d3 ea"},
	{"SarCL", ops{r1: rdi}, "sarq %cl,%rdi", "48 d3 ff"},
	{"Setcc", ops{cond: amd64.CondE, r1: rax}, "sete %al", "0f 94 c0"},
	{"Setcc", ops{cond: amd64.CondNE, r1: rbx}, "setne %bl", "0f 95 c3"},
	{"Setcc", ops{cond: amd64.CondL, r1: rsi}, "setl %sil", "40 0f 9c c6"},
	{"Setcc", ops{cond: amd64.CondG, r1: rsp}, "setg %spl", "40 0f 9f c4"},
	{"Setcc", ops{cond: amd64.CondB, r1: r8}, "setb %r8b", "41 0f 92 c0"},
	{"Setcc", ops{cond: amd64.CondO, r1: r15}, "seto %r15b", "41 0f 90 c7"},
	{"Nop", ops{n: 1}, ".nops 1", "90"},
	{"Nop", ops{n: 2}, ".nops 2", "66 90"},
	{"Nop", ops{n: 3}, ".nops 3", "0f 1f 00"},
	{"Nop", ops{n: 4}, ".nops 4", "0f 1f 40 00"},
	{"Nop", ops{n: 5}, ".nops 5", "0f 1f 44 00 00"},
	{"Nop", ops{n: 6}, ".nops 6", "66 0f 1f 44 00 00"},
	{"Nop", ops{n: 7}, ".nops 7", "0f 1f 80 00 00 00 00"},
	{"Nop", ops{n: 8}, ".nops 8", "0f 1f 84 00 00 00 00 00"},
	{"Nop", ops{n: 9}, ".nops 9", "66 0f 1f 84 00 00 00 00 00"},
	{"Nop", ops{n: 10}, ".nops 10", "66 2e 0f 1f 84 00 00 00 00 00"},
	{"Nop", ops{n: 11}, ".nops 11", "66 66 2e 0f 1f 84 00 00 00 00 00"},
	{"Ret", ops{}, "ret", "c3"},
	{"Cqo", ops{}, "cqto", "48 99"},
	{"Int3", ops{}, "int3", "cc"},
	{"Ud2", ops{}, "ud2", "0f 0b"},
	{"Cpuid", ops{}, "cpuid", "0f a2"},
	{"Mfence", ops{}, "mfence", "0f ae f0"},
	{"Pause", ops{}, "pause", "f3 90"},
}

func TestGolden(t *testing.T) {
	for _, tc := range golden {
		t.Run(tc.gas, func(t *testing.T) {
			f := formByName(tc.form)
			b, err := encodeOne(f, tc.o)
			require.NoError(t, err)
			assert.Equal(t, mustHex(tc.hex), b, "%s: got % x", tc.gas, b)
			assert.NoError(t, checkForm(f, tc.o))
		})
	}
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

// TestSpecialBases pins the ModRM/SIB special cases byte by byte.
func TestSpecialBases(t *testing.T) {
	tests := []struct {
		m    amd64.Mem
		want string // bytes after REX.W 8B
	}{
		{bd(rsp, 0), "04 24"},             // r/m=100 needs SIB (index none, base rsp)
		{bd(r12, 0), "04 24"},             // same with REX.B
		{bd(rbp, 0), "45 00"},             // mod=00 r/m=101 is RIP-relative: disp8 0
		{bd(r13, 0), "45 00"},             // same with REX.B
		{bd(rax, 0), "00"},                // no displacement
		{bd(rax, 127), "40 7f"},           // disp8
		{bd(rax, -128), "40 80"},          // disp8
		{bd(rax, 128), "80 80 00 00 00"},  // disp32
		{bi(rbp, rax, 1, 0), "44 05 00"},  // SIB base=101 with mod=00 means no base: disp8 0
		{bi(r13, rax, 1, 0), "44 05 00"},  //
		{bi(rax, r12, 8, 0), "04 e0"},     // index r12 is fine (REX.X)
		{bi(rsp, rbp, 4, -1), "44 ac ff"}, // base rsp with an index
	}
	for _, tc := range tests {
		b, err := encodeOne(formByName("Load"), ops{r1: rax, mem: tc.m})
		require.NoError(t, err)
		assert.Equal(t, mustHex(tc.want), b[2:], "%v: % x", tc.m, b)
	}
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
