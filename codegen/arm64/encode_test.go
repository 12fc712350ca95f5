package arm64

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/arch/arm64/arm64asm"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/internal/golden"
)

// ops are the operands of one single-instruction form: up to four
// registers, an immediate, a condition and a barrier option. Which ones a
// form uses, and in which role, is up to the form.
type ops struct {
	r   [4]Reg
	imm int64
	c   Cond
	b   Barrier
}

// regClass says which register operands a position takes.
type regClass uint8

const (
	cZ  regClass = iota + 1 // R0..R30, ZR
	cS                      // R0..R30, SP
	cX                      // R0..R30
	cZS                     // R0..R30, ZR or SP (the form's valid decides the mix)
)

func (c regClass) has(r Reg) bool {
	switch c {
	case cZ:
		return r <= ZR
	case cS:
		return r < ZR || r == SP
	case cX:
		return r < ZR
	case cZS:
		return r <= ZR || r == SP
	}
	return false
}

// immClass is an immediate: its boundary values (valid), values just
// beyond them (invalid), and the independent validity test.
type immClass struct {
	vals, bad []int64
	ok        func(v int64) bool
}

var (
	none   = immClass{vals: []int64{0}}
	sh6    = immClass{[]int64{0, 1, 2, 31, 32, 33, 62, 63}, []int64{64, 65, 1 << 31}, func(v int64) bool { return v >= 0 && v <= 63 }}
	addImm = immClass{
		[]int64{0, 1, 4095, 4096, 8192, 0xfff000, 0x123000, -1, -4095, -4096, -0xfff000, 16, -16},
		[]int64{4097, 0x1000000, 0xfff001, -4097, -0x1000000, 1 << 40, math.MinInt64, math.MaxInt64},
		func(v int64) bool {
			if v < 0 {
				if v == math.MinInt64 {
					return false
				}
				v = -v
			}
			return v < 4096 || v%4096 == 0 && v>>12 < 4096
		}}
	ldrOff = immClass{
		[]int64{0, 8, 16, 32760, -256, 255, -1, 1, 4, 100, 248, -8},
		[]int64{32768, 32761, 256, -257, 32764, 1 << 20, -1 << 20, math.MinInt64},
		func(v int64) bool { return v >= 0 && v <= 32760 && v%8 == 0 || v >= -256 && v <= 255 }}
	pairOff = immClass{
		[]int64{0, 8, -8, 16, -16, 504, -512, 256},
		[]int64{4, -4, 512, -520, 505, 1 << 33, math.MinInt64},
		func(v int64) bool { return v%8 == 0 && v >= -512 && v <= 504 }}
	bitmasks = immClass{
		[]int64{0xff, 0x5555555555555555, math.MinInt64, math.MaxInt64, 0x00ff00ff00ff00ff, 0x0f0f0f0f0f0f0f0f,
			-2, 0x3ffc0000, 0x0000fff00000fff0, -0x3ffffffffffffffd, 1, 0x6666666666666666, 0x0001000100010001},
		[]int64{0, -1, 0x12345678, 5, 0x0f0f0f0f0f0f0f0e, 0x00ff00ff00ff00fe},
		func(v int64) bool { return isBitmaskRef(uint64(v)) }}
	brkImm = immClass{[]int64{0, 1, 0x7fff, 0x8000, 0xffff}, nil, nil}
)

// isBitmaskRef is the test's own definition of a logical immediate: a
// replicated element of 2..64 bits that is a rotated, non-empty, not full
// run of ones.
func isBitmaskRef(v uint64) bool {
	for e := uint(2); e <= 64; e *= 2 {
		m := ^uint64(0) >> (64 - e)
		elt := v & m
		rep := uint64(0)
		for i := uint(0); i < 64; i += e {
			rep |= elt << i
		}
		if rep != v {
			continue
		}
		for s := uint(1); s < e; s++ {
			run := uint64(1)<<s - 1
			for r := uint(0); r < e; r++ {
				if (run>>r|run<<(e-r))&m == elt {
					return true
				}
			}
		}
	}
	return false
}

// form describes one single-instruction emitter and what the decoder must
// see for it. The expectations are written from the Arm ARM (preferred
// disassembly of each alias) and GNU objdump output, independently of the
// encoder, as arm64asm prints each argument.
type form struct {
	name  string
	regs  []regClass          // the classes of o.r[:len(regs)]
	imm   immClass            // o.imm
	emit  func(a *Asm, o ops) // the emitter under test
	valid func(o ops) bool    // nil: only the register and imm checks
	want  func(o ops) (arm64asm.Op, []string)
	// alt, when set, is a second decoding the oracle accepts (an alias the
	// Arm ARM and GNU objdump prefer differently).
	alt func(o ops) (arm64asm.Op, []string)
	// narrow, when set, converts o.imm as the emitter's parameter type
	// does (a uint shift, a uint16 BRK immediate).
	narrow func(int64) int64
	// text, when set, is what Decode (not arm64asm, which lacks the
	// instruction) must print.
	text func(o ops) string
}

// X is how arm64asm prints a register argument.
func X(r Reg) string {
	switch r {
	case ZR:
		return "XZR"
	case SP:
		return "SP"
	}
	return fmt.Sprintf("X%d", r)
}

// C is how arm64asm prints a condition argument.
func C(c Cond) string {
	return [...]string{"EQ", "NE", "CS", "CC", "MI", "PL", "VS", "VC", "HI", "LS", "GE", "LT", "GT", "LE", "AL"}[c]
}

func hexImm(v uint64) string { return fmt.Sprintf("#%#x", v) }

