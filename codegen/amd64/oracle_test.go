package amd64_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"

	"golang.org/x/arch/x86/x86asm"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/amd64"
)

// This file holds the test oracle (the x86asm decoder) and a table of
// instruction forms shared by the table tests and the fuzzer: each form knows
// how to emit itself, whether its operands are valid, what x86asm must decode
// and how long the canonical encoding is.

// oracle decodes b as one instruction and checks that it is exactly b long,
// has op and args, and prints as an instruction (not as data) in GNU syntax.
// It returns a description of the first mismatch, or nil.
func oracle(b []byte, op x86asm.Op, args ...x86asm.Arg) error {
	inst, err := x86asm.Decode(b, 64)
	if err != nil {
		return fmt.Errorf("% x: decode: %v", b, err)
	}
	text := x86asm.GNUSyntax(inst, 0, nil)
	if inst.Len != len(b) {
		return fmt.Errorf("% x: decoded %d bytes (%s), want %d", b, inst.Len, text, len(b))
	}
	for _, bad := range []string{".byte", ".long", ".quad", "(bad)"} {
		if strings.Contains(text, bad) {
			return fmt.Errorf("% x: GNU syntax %q", b, text)
		}
	}
	if inst.Op != op {
		return fmt.Errorf("% x: op %v (%s), want %v", b, inst.Op, text, op)
	}
	n := 0
	for n < len(inst.Args) && inst.Args[n] != nil {
		n++
	}
	if n != len(args) {
		return fmt.Errorf("% x: %d args (%s), want %d", b, n, text, len(args))
	}
	for i, want := range args {
		got := inst.Args[i]
		if gm, ok := got.(x86asm.Mem); ok {
			got = normMem(gm)
		}
		if wm, ok := want.(x86asm.Mem); ok {
			want = normMem(wm)
		}
		if got != want {
			return fmt.Errorf("% x: arg %d is %#v (%s), want %#v", b, i, got, text, want)
		}
	}
	return nil
}

// normMem drops the scale of an operand without an index: x86asm reports 1
// after a SIB byte and 0 without one; both mean "no index".
func normMem(m x86asm.Mem) x86asm.Mem {
	if m.Index == 0 {
		m.Scale = 0
	}
	return m
}

func r64(r amd64.Reg) x86asm.Reg { return x86asm.RAX + x86asm.Reg(r) }
func r32(r amd64.Reg) x86asm.Reg { return x86asm.EAX + x86asm.Reg(r) }
func reg8(r amd64.Reg) x86asm.Reg {
	switch {
	case r < 4:
		return x86asm.AL + x86asm.Reg(r)
	case r < 8:
		return x86asm.SPB + x86asm.Reg(r-4)
	}
	return x86asm.R8B + x86asm.Reg(r-8)
}

func xmem(m amd64.Mem) x86asm.Mem {
	x := x86asm.Mem{Base: r64(m.Base), Disp: int64(m.Disp)}
	if m.HasIndex {
		x.Index, x.Scale = r64(m.Index), m.Scale
	}
	return x
}

var (
	jccOps   = [16]x86asm.Op{x86asm.JO, x86asm.JNO, x86asm.JB, x86asm.JAE, x86asm.JE, x86asm.JNE, x86asm.JBE, x86asm.JA, x86asm.JS, x86asm.JNS, x86asm.JP, x86asm.JNP, x86asm.JL, x86asm.JGE, x86asm.JLE, x86asm.JG}
	setccOps = [16]x86asm.Op{x86asm.SETO, x86asm.SETNO, x86asm.SETB, x86asm.SETAE, x86asm.SETE, x86asm.SETNE, x86asm.SETBE, x86asm.SETA, x86asm.SETS, x86asm.SETNS, x86asm.SETP, x86asm.SETNP, x86asm.SETL, x86asm.SETGE, x86asm.SETLE, x86asm.SETG}
	cmovOps  = [16]x86asm.Op{x86asm.CMOVO, x86asm.CMOVNO, x86asm.CMOVB, x86asm.CMOVAE, x86asm.CMOVE, x86asm.CMOVNE, x86asm.CMOVBE, x86asm.CMOVA, x86asm.CMOVS, x86asm.CMOVNS, x86asm.CMOVP, x86asm.CMOVNP, x86asm.CMOVL, x86asm.CMOVGE, x86asm.CMOVLE, x86asm.CMOVG}
)

// ops are the operands a form takes; each form uses the fields it needs.
type ops struct {
	r1, r2 amd64.Reg
	cond   amd64.Cond
	imm    int64
	mem    amd64.Mem
	n      int // shift count or nop size
}

