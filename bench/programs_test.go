package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/syncore/syncore/examples"
	"github.com/syncore/syncore/jit"
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

// TestWorkloadsAgree: every run-time workload gives its Go result in the
// interpreter, as syncore machine code and in wazero, at a small and at
// the benchmarks' argument, so that the benchmarks time the same work.
func TestWorkloadsAgree(t *testing.T) {
	ctx := context.Background()
	rt, err := jit.New(jit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer r.Close(ctx)
	for _, w := range []Workload{Fib(20), Sum(sumN), GcdSum(50), GcdSum(gcdN), CollatzSum(27), CollatzSum(collatzN)} {
		p, err := jasm.Parse(w.Name, []byte(w.Jasm))
		if err != nil {
			t.Fatal(err)
		}
		it, err := jasm.NewInterp(p)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := it.Run(ctx, w.Arg); err != nil || v != w.Want {
			t.Errorf("%s(%d) interpreted = %d, %v; Go says %d", w.Name, w.Arg, v, err, w.Want)
		}
		if rt.Info().CanExecute {
			prog, err := rt.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if v, err := prog.Func("main").Call(w.Arg); err != nil || v != w.Want {
				t.Errorf("%s(%d) compiled = %d, %v; Go says %d", w.Name, w.Arg, v, err, w.Want)
			}
		}
		mod, err := r.Instantiate(ctx, WasmModule(w.Wasm, uint64(w.Arg)))
		if err != nil {
			t.Fatalf("%s: %v", w.Name, err)
		}
		stack := []uint64{uint64(w.Arg)}
		if err := mod.ExportedFunction("main").CallWithStack(ctx, stack); err != nil || int64(stack[0]) != w.Want {
			t.Errorf("%s(%d) in wazero = %d, %v; Go says %d", w.Name, w.Arg, int64(stack[0]), err, w.Want)
		}
	}
	// The check can fail: a copy with 3n+1 changed to 5n+1 is told apart.
	w := CollatzSum(27)
	bad := strings.Replace(w.Jasm, "push 3\n", "push 5\n", 1)
	p, err := jasm.Parse(w.Name, []byte(bad))
	if err != nil || bad == w.Jasm {
		t.Fatal("no mutant", err)
	}
	it, _ := jasm.NewInterp(p)
	ctx2, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if v, err := it.Run(ctx2, w.Arg); err == nil && v == w.Want {
		t.Error("a changed program gave the Go result")
	}
}
