package ppc64

import (
	"errors"
	"testing"

	"github.com/syncore/syncore/codegen"
)

// FuzzPPC64 picks a form and operands (often invalid ones), encodes, and
// checks the outcome against the form's independent expectation: a valid
// instruction decodes to the same op and arguments; an invalid operand is a
// clean error wrapping ErrBadOperand or ErrOutOfRange; nothing panics. A
// selector past the single-instruction forms exercises LoadConst (checked
// by the evaluator) and a label branch.
func FuzzPPC64(f *testing.F) {
	f.Add(uint8(0), uint8(3), uint8(4), uint8(5), int64(-1), int64(0), uint8(0), uint8(2), false)
	f.Add(uint8(30), uint8(31), uint8(0), uint8(1), int64(0x7ffc), int64(63), uint8(7), uint8(34), true)
	f.Add(uint8(len(forms)), uint8(9), uint8(0), uint8(0), int64(0x123456789abcdef0), int64(0), uint8(0), uint8(0), false)
	f.Add(uint8(len(forms)+1), uint8(9), uint8(0), uint8(0), int64(40000), int64(0), uint8(0), uint8(0), false)
	f.Fuzz(func(t *testing.T, sel, r0, r1, r2 uint8, imm, im2 int64, cr, c uint8, fold bool) {
		i := int(sel) % (len(forms) + 2)
		switch i {
		case len(forms): // LoadConst
			rd := Reg(r0 % 32)
			code, err := assemble(func(a *Asm) { a.LoadConst(rd, imm) })
			if err != nil {
				t.Fatalf("LoadConst(%v, %#x): %v", rd, imm, err)
			}
			if got := eval(t, code, rd); got != uint64(imm) {
				t.Fatalf("LoadConst(%v, %#x) computes %#x", rd, imm, got)
			}
			if len(code) > 20 {
				t.Fatalf("LoadConst(%#x): %d instructions", imm, len(code)/4)
			}
			return
		case len(forms) + 1: // a conditional branch over imm words
			n := int(uint64(imm) % 20000)
			cond := Cond(c % 64)
			a := New()
			l := a.NewLabel()
			a.Bc(cond, l)
			nops(a, n)
			a.Bind(l)
			bl, err := a.Finish()
			if err != nil {
				t.Fatal(err)
			}
			op, to, bo, _ := branchAt(t, bl.Code, 0)
			if n*4+4 <= 32764 {
				if to != bl.Offset(l) || int64(cond.BO()) != bo || len(bl.Code) != 4*n+4 {
					t.Fatalf("short bc over %d words: %v to %#x", n, op, to)
				}
			} else if to != 8 || int64(cond.Not().BO()) != bo {
				t.Fatalf("long bc over %d words: first word %v to %#x", n, op, to)
			} else if _, to, _, _ = branchAt(t, bl.Code, 4); to != bl.Offset(l) {
				t.Fatalf("long bc over %d words: b to %#x, want %#x", n, to, bl.Offset(l))
			}
			return
		}
		fm := forms[i]
		o := ops{r: [3]Reg{Reg(r0 % 40), Reg(r1 % 40), Reg(r2 % 40)}, imm: imm, im2: im2, cr: CR(cr % 10), c: Cond(c % 70)}
		if fold { // pull the immediates into (or next to) the valid range
			span := fm.imm.hi - fm.imm.lo + 3
			o.imm = fm.imm.lo - 1 + int64(uint64(imm)%uint64(span))
			o.im2 = int64(uint64(im2) % 66)
		}
		if fm.name == "tw" { // Tw takes its TO field as a uint8
			o.imm = int64(uint8(o.imm))
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
		op, want := fm.want(o)
		if err := oracle(code, op, want); err != nil {
			t.Fatalf("%s %+v: %v", fm.name, o, err)
		}
	})
}