func (o ops) String() string {
	return fmt.Sprintf("r1=%v r2=%v cond=%v imm=%#x mem=%+v n=%d", o.r1, o.r2, o.cond, o.imm, o.mem, o.n)
}

// form is one instruction form under test.
type form struct {
	name  string
	emit  func(a *amd64.Asm, o ops)
	valid func(o ops) bool // the operands are encodable
	want  func(o ops) (x86asm.Op, []x86asm.Arg)
	size  func(o ops) int // length of the canonical (shortest) encoding
}

func regOK(rs ...amd64.Reg) bool {
	for _, r := range rs {
		if r >= 16 {
			return false
		}
	}
	return true
}

func memOK(m amd64.Mem) bool {
	if m.Base >= 16 {
		return false
	}
	if !m.HasIndex {
		return m.Scale <= 1
	}
	return m.Index < 16 && m.Index != amd64.RSP && (m.Scale == 1 || m.Scale == 2 || m.Scale == 4 || m.Scale == 8)
}

// memSize is the length of ModRM [SIB] [disp] for m in its canonical form.
func memSize(m amd64.Mem) int {
	n := 1
	if m.HasIndex || m.Base&7 == 4 {
		n++
	}
	switch {
	case m.Disp == 0 && m.Base&7 != 5:
	case m.Disp >= -128 && m.Disp <= 127:
		n++
	default:
		n += 4
	}
	return n
}

func fits8(v int64) bool  { return v >= -128 && v <= 127 }
func fits32(v int64) bool { return v >= math.MinInt32 && v <= math.MaxInt32 }

func rrForm(name string, emit func(a *amd64.Asm, d, s amd64.Reg), op x86asm.Op, size int) form {
	return form{
		name:  name,
		emit:  func(a *amd64.Asm, o ops) { emit(a, o.r1, o.r2) },
		valid: func(o ops) bool { return regOK(o.r1, o.r2) },
		want:  func(o ops) (x86asm.Op, []x86asm.Arg) { return op, []x86asm.Arg{r64(o.r1), r64(o.r2)} },
		size:  func(ops) int { return size },
	}
}

func riForm(name string, emit func(a *amd64.Asm, d amd64.Reg, imm int32), op x86asm.Op) form {
	return form{
		name:  name,
		emit:  func(a *amd64.Asm, o ops) { emit(a, o.r1, int32(o.imm)) },
		valid: func(o ops) bool { return regOK(o.r1) },
		want: func(o ops) (x86asm.Op, []x86asm.Arg) {
			return op, []x86asm.Arg{r64(o.r1), x86asm.Imm(int32(o.imm))}
		},
		size: func(o ops) int {
			switch {
			case fits8(int64(int32(o.imm))):
				return 4
			case o.r1 == amd64.RAX:
				return 6
			}
			return 7
		},
	}
}

func rForm(name string, emit func(a *amd64.Asm, r amd64.Reg), op x86asm.Op, size func(r amd64.Reg) int) form {
	return form{
		name:  name,
		emit:  func(a *amd64.Asm, o ops) { emit(a, o.r1) },
		valid: func(o ops) bool { return regOK(o.r1) },
		want:  func(o ops) (x86asm.Op, []x86asm.Arg) { return op, []x86asm.Arg{r64(o.r1)} },
		size:  func(o ops) int { return size(o.r1) },
	}
}

func size3(amd64.Reg) int { return 3 }

// rexBSize is the size of a one-byte-opcode instruction on r with an
// optional REX.B: base, plus 1 for R8–R15.
func rexBSize(base int) func(amd64.Reg) int {
	return func(r amd64.Reg) int {
		if r >= amd64.R8 {
			return base + 1
		}
		return base
	}
}

func shiftForm(name string, emit func(a *amd64.Asm, r amd64.Reg, n uint8), op x86asm.Op) form {
	return form{
		name:  name,
		emit:  func(a *amd64.Asm, o ops) { emit(a, o.r1, uint8(o.n)) },
		valid: func(o ops) bool { return regOK(o.r1) && uint8(o.n) <= 63 },
		want: func(o ops) (x86asm.Op, []x86asm.Arg) {
			return op, []x86asm.Arg{r64(o.r1), x86asm.Imm(uint8(o.n))}
		},
		size: func(o ops) int {
			if uint8(o.n) == 1 {
				return 3
			}
			return 4
		},
	}
}

