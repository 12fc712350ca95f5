package ppc64

import (
	"testing"

	"github.com/syncore/syncore/codegen"
)

// The benchmarks reuse one assembler (Buffer.Reset keeps its storage), so
// after the first iteration emitting allocates nothing. Each op is a block
// of instructions; instr/s counts instruction words.

const block = 1024

func reportInstr(b *testing.B, perOp int) {
	b.ReportMetric(float64(perOp)*float64(b.N)/b.Elapsed().Seconds(), "instr/s")
}

// BenchmarkEncodeALU emits register arithmetic, logic and shifts.
func BenchmarkEncodeALU(b *testing.B) {
	a := New()
	b.ReportAllocs()
	for b.Loop() {
		a.Reset()
		for i := 0; i < block/8; i++ {
			r := Reg(3 + i%8)
			a.Add(r, r+1, r+2)
			a.Subf(r, r+1, r+2)
			a.Mulld(r, r, r+1)
			a.And(r, r+1, r+2)
			a.Xor(r, r, r+3)
			a.Sldi(r, r, uint(i%64))
			a.Sradi(r, r, 3)
			a.Cmpd(CR0, r, r+1)
		}
	}
	reportInstr(b, block)
}

// BenchmarkEncodeMem emits D- and DS-form loads and stores and immediates.
func BenchmarkEncodeMem(b *testing.B) {
	a := New()
	b.ReportAllocs()
	for b.Loop() {
		a.Reset()
		for i := 0; i < block/8; i++ {
			d := int64(i * 8)
			a.Ld(R3, R4, d)
			a.Std(R3, R5, d)
			a.Lwz(R6, R4, d+4)
			a.Stw(R6, R5, d+4)
			a.Addi(R4, R4, 8)
			a.Li(R7, int64(i))
			a.Ori(R7, R7, 0x1234)
			a.Cmpdi(CR1, R7, -5)
		}
	}
	reportInstr(b, block)
}

// BenchmarkEncodeLoadConst loads 64-bit constants of every length.
func BenchmarkEncodeLoadConst(b *testing.B) {
	vals := []int64{1, -5, 0x12345678, 0x7fffffffffffffff, 0x100000000, -0x123456789abcdef, 0x5555555555555555, 0xdeadbeef}
	a := New()
	var seq constSeq
	n := 0
	for _, v := range vals {
		seq = constSeq{}
		seq.plan(R3, v)
		n += seq.n
	}
	b.ReportAllocs()
	for b.Loop() {
		a.Reset()
		for range block / len(vals) {
			for _, v := range vals {
				a.LoadConst(R3, v)
			}
		}
	}
	reportInstr(b, n*(block/len(vals)))
}

// BenchmarkEncodeBranches emits labels and conditional branches and lays
// them out with Finish (which allocates the returned blob: a few allocations
// per block, none per instruction).
func BenchmarkEncodeBranches(b *testing.B) {
	a := New()
	labels := make([]codegen.Label, 0, block)
	b.ReportAllocs()
	for b.Loop() {
		a.Reset()
		labels = labels[:0]
		for i := 0; i < block/4; i++ {
			l := a.NewLabel()
			labels = append(labels, l)
			a.Bc(EQ.On(CR(i%8)), l)
			a.Addi(R3, R3, 1)
			a.Cmpdi(CR0, R3, 100)
			a.Bind(l)
			if i > 0 {
				a.B(labels[i-1])
			} else {
				a.Nop()
			}
		}
		if _, err := a.Finish(); err != nil {
			b.Fatal(err)
		}
	}
	reportInstr(b, block)
}