// immShift prints an ADD/SUB immediate of magnitude v as arm64asm does.
func immShift(v int64) string {
	if v >= 4096 {
		return fmt.Sprintf("#%#x, LSL #12", v>>12)
	}
	return fmt.Sprintf("#%#x", v)
}

func mem(base Reg, off int64, mode string) string {
	switch {
	case mode == "pre":
		return fmt.Sprintf("[%s,#%d]!", X(base), off)
	case mode == "post":
		return fmt.Sprintf("[%s],#%d", X(base), off)
	case off == 0:
		return fmt.Sprintf("[%s]", X(base))
	}
	return fmt.Sprintf("[%s,#%d]", X(base), off)
}

func want(op arm64asm.Op, args ...string) (arm64asm.Op, []string) { return op, args }

func noSPZR(o ops) bool { // an instruction with SP cannot name ZR, and back
	hasSP, hasZR := false, false
	for _, r := range o.r[:2] {
		hasSP = hasSP || r == SP
		hasZR = hasZR || r == ZR
	}
	return !(hasSP && hasZR)
}

func r3form(name string, emit func(a *Asm, d, n, m Reg), w func(o ops) (arm64asm.Op, []string)) form {
	return form{name: name, regs: []regClass{cZ, cZ, cZ}, imm: none,
		emit: func(a *Asm, o ops) { emit(a, o.r[0], o.r[1], o.r[2]) }, want: w}
}

func plain3(op arm64asm.Op) func(o ops) (arm64asm.Op, []string) {
	return func(o ops) (arm64asm.Op, []string) { return want(op, X(o.r[0]), X(o.r[1]), X(o.r[2])) }
}

func addSubForm(name string, emit func(a *Asm, d, n, m Reg), op arm64asm.Op) form {
	return form{name: name, regs: []regClass{cZS, cZS, cZ}, imm: none,
		emit:  func(a *Asm, o ops) { emit(a, o.r[0], o.r[1], o.r[2]) },
		valid: noSPZR,
		want: func(o ops) (arm64asm.Op, []string) {
			if op == arm64asm.SUB && o.r[1] == ZR { // SUB rd, XZR, rm is NEG
				return want(arm64asm.NEG, X(o.r[0]), X(o.r[2]))
			}
			return want(op, X(o.r[0]), X(o.r[1]), X(o.r[2]))
		}}
}

func cmpForm(name string, emit func(a *Asm, n, m Reg), op arm64asm.Op) form {
	return form{name: name, regs: []regClass{cZS, cZ}, imm: none,
		emit: func(a *Asm, o ops) { emit(a, o.r[0], o.r[1]) },
		want: func(o ops) (arm64asm.Op, []string) { return want(op, X(o.r[0]), X(o.r[1])) }}
}

func madForm(name string, emit func(a *Asm, d, n, m, ra Reg), op, alias arm64asm.Op) form {
	return form{name: name, regs: []regClass{cZ, cZ, cZ, cZ}, imm: none,
		emit: func(a *Asm, o ops) { emit(a, o.r[0], o.r[1], o.r[2], o.r[3]) },
		want: func(o ops) (arm64asm.Op, []string) {
			if o.r[3] == ZR {
				return want(alias, X(o.r[0]), X(o.r[1]), X(o.r[2]))
			}
			return want(op, X(o.r[0]), X(o.r[1]), X(o.r[2]), X(o.r[3]))
		}}
}

func shiftForm(name string, emit func(a *Asm, d, n Reg, s uint), op arm64asm.Op) form {
	return form{name: name, regs: []regClass{cZ, cZ}, imm: sh6,
		emit:   func(a *Asm, o ops) { emit(a, o.r[0], o.r[1], uint(o.imm)) },
		narrow: func(v int64) int64 { return int64(uint(v)) },
		want: func(o ops) (arm64asm.Op, []string) {
			if op == arm64asm.LSL && o.imm == 0 { // UBFM #0, #63 is LSR #0
				return want(arm64asm.LSR, X(o.r[0]), X(o.r[1]), "#0")
			}
			return want(op, X(o.r[0]), X(o.r[1]), fmt.Sprintf("#%d", o.imm))
		}}
}

func addImmForm(name string, emit func(a *Asm, d, n Reg, v int64), op, neg arm64asm.Op) form {
	return form{name: name, regs: []regClass{cS, cS}, imm: addImm,
		emit: func(a *Asm, o ops) { emit(a, o.r[0], o.r[1], o.imm) },
		want: func(o ops) (arm64asm.Op, []string) {
			v, p := o.imm, op
			if v < 0 {
				v, p = -v, neg
			}
			if p == arm64asm.ADD && v == 0 && (o.r[0] == SP || o.r[1] == SP) {
				return want(arm64asm.MOV, X(o.r[0]), X(o.r[1])) // mov to or from sp
			}
			return want(p, X(o.r[0]), X(o.r[1]), immShift(v))
		}}
}

// movable reports whether v is one MOVZ or MOVN (then ORR with it is not
// printed as mov).
func movable(v uint64) bool {
	n0, n1 := 0, 0
	for i := 0; i < 4; i++ {
		switch v >> (16 * i) & 0xffff {
		case 0:
			n0++
		case 0xffff:
			n1++
		}
	}
	return n0 >= 3 || n1 >= 3
}

