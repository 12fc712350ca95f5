package jasm_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/syncore/syncore/jit/jasm"
)

// benchPrograms are the shapes of the compile benchmarks (bench/): one
// function of 5 002 instructions and 200 small functions calling the next.
func benchPrograms() []struct {
	name string
	src  []byte
} {
	var s strings.Builder
	s.WriteString("func main 1\n    arg 0\n")
	for i := range 2500 {
		fmt.Fprintf(&s, "    push %d\n    add\n", i)
	}
	s.WriteString("    ret\nend\n")
	straight := s.String()
	s.Reset()
	for k := range 200 {
		fmt.Fprintf(&s, "func f%d 1\n    arg 0\n    push %d\n    add\n", k, k)
		if k < 199 {
			fmt.Fprintf(&s, "    arg 0\n    call f%d\n    add\n", k+1)
		}
		s.WriteString("    ret\nend\n")
	}
	s.WriteString("func main 1\n    arg 0\n    call f0\n    ret\nend\n")
	return []struct {
		name string
		src  []byte
	}{{"straight5002", []byte(straight)}, {"funcs200", []byte(s.String())}}
}

func insts(p *jasm.Program) int {
	n := 0
	for _, f := range p.Funcs {
		n += len(f.Code)
	}
	return n
}

// BenchmarkParse measures Parse (which verifies) in jasm ops/s.
func BenchmarkParse(b *testing.B) {
	for _, bp := range benchPrograms() {
		b.Run(bp.name, func(b *testing.B) {
			p, err := jasm.Parse("bench.jasm", bp.src)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(bp.src)))
			for b.Loop() {
				if _, err := jasm.Parse("bench.jasm", bp.src); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(insts(p)*b.N)/b.Elapsed().Seconds(), "jasm-ops/s")
		})
	}
}

// BenchmarkVerify measures Verify alone in jasm ops/s.
func BenchmarkVerify(b *testing.B) {
	for _, bp := range benchPrograms() {
		b.Run(bp.name, func(b *testing.B) {
			p, err := jasm.Parse("bench.jasm", bp.src)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := jasm.Verify(p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(insts(p)*b.N)/b.Elapsed().Seconds(), "jasm-ops/s")
		})
	}
}
