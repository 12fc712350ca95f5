package arm64

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

// BenchmarkEncode emits the mix a baseline compiler produces: frame
// set-up, loads and stores of stack slots, register and immediate
// arithmetic, compares, conditional sets and selects, a constant, and the
// tear-down (no labels: see BenchmarkEncodeBranches).
func BenchmarkEncode(b *testing.B) {
	a := New()
	b.ReportAllocs()
	for b.Loop() {
		a.Reset()
		for i := 0; i < block/16; i++ {
			r := Reg(i % 8)
			off := int64(8 * (i % 32))
			a.StpPre(R29, R30, SP, -16)
			a.MovRR(R29, SP)
			a.Ldr(r, SP, off)
			a.Ldr(r+1, SP, off+8)
			a.Add(r+2, r, r+1)
			a.SubImm(r+2, r+2, 1)
			a.Mul(r+3, r+2, r+1)
			a.Cmp(r+3, r)
			a.Cset(r+4, LT)
			a.Csel(r+5, r+3, r+4, GE)
			a.LslImm(r+6, r+5, 3)
			a.Str(r+6, SP, off)
			a.CmpImm(r+6, 100)
			a.LoadConst(r+7, int64(i)) // one MOVZ
			a.LdpPost(R29, R30, SP, 16)
			a.Ret()
		}
	}
	reportInstr(b, block)
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
			a.Sub(r, r+1, r+2)
			a.Mul(r, r, r+1)
			a.And(r, r+1, r+2)
			a.Eor(r, r, r+3)
			a.LslImm(r, r, uint(i%64))
			a.AsrImm(r, r, 3)
			a.Cmp(r, r+1)
		}
	}
	reportInstr(b, block)
}

// BenchmarkEncodeMem emits loads, stores, pairs and immediates.
func BenchmarkEncodeMem(b *testing.B) {
	a := New()
	b.ReportAllocs()
	for b.Loop() {
		a.Reset()
		for i := 0; i < block/8; i++ {
			d := int64(i * 8)
			a.Ldr(R3, R4, d)
			a.Str(R3, R5, d)
			a.Ldr(R6, R4, -int64(i%32))
			a.Stp(R6, R7, SP, d%512)
			a.AddImm(R4, R4, 8)
			a.AddImm(SP, SP, -16)
			a.AndImm(R7, R7, 0xff)
			a.CmpImm(R7, -5)
		}
	}
	reportInstr(b, block)
}

// BenchmarkEncodeLoadConst loads 64-bit constants of every length and
// family.
func BenchmarkEncodeLoadConst(b *testing.B) {
	vals := []int64{1, -5, 0x12345678, 0x7fffffffffffffff, 0x5555555555555555, 0x123456789abcdef0, 0x5555555512345555, -0x5555555512345556}
	a := New()
	n := 0
	for _, v := range vals {
		var seq constSeq
		seq.plan(R3, uint64(v))
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
			a.Bcond(Cond(i%14), l)
			a.AddImm(R3, R3, 1)
			a.Cbz(R3, l)
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