// logImmForm: ORR rd, XZR, #imm is printed as MOV rd, #imm unless one MOVZ
// or MOVN loads imm (GNU objdump). The Arm ARM's MoveWidePreferred, which
// arm64asm follows, says MOV for some of those too (0xff...fe), so for them
// either is accepted.
func logImmForm(name string, emit func(a *Asm, d, n Reg, v uint64), op arm64asm.Op) form {
	f := form{name: name, regs: []regClass{cS, cZ}, imm: bitmasks,
		emit: func(a *Asm, o ops) { emit(a, o.r[0], o.r[1], uint64(o.imm)) },
		want: func(o ops) (arm64asm.Op, []string) {
			v := uint64(o.imm)
			if op == arm64asm.ORR && o.r[1] == ZR && !movable(v) {
				return want(arm64asm.MOV, X(o.r[0]), hexImm(v))
			}
			return want(op, X(o.r[0]), X(o.r[1]), hexImm(v))
		}}
	if op == arm64asm.ORR {
		f.alt = func(o ops) (arm64asm.Op, []string) {
			if v := uint64(o.imm); o.r[1] == ZR && movable(v) {
				return want(arm64asm.MOV, X(o.r[0]), hexImm(v))
			}
			return 0, nil
		}
	}
	return f
}

func ldstForm(name string, emit func(a *Asm, t, b Reg, off int64), scaled, unscaled arm64asm.Op) form {
	return form{name: name, regs: []regClass{cZ, cS}, imm: ldrOff,
		emit: func(a *Asm, o ops) { emit(a, o.r[0], o.r[1], o.imm) },
		want: func(o ops) (arm64asm.Op, []string) {
			if o.imm >= 0 && o.imm%8 == 0 && o.imm <= 32760 {
				return want(scaled, X(o.r[0]), mem(o.r[1], o.imm, ""))
			}
			return want(unscaled, X(o.r[0]), mem(o.r[1], o.imm, ""))
		}}
}

func pairForm(name string, emit func(a *Asm, t1, t2, b Reg, off int64), op arm64asm.Op, mode string) form {
	return form{name: name, regs: []regClass{cZ, cZ, cS}, imm: pairOff,
		emit: func(a *Asm, o ops) { emit(a, o.r[0], o.r[1], o.r[2], o.imm) },
		valid: func(o ops) bool {
			if op == arm64asm.LDP && o.r[0] == o.r[1] {
				return false
			}
			return mode == "" || o.r[2] != o.r[0] && o.r[2] != o.r[1]
		},
		want: func(o ops) (arm64asm.Op, []string) {
			return want(op, X(o.r[0]), X(o.r[1]), mem(o.r[2], o.imm, mode))
		}}
}

func fixed(name string, emit func(a *Asm), op arm64asm.Op, args ...string) form {
	return form{name: name, imm: none, emit: func(a *Asm, o ops) { emit(a) },
		want: func(o ops) (arm64asm.Op, []string) { return op, args }}
}

func oneReg(name string, c regClass, emit func(a *Asm, r Reg), w func(o ops) (arm64asm.Op, []string)) form {
	return form{name: name, regs: []regClass{c}, imm: none, emit: func(a *Asm, o ops) { emit(a, o.r[0]) }, want: w}
}

