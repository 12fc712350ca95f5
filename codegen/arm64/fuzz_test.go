package arm64

import (
	"errors"
	"testing"

	"github.com/syncore/syncore/codegen"
)

// FuzzARM64 picks a form and operands (often invalid ones), encodes, and
// checks the outcome against the form's independent expectation: a valid
// instruction decodes to the same op and arguments; an invalid operand is a
// clean error wrapping ErrBadOperand or ErrOutOfRange; nothing panics. A
// selector past the single-instruction forms exercises LoadConst (checked
// by the evaluator and the exhaustive shortest-length reference) and a
// conditional branch over a fuzzed distance (short or rewritten).
func FuzzARM64(f *testing.F) {
	f.Add(uint8(0), uint8(3), uint8(4), uint8(5), uint8(6), int64(-1), uint8(0), uint8(11), false)
	// Register operands go through pick below: 31 selects ZR, 32 SP.
	// Add sp, sp, xzr: the extended-register form, where 31 is SP for rd and rn.
	f.Add(uint8(1), uint8(32), uint8(32), uint8(31), uint8(0), int64(0), uint8(0), uint8(0), false)
	// AddImm x30, sp, #imm with imm folded onto or next to a boundary value.
	f.Add(uint8(20), uint8(30), uint8(32), uint8(1), uint8(2), int64(0xfff000), uint8(7), uint8(34), true)
	// LdpPost x29, x30, [sp], #16.
	f.Add(uint8(37), uint8(29), uint8(30), uint8(32), uint8(0), int64(16), uint8(0), uint8(0), false)
	f.Add(uint8(len(forms)), uint8(9), uint8(0), uint8(0), uint8(0), int64(0x123456789abcdef0), uint8(0), uint8(0), false)
	f.Add(uint8(len(forms)), uint8(9), uint8(0), uint8(0), uint8(0), int64(0x5555555512345555), uint8(0), uint8(0), false)
	f.Add(uint8(len(forms)+1), uint8(9), uint8(0), uint8(0), uint8(0), int64(8200), uint8(3), uint8(2), false)
	f.Fuzz(func(t *testing.T, sel, r0, r1, r2, r3 uint8, imm int64, c, b uint8, fold bool) {
		i := int(sel) % (len(forms) + 2)
		switch i {
		case len(forms): // LoadConst
			rd := Reg(r0 % 31)
			code, err := assemble(func(a *Asm) { a.LoadConst(rd, imm) })
			if err != nil {
				t.Fatalf("LoadConst(%v, %#x): %v", rd, imm, err)
			}
			got, first := eval(t, code, rd)
			if got != uint64(imm) {
				t.Fatalf("LoadConst(%v, %#x) computes %#x", rd, imm, got)
			}
			if n, fam := refConstLen(uint64(imm)); n != len(code)/4 || fam != first {
				t.Fatalf("LoadConst(%#x): %d instructions from %s, want %d from %s", imm, len(code)/4, first, n, fam)
			}
			return
		case len(forms) + 1: // a conditional branch over imm words
			fc := farCases[int(c)%len(farCases)]
			n := int(uint64(imm) % 9000)
			if fc.reach > 1<<16 {
				n = int(uint64(imm) % (1<<18 + 64)) // B.cond, CBZ: up to just past 1 MiB
			}
			a := New()
			l := a.NewLabel()
			fc.emit(a, l)
			nops(a, n)
			a.Bind(l)
			bl, err := a.Finish()
			if err != nil {
				t.Fatal(err)
			}
			fc.check(t, bl.Code, 0, bl.Offset(l), 4+4*n > fc.reach)
			return
		}
		fm := forms[i]
		pick := func(v uint8) Reg { // every register, ZR, SP and some invalid values
			switch v % 40 {
			case 31:
				return ZR
			case 32:
				return SP
			case 33, 34, 35:
				return Reg(32 + v%40)
			}
			return Reg(v % 40 % 31)
		}
		o := ops{r: [4]Reg{pick(r0), pick(r1), pick(r2), pick(r3)}, imm: imm, c: Cond(c % 17), b: Barrier(b % 18)}
		if fold && len(fm.imm.vals) > 1 { // pull the immediate onto a boundary value or next to it
			o.imm = fm.imm.vals[int(uint64(imm)%uint64(len(fm.imm.vals)))] + int64(uint64(imm)>>32%3) - 1
		}
		if fm.narrow != nil { // the value the emitter's parameter type holds
			o.imm = fm.narrow(o.imm)
		}
		code, err := assemble(func(a *Asm) { fm.emit(a, o) })
		if !fm.validOps(o) {
			if err == nil {
				t.Fatalf("%s %+v: accepted invalid operands: % x", fm.name, o, code)
			}
			if !errors.Is(err, codegen.ErrBadOperand) && !errors.Is(err, codegen.ErrOutOfRange) {
				t.Fatalf("%s %+v: error %v wraps no sentinel", fm.name, o, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s %+v: %v", fm.name, o, err)
		}
		if err := fm.check(o); err != nil {
			t.Fatalf("%s %+v: %v", fm.name, o, err)
		}
	})
}
