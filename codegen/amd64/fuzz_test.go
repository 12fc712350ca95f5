package amd64_test

import (
	"errors"
	"testing"

	"golang.org/x/arch/x86/x86asm"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/amd64"
)

// FuzzAMD64 picks an instruction form and operands (some invalid: registers
// 16–19, condition 16–17, any scale, RSP as an index, shift counts up to
// 255, nop sizes out of 1–15), encodes it and checks the result against the
// x86asm oracle — or, for invalid operands, that Finish returns a
// bad-operand/out-of-range error. Branch forms get a random distance in
// either direction. Nothing may panic.
func FuzzAMD64(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint8(1), uint8(4), int64(0), int32(0), uint8(0), uint8(1), int16(1))
	f.Add(uint8(3), uint8(15), uint8(12), uint8(0), int64(-129), int32(128), uint8(0x84), uint8(8), int16(63))
	f.Add(uint8(20), uint8(4), uint8(13), uint8(5), int64(1<<40), int32(-1), uint8(4), uint8(2), int16(64))
	f.Add(uint8(200), uint8(16), uint8(5), uint8(16), int64(127), int32(0x7fffffff), uint8(12), uint8(3), int16(-300))
	nf := len(forms)
	f.Fuzz(func(t *testing.T, which, r1, r2, cond uint8, imm int64, disp int32, index, scale uint8, n int16) {
		mem := amd64.Mem{Base: amd64.Reg(r2 % 20), Disp: disp, Scale: scale % 10}
		if index&0x80 != 0 {
			mem.HasIndex, mem.Index = true, amd64.Reg(index&0x7f%20)
		} else if index&1 != 0 {
			mem.Scale = 0
		}
		o := ops{r1: amd64.Reg(r1 % 20), r2: amd64.Reg(r2 % 20), cond: amd64.Cond(cond % 18), imm: imm, mem: mem, n: int(n)}
		if int(which)%(nf+len(branchKinds)) < nf {
			if err := checkForm(forms[int(which)%(nf+len(branchKinds))], o); err != nil {
				t.Fatal(err)
			}
			return
		}
		k := branchKinds[int(which)%(nf+len(branchKinds))-nf]
		gap := int(n)
		backward := gap < 0
		if backward {
			gap = -gap
		}
		bl, at, l := buildBranch(t, k, gap%400, backward)
		inst, err := x86asm.Decode(bl.Code[at:], 64)
		if err != nil || inst.Op != k.op {
			t.Fatalf("%s gap %d: decoded %v, %v", k.name, gap, inst, err)
		}
		if inst.Len != k.short && inst.Len != k.long {
			t.Fatalf("%s: length %d", k.name, inst.Len)
		}
		if got := at + inst.Len + int(inst.Args[0].(x86asm.Rel)); got != bl.Offset(l) {
			t.Fatalf("%s gap %d backward %v: target %d, label at %d", k.name, gap, backward, got, bl.Offset(l))
		}
	})
}

// FuzzPatchHelpers checks the run-time byte helpers on random addresses:
// either an error matching ErrOutOfRange or bytes that decode to a branch to
// the requested target.
func FuzzPatchHelpers(f *testing.F) {
	f.Add(uint64(0x1000), uint64(0x1002))
	f.Add(uint64(0), uint64(1<<63))
	f.Add(uint64(1<<40), uint64(1<<40-130))
	f.Fuzz(func(t *testing.T, from, to uint64) {
		check := func(name string, b []byte, err error, op x86asm.Op) {
			if err != nil {
				if !errors.Is(err, codegen.ErrOutOfRange) {
					t.Fatalf("%s: %v", name, err)
				}
				d := int64(to - from - uint64(len(b)))
				if len(b) == 2 && d >= -128 && d <= 127 || len(b) == 5 && d >= -1<<31 && d < 1<<31 {
					t.Fatalf("%s %#x → %#x: in range but %v", name, from, to, err)
				}
				return
			}
			inst, derr := x86asm.Decode(b, 64)
			if derr != nil || inst.Op != op || inst.Len != len(b) {
				t.Fatalf("%s: % x decodes to %v %v", name, b, inst, derr)
			}
			if got := from + uint64(inst.Len) + uint64(int64(inst.Args[0].(x86asm.Rel))); got != to {
				t.Fatalf("%s %#x → %#x: reaches %#x", name, from, to, got)
			}
		}
		j8, err := amd64.EncodeJmpRel8(from, to)
		check("jmp8", j8[:], err, x86asm.JMP)
		j32, err := amd64.EncodeJmpRel32(from, to)
		check("jmp32", j32[:], err, x86asm.JMP)
		c32, err := amd64.EncodeCallRel32(from, to)
		check("call32", c32[:], err, x86asm.CALL)
	})
}