var forms = []form{
	{name: "MovRR", regs: []regClass{cZS, cZS}, imm: none, valid: noSPZR,
		emit: func(a *Asm, o ops) { a.MovRR(o.r[0], o.r[1]) },
		want: func(o ops) (arm64asm.Op, []string) { return want(arm64asm.MOV, X(o.r[0]), X(o.r[1])) }},
	addSubForm("Add", (*Asm).Add, arm64asm.ADD),
	addSubForm("Sub", (*Asm).Sub, arm64asm.SUB),
	r3form("And", (*Asm).And, plain3(arm64asm.AND)),
	r3form("Orr", (*Asm).Orr, func(o ops) (arm64asm.Op, []string) {
		if o.r[1] == ZR { // ORR rd, XZR, rm is MOV
			return want(arm64asm.MOV, X(o.r[0]), X(o.r[2]))
		}
		return want(arm64asm.ORR, X(o.r[0]), X(o.r[1]), X(o.r[2]))
	}),
	r3form("Eor", (*Asm).Eor, plain3(arm64asm.EOR)),
	{name: "Tst", regs: []regClass{cZ, cZ}, imm: none, emit: func(a *Asm, o ops) { a.Tst(o.r[0], o.r[1]) },
		want: func(o ops) (arm64asm.Op, []string) { return want(arm64asm.TST, X(o.r[0]), X(o.r[1])) }},
	{name: "Mvn", regs: []regClass{cZ, cZ}, imm: none, emit: func(a *Asm, o ops) { a.Mvn(o.r[0], o.r[1]) },
		want: func(o ops) (arm64asm.Op, []string) { return want(arm64asm.MVN, X(o.r[0]), X(o.r[1])) }},
	{name: "Neg", regs: []regClass{cZ, cZ}, imm: none, emit: func(a *Asm, o ops) { a.Neg(o.r[0], o.r[1]) },
		want: func(o ops) (arm64asm.Op, []string) { return want(arm64asm.NEG, X(o.r[0]), X(o.r[1])) }},
	r3form("Mul", (*Asm).Mul, plain3(arm64asm.MUL)),
	madForm("Madd", (*Asm).Madd, arm64asm.MADD, arm64asm.MUL),
	madForm("Msub", (*Asm).Msub, arm64asm.MSUB, arm64asm.MNEG),
	r3form("Sdiv", (*Asm).Sdiv, plain3(arm64asm.SDIV)),
	r3form("Udiv", (*Asm).Udiv, plain3(arm64asm.UDIV)),
	r3form("Lslv", (*Asm).Lslv, plain3(arm64asm.LSL)),
	r3form("Lsrv", (*Asm).Lsrv, plain3(arm64asm.LSR)),
	r3form("Asrv", (*Asm).Asrv, plain3(arm64asm.ASR)),
	shiftForm("LslImm", (*Asm).LslImm, arm64asm.LSL),
	shiftForm("LsrImm", (*Asm).LsrImm, arm64asm.LSR),
	shiftForm("AsrImm", (*Asm).AsrImm, arm64asm.ASR),
	addImmForm("AddImm", (*Asm).AddImm, arm64asm.ADD, arm64asm.SUB),
	addImmForm("SubImm", (*Asm).SubImm, arm64asm.SUB, arm64asm.ADD),
	{name: "CmpImm", regs: []regClass{cS}, imm: addImm, emit: func(a *Asm, o ops) { a.CmpImm(o.r[0], o.imm) },
		want: func(o ops) (arm64asm.Op, []string) {
			if o.imm < 0 {
				return want(arm64asm.CMN, X(o.r[0]), immShift(-o.imm))
			}
			return want(arm64asm.CMP, X(o.r[0]), immShift(o.imm))
		}},
	logImmForm("AndImm", (*Asm).AndImm, arm64asm.AND),
	logImmForm("OrrImm", (*Asm).OrrImm, arm64asm.ORR),
	logImmForm("EorImm", (*Asm).EorImm, arm64asm.EOR),
	{name: "TstImm", regs: []regClass{cZ}, imm: bitmasks, emit: func(a *Asm, o ops) { a.TstImm(o.r[0], uint64(o.imm)) },
		want: func(o ops) (arm64asm.Op, []string) { return want(arm64asm.TST, X(o.r[0]), hexImm(uint64(o.imm))) }},
	cmpForm("Cmp", (*Asm).Cmp, arm64asm.CMP),
	cmpForm("Cmn", (*Asm).Cmn, arm64asm.CMN),
	{name: "Cset", regs: []regClass{cZ}, imm: none, emit: func(a *Asm, o ops) { a.Cset(o.r[0], o.c) },
		valid: func(o ops) bool { return o.c < AL },
		want:  func(o ops) (arm64asm.Op, []string) { return want(arm64asm.CSET, X(o.r[0]), C(o.c)) }},
	{name: "Csel", regs: []regClass{cZ, cZ, cZ}, imm: none, emit: func(a *Asm, o ops) { a.Csel(o.r[0], o.r[1], o.r[2], o.c) },
		valid: func(o ops) bool { return o.c <= AL },
		want: func(o ops) (arm64asm.Op, []string) {
			return want(arm64asm.CSEL, X(o.r[0]), X(o.r[1]), X(o.r[2]), C(o.c))
		}},
	ldstForm("Ldr", (*Asm).Ldr, arm64asm.LDR, arm64asm.LDUR),
	ldstForm("Str", (*Asm).Str, arm64asm.STR, arm64asm.STUR),
	pairForm("Ldp", (*Asm).Ldp, arm64asm.LDP, ""),
	pairForm("Stp", (*Asm).Stp, arm64asm.STP, ""),
	pairForm("LdpPre", (*Asm).LdpPre, arm64asm.LDP, "pre"),
	pairForm("StpPre", (*Asm).StpPre, arm64asm.STP, "pre"),
	pairForm("LdpPost", (*Asm).LdpPost, arm64asm.LDP, "post"),
	pairForm("StpPost", (*Asm).StpPost, arm64asm.STP, "post"),
	fixed("Ret", (*Asm).Ret, arm64asm.RET, "X30"),
	oneReg("Br", cX, (*Asm).Br, func(o ops) (arm64asm.Op, []string) { return want(arm64asm.BR, X(o.r[0])) }),
	oneReg("Blr", cX, (*Asm).Blr, func(o ops) (arm64asm.Op, []string) { return want(arm64asm.BLR, X(o.r[0])) }),
	fixed("Nop", (*Asm).Nop, arm64asm.NOP),
	fixed("Isb", (*Asm).Isb, arm64asm.ISB, "SY"),
	{name: "Dsb", imm: none, emit: func(a *Asm, o ops) { a.Dsb(o.b) }, valid: func(o ops) bool { return validBarrier(o.b) },
		want: func(o ops) (arm64asm.Op, []string) { return want(arm64asm.DSB, strings.ToUpper(o.b.String())) }},
	{name: "Dmb", imm: none, emit: func(a *Asm, o ops) { a.Dmb(o.b) }, valid: func(o ops) bool { return validBarrier(o.b) },
		want: func(o ops) (arm64asm.Op, []string) { return want(arm64asm.DMB, strings.ToUpper(o.b.String())) }},
	oneReg("DcCvau", cX, (*Asm).DcCvau, func(o ops) (arm64asm.Op, []string) { return want(arm64asm.DC, "CVAU, "+X(o.r[0])) }),
	{name: "IcIvau", regs: []regClass{cX}, imm: none, emit: func(a *Asm, o ops) { a.IcIvau(o.r[0]) },
		text: func(o ops) string { return "ic ivau, " + strings.ToLower(X(o.r[0])) }},
	oneReg("MrsCtrEl0", cZ, (*Asm).MrsCtrEl0, func(o ops) (arm64asm.Op, []string) {
		return want(arm64asm.MRS, X(o.r[0]), "S3_3_C0_C0_1") // CTR_EL0
	}),
	{name: "Brk", imm: brkImm, emit: func(a *Asm, o ops) { a.Brk(uint16(o.imm)) },
		narrow: func(v int64) int64 { return int64(uint16(v)) },
		want:   func(o ops) (arm64asm.Op, []string) { return want(arm64asm.BRK, hexImm(uint64(o.imm))) }},
}