func memForm(name string, emit func(a *amd64.Asm, r amd64.Reg, m amd64.Mem), op x86asm.Op, memFirst bool) form {
	return form{
		name:  name,
		emit:  func(a *amd64.Asm, o ops) { emit(a, o.r1, o.mem) },
		valid: func(o ops) bool { return regOK(o.r1) && memOK(o.mem) },
		want: func(o ops) (x86asm.Op, []x86asm.Arg) {
			if memFirst {
				return op, []x86asm.Arg{xmem(o.mem), r64(o.r1)}
			}
			return op, []x86asm.Arg{r64(o.r1), xmem(o.mem)}
		},
		size: func(o ops) int { return 2 + memSize(o.mem) },
	}
}

func noArgs(name string, emit func(a *amd64.Asm), op x86asm.Op, size int) form {
	return form{
		name:  name,
		emit:  func(a *amd64.Asm, _ ops) { emit(a) },
		valid: func(ops) bool { return true },
		want:  func(ops) (x86asm.Op, []x86asm.Arg) { return op, nil },
		size:  func(ops) int { return size },
	}
}

// forms is every non-label instruction form of the assembler.
var forms = []form{
	rrForm("MovRR", (*amd64.Asm).MovRR, x86asm.MOV, 3),
	rrForm("AddRR", (*amd64.Asm).AddRR, x86asm.ADD, 3),
	rrForm("SubRR", (*amd64.Asm).SubRR, x86asm.SUB, 3),
	rrForm("AndRR", (*amd64.Asm).AndRR, x86asm.AND, 3),
	rrForm("OrRR", (*amd64.Asm).OrRR, x86asm.OR, 3),
	rrForm("XorRR", (*amd64.Asm).XorRR, x86asm.XOR, 3),
	rrForm("CmpRR", (*amd64.Asm).CmpRR, x86asm.CMP, 3),
	rrForm("TestRR", (*amd64.Asm).TestRR, x86asm.TEST, 3),
	rrForm("Imul", (*amd64.Asm).Imul, x86asm.IMUL, 4),
	{
		name:  "MovzxB",
		emit:  func(a *amd64.Asm, o ops) { a.MovzxB(o.r1, o.r2) },
		valid: func(o ops) bool { return regOK(o.r1, o.r2) },
		want: func(o ops) (x86asm.Op, []x86asm.Arg) {
			return x86asm.MOVZX, []x86asm.Arg{r64(o.r1), reg8(o.r2)}
		},
		size: func(ops) int { return 4 },
	},
	{
		name:  "CmovRR",
		emit:  func(a *amd64.Asm, o ops) { a.CmovRR(o.cond, o.r1, o.r2) },
		valid: func(o ops) bool { return regOK(o.r1, o.r2) && o.cond < 16 },
		want: func(o ops) (x86asm.Op, []x86asm.Arg) {
			return cmovOps[o.cond&15], []x86asm.Arg{r64(o.r1), r64(o.r2)}
		},
		size: func(ops) int { return 4 },
	},
	riForm("AddRI", (*amd64.Asm).AddRI, x86asm.ADD),
	riForm("SubRI", (*amd64.Asm).SubRI, x86asm.SUB),
	riForm("AndRI", (*amd64.Asm).AndRI, x86asm.AND),
	riForm("OrRI", (*amd64.Asm).OrRI, x86asm.OR),
	riForm("XorRI", (*amd64.Asm).XorRI, x86asm.XOR),
	riForm("CmpRI", (*amd64.Asm).CmpRI, x86asm.CMP),
	{
		name:  "TestRI",
		emit:  func(a *amd64.Asm, o ops) { a.TestRI(o.r1, int32(o.imm)) },
		valid: func(o ops) bool { return regOK(o.r1) },
		want: func(o ops) (x86asm.Op, []x86asm.Arg) {
			return x86asm.TEST, []x86asm.Arg{r64(o.r1), x86asm.Imm(int32(o.imm))}
		},
		size: func(o ops) int {
			if o.r1 == amd64.RAX {
				return 6
			}
			return 7
		},
	},
	{
		name:  "ImulRRI",
		emit:  func(a *amd64.Asm, o ops) { a.ImulRRI(o.r1, o.r2, int32(o.imm)) },
		valid: func(o ops) bool { return regOK(o.r1, o.r2) },
		want: func(o ops) (x86asm.Op, []x86asm.Arg) {
			return x86asm.IMUL, []x86asm.Arg{r64(o.r1), r64(o.r2), x86asm.Imm(int32(o.imm))}
		},
		size: func(o ops) int {
			if fits8(int64(int32(o.imm))) {
				return 4
			}
			return 7
		},
	},
	{
		name:  "MovRI32",
		emit:  func(a *amd64.Asm, o ops) { a.MovRI32(o.r1, int32(o.imm)) },
		valid: func(o ops) bool { return regOK(o.r1) },
		want: func(o ops) (x86asm.Op, []x86asm.Arg) {
			return x86asm.MOV, []x86asm.Arg{r64(o.r1), x86asm.Imm(int32(o.imm))}
		},
		size: func(ops) int { return 7 },
	},
	{
		name:  "MovRI64",
		emit:  func(a *amd64.Asm, o ops) { a.MovRI64(o.r1, o.imm) },
		valid: func(o ops) bool { return regOK(o.r1) },
		want: func(o ops) (x86asm.Op, []x86asm.Arg) {
			return x86asm.MOV, []x86asm.Arg{r64(o.r1), x86asm.Imm(o.imm)}
		},
		size: func(ops) int { return 10 },
	},
	{
		name:  "MovRI",
		emit:  func(a *amd64.Asm, o ops) { a.MovRI(o.r1, o.imm) },
		valid: func(o ops) bool { return regOK(o.r1) },
		want: func(o ops) (x86asm.Op, []x86asm.Arg) {
			if o.imm >= 0 && o.imm <= math.MaxUint32 {
				// mov r32, imm32: x86asm prints the 32-bit immediate signed.
				return x86asm.MOV, []x86asm.Arg{r32(o.r1), x86asm.Imm(int32(uint32(o.imm)))}
			}
			return x86asm.MOV, []x86asm.Arg{r64(o.r1), x86asm.Imm(o.imm)}
		},
		size: func(o ops) int {
			switch {
			case o.imm >= 0 && o.imm <= math.MaxUint32:
				return rexBSize(5)(o.r1)
			case fits32(o.imm):
				return 7
			}
			return 10
		},
	},
	memForm("Load", (*amd64.Asm).Load, x86asm.MOV, false),
	memForm("Store", func(a *amd64.Asm, r amd64.Reg, m amd64.Mem) { a.Store(m, r) }, x86asm.MOV, true),
	memForm("Lea", (*amd64.Asm).Lea, x86asm.LEA, false),
	{
		name:  "StoreI32",
		emit:  func(a *amd64.Asm, o ops) { a.StoreI32(o.mem, int32(o.imm)) },
		valid: func(o ops) bool { return memOK(o.mem) },
		want: func(o ops) (x86asm.Op, []x86asm.Arg) {
			return x86asm.MOV, []x86asm.Arg{xmem(o.mem), x86asm.Imm(int32(o.imm))}
		},
		size: func(o ops) int { return 2 + memSize(o.mem) + 4 },
	},
	rForm("Neg", (*amd64.Asm).Neg, x86asm.NEG, size3),
	rForm("Not", (*amd64.Asm).Not, x86asm.NOT, size3),
	rForm("Idiv", (*amd64.Asm).Idiv, x86asm.IDIV, size3),
	rForm("Push", (*amd64.Asm).Push, x86asm.PUSH, rexBSize(1)),
	rForm("Pop", (*amd64.Asm).Pop, x86asm.POP, rexBSize(1)),
	rForm("CallR", (*amd64.Asm).CallR, x86asm.CALL, rexBSize(2)),
	rForm("JmpR", (*amd64.Asm).JmpR, x86asm.JMP, rexBSize(2)),
	shiftForm("ShlI", (*amd64.Asm).ShlI, x86asm.SHL),
	shiftForm("ShrI", (*amd64.Asm).ShrI, x86asm.SHR),
	shiftForm("SarI", (*amd64.Asm).SarI, x86asm.SAR),
	{
		name:  "ShlCL",
		emit:  func(a *amd64.Asm, o ops) { a.ShlCL(o.r1) },
		valid: func(o ops) bool { return regOK(o.r1) },
		want:  func(o ops) (x86asm.Op, []x86asm.Arg) { return x86asm.SHL, []x86asm.Arg{r64(o.r1), x86asm.CL} },
		size:  func(ops) int { return 3 },
	},
	{
		name:  "ShrCL",
		emit:  func(a *amd64.Asm, o ops) { a.ShrCL(o.r1) },
		valid: func(o ops) bool { return regOK(o.r1) },
		want:  func(o ops) (x86asm.Op, []x86asm.Arg) { return x86asm.SHR, []x86asm.Arg{r64(o.r1), x86asm.CL} },
		size:  func(ops) int { return 3 },
	},
	{
		name:  "SarCL",
		emit:  func(a *amd64.Asm, o ops) { a.SarCL(o.r1) },
		valid: func(o ops) bool { return regOK(o.r1) },
		want:  func(o ops) (x86asm.Op, []x86asm.Arg) { return x86asm.SAR, []x86asm.Arg{r64(o.r1), x86asm.CL} },
		size:  func(ops) int { return 3 },
	},
	{
		name:  "Setcc",
		emit:  func(a *amd64.Asm, o ops) { a.Setcc(o.cond, o.r1) },
		valid: func(o ops) bool { return regOK(o.r1) && o.cond < 16 },
		want: func(o ops) (x86asm.Op, []x86asm.Arg) {
			return setccOps[o.cond&15], []x86asm.Arg{reg8(o.r1)}
		},
		size: func(o ops) int {
			if o.r1 >= amd64.RSP {
				return 4
			}
			return 3
		},
	},
	{
		name:  "Nop",
		emit:  func(a *amd64.Asm, o ops) { a.Nop(o.n) },
		valid: func(o ops) bool { return o.n >= 1 && o.n <= 15 },
		want: func(o ops) (x86asm.Op, []x86asm.Arg) {
			if o.n <= 2 {
				return x86asm.NOP, nil
			}
			// The multi-byte nops have a memory operand based on rax
			// (with an index for the SIB forms).
			m := x86asm.Mem{Base: x86asm.RAX}
			if o.n != 3 && o.n != 4 && o.n != 7 {
				m.Index, m.Scale = x86asm.RAX, 1
			}
			// (x86asm drops the CS override of the 10–15-byte forms: it
			// has no effect in 64-bit mode.)
			return x86asm.NOP, []x86asm.Arg{m}
		},
		size: func(o ops) int { return o.n },
	},
	noArgs("Ret", (*amd64.Asm).Ret, x86asm.RET, 1),
	noArgs("Cqo", (*amd64.Asm).Cqo, x86asm.CQO, 2),
	{
		name:  "Int3",
		emit:  func(a *amd64.Asm, _ ops) { a.Int3() },
		valid: func(ops) bool { return true },
		want:  func(ops) (x86asm.Op, []x86asm.Arg) { return x86asm.INT, []x86asm.Arg{x86asm.Imm(3)} },
		size:  func(ops) int { return 1 },
	},
	noArgs("Ud2", (*amd64.Asm).Ud2, x86asm.UD2, 2),
	noArgs("Cpuid", (*amd64.Asm).Cpuid, x86asm.CPUID, 2),
	noArgs("Mfence", (*amd64.Asm).Mfence, x86asm.MFENCE, 3),
	noArgs("Pause", (*amd64.Asm).Pause, x86asm.PAUSE, 2),
}

