package bench

import (
	"testing"

	"github.com/syncore/syncore/examples"
	"github.com/syncore/syncore/jit/jasm"
)

// TestJasmMatchesExamples: the comment-free copies the benchmarks compile
// are the programs in examples/ (a copy that drifted would benchmark
// something else than the docs show).
func TestJasmMatchesExamples(t *testing.T) {
	for _, tc := range []struct{ file, copy string }{{"fib.jasm", FibJasm}, {"sum.jasm", SumJasm}} {
		src, err := examples.Source(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jasm.Parse(tc.file, src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := jasm.Parse("copy", []byte(tc.copy))
		if err != nil {
			t.Fatal(err)
		}
		if !jasm.Equal(want, got) {
			t.Errorf("the benchmark's copy of %s differs from examples/%s", tc.file, tc.file)
		}
	}
	// The check can fail: a changed copy is told apart.
	other, _ := jasm.Parse("x", []byte(FibJasm[:len(FibJasm)-len("end\n")-len("    ret\n")-len("    call fib\n")]+"    ret\nend\n"))
	fib, _ := jasm.Parse("fib", []byte(FibJasm))
	if other == nil || jasm.Equal(fib, other) {
		t.Error("jasm.Equal did not tell a changed program apart")
	}
}