// validBarrier is the test's list of the named DMB/DSB options.
func validBarrier(b Barrier) bool {
	switch b {
	case OSHLD, OSHST, OSH, NSHLD, NSHST, NSH, ISHLD, ISHST, ISH, LD, ST, SY:
		return true
	}
	return false
}

func formByName(t testing.TB, name string) form {
	for _, f := range forms {
		if f.name == name {
			return f
		}
	}
	t.Fatalf("no form %q", name)
	return form{}
}

// validOps is the independent validity predicate the emitters must agree with.
func (f form) validOps(o ops) bool {
	for i, c := range f.regs {
		if !c.has(o.r[i]) {
			return false
		}
	}
	if f.imm.ok != nil && !f.imm.ok(o.imm) {
		return false
	}
	return f.valid == nil || f.valid(o)
}

// decodeWord decodes exactly one instruction.
func decodeWord(b []byte) (arm64asm.Inst, error) {
	if len(b) != 4 {
		return arm64asm.Inst{}, fmt.Errorf("% x: %d bytes, want one 4-byte instruction", b, len(b))
	}
	inst, err := arm64asm.Decode(b)
	if err != nil {
		return inst, fmt.Errorf("decode % x: %v", b, err)
	}
	return inst, nil
}

// oracle decodes b as exactly one instruction and compares it with op and
// the printed arguments; it returns a description of the first mismatch.
func oracle(b []byte, op arm64asm.Op, args []string) error {
	inst, err := decodeWord(b)
	if err != nil {
		return err
	}
	if inst.Op != op {
		return fmt.Errorf("decode % x: op %v, want %v (%s)", b, inst.Op, op, arm64asm.GNUSyntax(inst))
	}
	for i, a := range inst.Args {
		got, w := "<none>", "<none>"
		if a != nil {
			got = a.String()
		}
		if i < len(args) {
			w = args[i]
		}
		if got != w {
			return fmt.Errorf("decode % x (%s): arg %d is %T %q, want %q", b, arm64asm.GNUSyntax(inst), i, a, got, w)
		}
	}
	return nil
}

// check runs f on o and checks the result against the oracle (or, for a
// form arm64asm cannot decode, against Decode's text).
func (f form) check(o ops) error {
	code, err := assemble(func(a *Asm) { f.emit(a, o) })
	if err != nil {
		return err
	}
	if f.text != nil {
		if _, err := arm64asm.Decode(code); err == nil {
			return fmt.Errorf("% x: arm64asm decodes it now: use an oracle expectation", code)
		}
		text, n, err := Decode(code, 0)
		if err != nil || n != 4 || text != f.text(o) {
			return fmt.Errorf("% x: Decode gives %q, %d, %v; want %q", code, text, n, err, f.text(o))
		}
		return nil
	}
	op, args := f.want(o)
	err = oracle(code, op, args)
	if err != nil && f.alt != nil {
		if op, args := f.alt(o); op != 0 && oracle(code, op, args) == nil {
			return nil
		}
	}
	return err
}

// assemble runs emit on a fresh assembler and finishes it.
func assemble(emit func(a *Asm)) ([]byte, error) {
	a := New()
	emit(a)
	bl, err := a.Finish()
	if err != nil {
		return nil, err
	}
	return bl.Code, nil
}

// allRegs is every register operand: R0..R30, ZR, SP.
var allRegs = func() []Reg {
	var rs []Reg
	for r := R0; r <= ZR; r++ {
		rs = append(rs, r)
	}
	return append(rs, SP)
}()

var barriers = []Barrier{OSHLD, OSHST, OSH, NSHLD, NSHST, NSH, ISHLD, ISHST, ISH, LD, ST, SY, 0, 4, 8, 12, 16}

// operandSets lists, for a form, operand combinations that put every
// register in every register position (with distinct registers in the
// others) and every boundary immediate, condition and barrier in use.
func operandSets(f form) []ops {
	var out []ops
	n := len(allRegs)
	for i := range allRegs {
		for j, v := range f.imm.vals {
			out = append(out, ops{
				r:   [4]Reg{allRegs[i], allRegs[(i+11)%n], allRegs[(i+22)%n], allRegs[(i+5+j)%n]},
				imm: v, c: Cond((i + j) % 16), b: barriers[(i+j)%len(barriers)]})
		}
	}
	// Every register in each position against the same register in the others.
	for _, r := range allRegs {
		out = append(out, ops{r: [4]Reg{r, r, r, r}, imm: f.imm.vals[0], c: EQ, b: ISH})
	}
	return out
}

func TestFormsOracle(t *testing.T) {
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			n := 0
			for _, o := range operandSets(f) {
				if !f.validOps(o) {
					continue
				}
				require.NoError(t, f.check(o), "%s %+v", f.name, o)
				n++
			}
			assert.Greater(t, n, 11, "too few valid operand sets")
		})
	}
}

// Every form is in the table once, and every table form is a method.
func TestFormsCoverEncoders(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range forms {
		assert.False(t, seen[f.name], "form %s twice", f.name)
		seen[f.name] = true
	}
	multi := map[string]bool{ // emitters of several words or label references: tested elsewhere
		"LoadConst": true, "Word": true, "Quad": true, "B": true, "Bl": true, "Bcond": true, "Cbz": true, "Cbnz": true,
		"Tbz": true, "Tbnz": true, "Adr": true, "LdrLit": true, "JumpSite": true, "CallSite": true, "GuardSite": true,
		"DataSlot": true, "BindDataSlot": true,
	}
	for _, n := range encoders() {
		if !multi[n] {
			assert.True(t, seen[n], "no oracle form for %s", n)
		}
	}
}