// formByName returns the form called name; it panics for a test-table typo.
func formByName(name string) form {
	for _, f := range forms {
		if f.name == name {
			return f
		}
	}
	panic("no form " + name)
}

// encodeOne assembles one instance of f and returns its bytes or the error
// Finish reported.
func encodeOne(f form, o ops) ([]byte, error) {
	a := amd64.New()
	f.emit(a, o)
	bl, err := a.Finish()
	if err != nil {
		return nil, err
	}
	return bl.Code, nil
}

// checkForm encodes f with o and checks it against the oracle and the
// canonical size, or, for invalid operands, that Finish reports a caller's
// mistake. It returns the first problem found.
func checkForm(f form, o ops) error {
	b, err := encodeOne(f, o)
	if !f.valid(o) {
		if err == nil {
			return fmt.Errorf("%s(%v): invalid operands accepted: % x", f.name, o, b)
		}
		var ce *codegen.Error
		if !errors.As(err, &ce) || !(errors.Is(err, codegen.ErrBadOperand) || errors.Is(err, codegen.ErrOutOfRange)) {
			return fmt.Errorf("%s(%v): error %v is not a bad-operand/out-of-range codegen.Error", f.name, o, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s(%v): %v", f.name, o, err)
	}
	if want := f.size(o); len(b) != want {
		return fmt.Errorf("%s(%v): % x is %d bytes, canonical form is %d", f.name, o, b, len(b), want)
	}
	op, args := f.want(o)
	if err := oracle(b, op, args...); err != nil {
		return fmt.Errorf("%s(%v): %v", f.name, o, err)
	}
	return nil
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// Boundary values.
var (
	imm32s = []int64{0, 1, -1, 2, 127, -128, 128, -129, 255, 256, 0x7fff, -0x8000, math.MaxInt32, math.MinInt32, math.MaxInt32 - 1, math.MinInt32 + 1}
	imm64s = []int64{0, 1, -1, 127, -128, 128, math.MaxInt32, math.MinInt32, math.MaxInt32 + 1, math.MinInt32 - 1,
		math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64, math.MinInt64, 0x123456789abcdef0, -0x123456789abcdef0}
	disps = []int32{0, 1, -1, 127, 128, -128, -129, 0x1000, math.MaxInt32, math.MinInt32}
)
