package amd64_test

import (
	"testing"

	"github.com/syncore/syncore/codegen/amd64"
)

// Each benchmark iteration assembles a block of instructions into a reused
// buffer (Reset keeps its storage), so after the first iterations nothing
// is allocated; instr/s is the emit rate.

const benchBlock = 1024

func benchEmit(b *testing.B, perBlock int, emit func(a *amd64.Asm, i int)) {
	a := amd64.New()
	for i := range benchBlock { // grow the buffer once
		emit(a, i)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		a.Reset()
		for i := range benchBlock {
			emit(a, i)
		}
		n += benchBlock * perBlock
	}
	if a.Err() != nil {
		b.Fatal(a.Err())
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "instr/s")
	b.ReportMetric(float64(n)/float64(b.N), "instr/op")
}

func BenchmarkEncodeALU(b *testing.B) {
	benchEmit(b, 4, func(a *amd64.Asm, i int) {
		r := amd64.Reg(i & 15)
		a.AddRR(r, amd64.R9)
		a.SubRI(r, int32(i))
		a.XorRR(amd64.RAX, r)
		a.CmpRI(r, 7)
	})
}

func BenchmarkEncodeMov(b *testing.B) {
	benchEmit(b, 4, func(a *amd64.Asm, i int) {
		r := amd64.Reg(i & 15)
		a.MovRR(r, amd64.RSI)
		a.MovRI(r, int64(i)<<20)
		a.MovRI32(r, -int32(i))
		a.MovRI64(r, int64(i)<<40)
	})
}

func BenchmarkEncodeMem(b *testing.B) {
	benchEmit(b, 4, func(a *amd64.Asm, i int) {
		r := amd64.Reg(i & 15)
		a.Load(r, amd64.BaseDisp(amd64.RSP, int32(i*8)))
		a.Store(amd64.BaseIndex(amd64.R12, amd64.RCX, 8, 16), r)
		a.Lea(r, amd64.BaseIndex(amd64.RBP, r|1, 2, -int32(i)))
		a.Load(amd64.RAX, amd64.BaseDisp(amd64.R13, 0))
	})
}

func BenchmarkEncodeMisc(b *testing.B) {
	benchEmit(b, 8, func(a *amd64.Asm, i int) {
		r := amd64.Reg(i & 15)
		a.Push(r)
		a.ShlI(r, uint8(i&63))
		a.Setcc(amd64.CondL, r)
		a.MovzxB(r, r)
		a.Imul(r, amd64.RDX)
		a.Cqo()
		a.Idiv(r)
		a.Pop(r)
	})
}

// BenchmarkEncodeBranches emits a function with forward and backward
// branches and runs the layout (Finish), whose output blob is allocated per
// function, not per instruction.
func BenchmarkEncodeBranches(b *testing.B) {
	a := amd64.New()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		a.Reset()
		top := a.NewLabel()
		a.Bind(top)
		for i := range benchBlock / 4 {
			l := a.NewLabel()
			a.CmpRI(amd64.Reg(i&15), int32(i))
			a.Jcc(amd64.CondL, l)
			a.AddRI(amd64.RAX, 1)
			a.Bind(l)
			if i%64 == 63 {
				a.Jcc(amd64.CondNE, top)
			} else {
				a.Nop(1)
			}
		}
		a.Ret()
		if _, err := a.Finish(); err != nil {
			b.Fatal(err)
		}
		n += benchBlock + 1
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "instr/s")
	b.ReportMetric(float64(n)/float64(b.N), "instr/op")
}