// The oracle must reject a corrupted encoding: this is the negative control
// that shows the checks above can fail.
func TestOracleRejectsCorruption(t *testing.T) {
	code, err := assemble(func(a *Asm) { a.Add(R3, R4, R5) })
	require.NoError(t, err)
	good := []string{"X3", "X4", "X5"}
	require.NoError(t, oracle(code, arm64asm.ADD, good))

	tests := []struct {
		name  string
		index int
		xor   byte
	}{
		{"rd", 0, 0x01},            // x3 → x2
		{"rn", 0, 0x20},            // x4 → x5
		{"rm", 2, 0x01},            // x5 → x4
		{"shift amount", 1, 0x04},  // lsl #1
		{"opcode: sub", 3, 0x40},   // ADD → SUB
		{"sf: 32-bit", 3, 0x80},    // X → W
		{"extended form", 2, 0x20}, // shifted → extended register
		{"unallocated", 3, 0x8b},   // top byte zero: UDF space
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := append([]byte(nil), code...)
			bad[tc.index] ^= tc.xor
			assert.Error(t, oracle(bad, arm64asm.ADD, good), "corrupted % x accepted", bad)
		})
	}
	// A truncated encoding, a longer one and a wrong expectation are rejected too.
	assert.Error(t, oracle(code[:3], arm64asm.ADD, good))
	assert.Error(t, oracle(append(code, code...), arm64asm.ADD, good))
	assert.Error(t, oracle(code, arm64asm.ADD, []string{"X3", "X4", "X6"}))
	assert.Error(t, oracle(code, arm64asm.ADD, []string{"X3", "X4"}))
	assert.Error(t, oracle(code, arm64asm.ADD, []string{"X3", "X4", "X5", "X6"}))
	// A register the caller meant as SP but encoded where 31 is XZR is caught.
	code, err = assemble(func(a *Asm) { a.Orr(R1, R2, ZR) })
	require.NoError(t, err)
	assert.Error(t, oracle(code, arm64asm.ORR, []string{"X1", "X2", "SP"}))
	// Decode's fallback for IC IVAU is exact: a neighbouring SYS word is not IC IVAU.
	f := formByName(t, "IcIvau")
	text, _, err := Decode(binary.LittleEndian.AppendUint32(nil, opSYS|icIVAU|3^1<<8), 0)
	require.NoError(t, err)
	assert.NotEqual(t, f.text(ops{r: [4]Reg{R3}}), text)
}

// Every invalid operand is a clean error that wraps the right sentinel.
func TestBadOperands(t *testing.T) {
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			var cases []ops
			base := ops{r: [4]Reg{R1, R2, R3, R4}, imm: f.imm.vals[0], b: ISH}
			for _, v := range f.imm.bad {
				if v != int64(int(v)) && v != int64(uint(v)) {
					continue // a 32-bit int or uint cannot hold it
				}
				o := base
				o.imm = v
				cases = append(cases, o)
			}
			for i := range f.regs {
				for _, r := range []Reg{32, 40, 62, 64, 255, ZR, SP} {
					o := base
					o.r[i] = r
					cases = append(cases, o)
				}
			}
			for _, c := range []Cond{AL, AL + 1, 200} {
				o := base
				o.c = c
				cases = append(cases, o)
			}
			for _, b := range []Barrier{0, 4, 8, 12, 16, 255} {
				o := base
				o.b = b
				cases = append(cases, o)
			}
			cases = append(cases, operandSets(f)...)
			nbad := 0
			for _, o := range cases {
				if f.validOps(o) {
					continue
				}
				nbad++
				_, err := assemble(func(a *Asm) { f.emit(a, o) })
				require.Error(t, err, "%s %+v", f.name, o)
				assert.True(t, errors.Is(err, codegen.ErrBadOperand) || errors.Is(err, codegen.ErrOutOfRange), "%v", err)
				var ce *codegen.Error
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, "arm64", ce.Arch)
			}
			if len(f.regs) > 0 || len(f.imm.bad) > 0 {
				assert.Positive(t, nbad)
			}
		})
	}
	for _, emit := range []func(a *Asm){
		func(a *Asm) { a.Bcond(AL+1, a.NewLabel()) },
		func(a *Asm) { a.Cbz(ZR, a.NewLabel()) },
		func(a *Asm) { a.Cbnz(SP, a.NewLabel()) },
		func(a *Asm) { a.Tbz(R1, 64, a.NewLabel()) },
		func(a *Asm) { a.Tbnz(32, 1, a.NewLabel()) },
		func(a *Asm) { a.Adr(ZR, a.NewLabel()) },
		func(a *Asm) { a.LdrLit(SP, a.NewLabel()) },
		func(a *Asm) { a.LoadConst(ZR, 1) },
		func(a *Asm) { a.LoadConst(SP, 1) },
		func(a *Asm) { a.Emit(1, 2) }, // raw bytes breaking word alignment
	} {
		_, err := assemble(emit)
		require.Error(t, err)
		assert.True(t, errors.Is(err, codegen.ErrBadOperand) || errors.Is(err, codegen.ErrOutOfRange), "%v", err)
	}
}

func TestRegsAndConds(t *testing.T) {
	assert.Equal(t, "x0", R0.String())
	assert.Equal(t, "x30", R30.String())
	assert.Equal(t, "xzr", ZR.String())
	assert.Equal(t, "sp", SP.String())
	assert.Equal(t, "Reg(32)", Reg(32).String())
	assert.Equal(t, uint8(31), uint8(SP&31), "sp encodes as 31")
	assert.Equal(t, uint8(31), uint8(ZR&31), "xzr encodes as 31")
	for _, r := range []Reg{R18, R26, R27, R28, R29, R30, SP} {
		assert.True(t, Reserved.Has(r), "%v", r)
		assert.False(t, Allocatable.Has(r), "%v", r)
	}
	assert.Equal(t, RegG, R28)
	assert.False(t, Allocatable.Has(ZR))
	assert.Len(t, Allocatable.Regs(), 25) // R0..R17, R19..R25
	assert.Equal(t, "{x3,x4,xzr,sp}", Of(R3, R4, ZR, SP).String())
	assert.False(t, Allocatable.Has(64))
	assert.Equal(t, RegSet(0), Of(64, 200))

	names := []string{"eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al"}
	for c := EQ; c <= AL; c++ {
		assert.Equal(t, names[c], c.String())
		assert.Equal(t, c, c.Invert().Invert())
		if c < AL {
			assert.NotEqual(t, c, c.Invert())
			assert.LessOrEqual(t, c.Invert(), LE)
		}
	}
	// The pairs the Arm ARM defines as opposites.
	for _, p := range [][2]Cond{{EQ, NE}, {HS, LO}, {MI, PL}, {VS, VC}, {HI, LS}, {GE, LT}, {GT, LE}} {
		assert.Equal(t, p[1], p[0].Invert())
	}
	assert.Equal(t, "Cond(15)", AL.Invert().String())
	assert.Equal(t, "ish", ISH.String())
	assert.Equal(t, "Barrier(4)", Barrier(4).String())
}

func words(code []byte) []uint32 {
	w := make([]uint32, len(code)/4)
	for i := range w {
		w[i] = binary.LittleEndian.Uint32(code[4*i:])
	}
	return w
}

// encoders are the methods of Asm that are its own (not promoted from the
// embedded codegen.Buffer): every instruction, data and patch-site emitter.
func encoders() []string { return golden.Encoders(reflect.TypeFor[*Asm]()) }

// ---- LoadConst -------------------------------------------------------------

// parseImm reads an arm64asm immediate argument: "#0x12" or "#0x12, LSL #16".
// It returns the value and the shift.
func parseImm(t testing.TB, a arm64asm.Arg) (uint64, uint) {
	t.Helper()
	s := a.String()
	v, sh, _ := strings.Cut(strings.TrimPrefix(s, "#"), ", LSL #")
	n, err := strconv.ParseUint(v, 0, 64)
	require.NoError(t, err, s)
	k := 0
	if sh != "" {
		k, err = strconv.Atoi(sh)
		require.NoError(t, err, s)
	}
	return n << k, uint(k)
}

// eval interprets the MOVZ/MOVN/MOVK/ORR words of code (decoded by
// arm64asm) and returns the value left in rd, and the op of the first word
// (MOVZ, MOVN or ORR, from its encoding's class). It fails the test if the
// sequence reads a register other than rd, or rd before writing it, or
// writes another.
func eval(t testing.TB, code []byte, rd Reg) (v uint64, first string) {
	t.Helper()
	written := false
	for off := 0; off < len(code); off += 4 {
		inst, err := decodeWord(code[off : off+4])
		require.NoError(t, err)
		require.Equal(t, X(rd), inst.Args[0].String(), "sequence writes another register: %s", arm64asm.GNUSyntax(inst))
		w := binary.LittleEndian.Uint32(code[off:])
		switch inst.Op {
		case arm64asm.MOV: // MOVZ, MOVN or ORR with XZR, printed with the value it loads
			require.False(t, written, "a second initial instruction")
			v, _ = parseImm(t, inst.Args[1])
		case arm64asm.ORR:
			require.False(t, written, "a second initial instruction")
			require.Equal(t, "XZR", inst.Args[1].String())
			v, _ = parseImm(t, inst.Args[2])
		case arm64asm.MOVK:
			require.True(t, written, "MOVK before rd is written")
			n, sh := parseImm(t, inst.Args[1])
			require.Zero(t, sh%16, "MOVK shift")
			require.NotEqual(t, v>>sh&0xffff, n>>sh, "a MOVK that changes nothing: %s", arm64asm.GNUSyntax(inst))
			v = v&^(0xffff<<sh) | n
		default:
			t.Fatalf("unexpected instruction %s", arm64asm.GNUSyntax(inst))
		}
		if !written {
			// The family, from the encoding's fixed bits (opc of move wide,
			// or the logical-immediate class), to check the tie rule.
			switch {
			case w&0xff800000 == 0xd2800000:
				first = "movz"
			case w&0xff800000 == 0x92800000:
				first = "movn"
			case w&0xff800000 == 0xb2000000:
				first = "orr"
			}
		}
		written = true
	}
	require.True(t, written)
	return v, first
}

func TestLoadConst(t *testing.T) {
	tests := []struct {
		v     uint64
		n     int    // instructions: the shortest
		first string // family
	}{
		{0, 1, "movz"}, {1, 1, "movz"}, {0xffff, 1, "movz"}, {0x10000, 1, "movz"}, {0xffff000000000000, 1, "movz"},
		{math.MaxUint64, 1, "movn"}, {0xfffffffffffffffe, 1, "movn"}, {0xffffffffffff0000, 1, "movn"},
		{0x7fffffffffffffff, 1, "movn"}, {0x8000ffffffffffff, 1, "movn"},
		{0x5555555555555555, 1, "orr"}, {0xffffffff, 1, "orr"}, {0x0000ffffffff0000, 1, "orr"}, {0x00ff00ff00ff00ff, 1, "orr"},
		{0x12345678, 2, "movz"}, {0x0000123400001234, 2, "movz"}, {0xffffffff12345678, 2, "movn"},
		{0x5555555512345555, 2, "orr"}, {0x00ff00ff00ff1234, 2, "orr"},
		{0xaaaaaaaa12345678, 3, "orr"}, {0x00ff00ff12340000, 3, "movz"}, // movz wins the tie
		{0x123456789abcdef0, 4, "movz"}, {0xfedcba9876543211, 4, "movz"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%#x", tc.v), func(t *testing.T) {
			for _, rd := range []Reg{R0, R17, R30} {
				code, err := assemble(func(a *Asm) { a.LoadConst(rd, int64(tc.v)) })
				require.NoError(t, err)
				assert.Len(t, code, 4*tc.n, "instructions for %#x", tc.v)
				v, first := eval(t, code, rd)
				assert.Equal(t, tc.v, v, "value loaded")
				assert.Equal(t, tc.first, first)
			}
		})
	}
}

// allBitmasks lists every 64-bit logical immediate, built from the
// definition (isBitmaskRef's): 5334 values.
var allBitmasks = func() []uint64 {
	seen := map[uint64]bool{}
	var out []uint64
	for e := uint(2); e <= 64; e *= 2 {
		m := ^uint64(0) >> (64 - e)
		for s := uint(1); s < e; s++ {
			run := uint64(1)<<s - 1
			for r := uint(0); r < e; r++ {
				elt := (run>>r | run<<(e-r)) & m
				v := uint64(0)
				for i := uint(0); i < 64; i += e {
					v |= elt << i
				}
				if !seen[v] {
					seen[v] = true
					out = append(out, v)
				}
			}
		}
	}
	return out
}()

// refConstLen is the reference for LoadConst's length and family: every
// sequence of the three families, the ORR one tried with every logical
// immediate.
func refConstLen(v uint64) (n int, first string) {
	n0, n1 := 0, 0
	for i := 0; i < 4; i++ {
		switch v >> (16 * i) & 0xffff {
		case 0:
			n0++
		case 0xffff:
			n1++
		}
	}
	n, first = max(1, 4-n0), "movz"
	if m := max(1, 4-n1); m < n {
		n, first = m, "movn"
	}
	for _, b := range allBitmasks {
		k := 1
		for i := 0; i < 4; i++ {
			if (b^v)>>(16*i)&0xffff != 0 {
				k++
			}
		}
		if k < n {
			n, first = k, "orr"
		}
	}
	return n, first
}

func TestLoadConstShortest(t *testing.T) {
	require.Len(t, allBitmasks, 5334)
	rng := rand.New(rand.NewPCG(3, 4))
	n := 6000
	if testing.Short() {
		n = 1500
	}
	for i := 0; i < n; i++ {
		var v uint64
		switch i % 6 {
		case 0:
			v = rng.Uint64()
		case 1: // a logical immediate with one or two chunks changed
			v = allBitmasks[rng.IntN(len(allBitmasks))]
			v ^= uint64(rng.Uint32()&0xffff) << (16 * rng.IntN(4))
			if i%12 == 1 {
				v ^= uint64(rng.Uint32()&0xffff) << (16 * rng.IntN(4))
			}
		case 2: // small magnitudes of every width
			v = uint64(rng.Int64() >> rng.IntN(64))
		case 3: // chunks drawn from 0, 0xffff and a few values
			for j := 0; j < 4; j++ {
				v |= uint64([]uint16{0, 0xffff, 0x1234, 0x5555, 0x00ff, 0xff00}[rng.IntN(6)]) << (16 * j)
			}
		case 4:
			v = allBitmasks[rng.IntN(len(allBitmasks))]
		case 5: // a few scattered bits
			v = 1<<rng.IntN(64) | 1<<rng.IntN(64) | 1<<rng.IntN(64)
		}
		code, err := assemble(func(a *Asm) { a.LoadConst(R9, int64(v)) })
		require.NoError(t, err)
		got, first := eval(t, code, R9)
		require.Equal(t, v, got, "%#x", v)
		wantN, wantFirst := refConstLen(v)
		require.Equal(t, wantN, len(code)/4, "%#x", v)
		require.Equal(t, wantFirst, first, "%#x: family on a tie", v)
	}
}

func TestBitmaskImm(t *testing.T) {
	// Every logical immediate encodes, and AND with it decodes to it.
	for i, v := range allBitmasks {
		nimms, ok := bitmaskImm(v)
		require.True(t, ok, "%#x", v)
		if i%7 == 0 {
			require.NoError(t, oracle(binary.LittleEndian.AppendUint32(nil, logImmWord(opANDI, R1, R2, nimms)),
				arm64asm.AND, []string{"X1", "X2", hexImm(v)}))
		}
	}
	// Other values do not.
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		v := rng.Uint64() >> rng.IntN(64)
		_, ok := bitmaskImm(v)
		require.Equal(t, isBitmaskRef(v), ok, "%#x", v)
	}
	for _, v := range []uint64{0, math.MaxUint64, 0x5, 0x0f0f0f0f0f0f0f0e} {
		_, ok := bitmaskImm(v)
		assert.False(t, ok, "%#x", v)
	}
}
