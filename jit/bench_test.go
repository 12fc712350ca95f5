package jit

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncore/syncore/jit/jasm"
	"github.com/syncore/syncore/membarrier"
)

//go:noinline
func goIdentity(x int64) int64 { return x }

//go:noinline
func goFib(n int64) int64 {
	if n < 2 {
		return n
	}
	return goFib(n-1) + goFib(n-2)
}

func loadExample(b *testing.B, rt *Runtime, name string) *Program {
	src, err := os.ReadFile("../examples/" + name)
	if err != nil {
		b.Fatal(err)
	}
	p, err := rt.Compile(name, src)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkCall compares a Go→JIT call of a trivial function with a
// non-inlined Go call (goal: ≤ 2×).
func BenchmarkCall(b *testing.B) {
	b.Run("go", func(b *testing.B) {
		var s int64
		for i := range b.N {
			s += goIdentity(int64(i))
		}
		_ = s
	})
	b.Run("jit", func(b *testing.B) {
		rt := newTestRuntime(b, Options{})
		p, err := rt.Compile("id.jasm", []byte("func main 1\n arg 0\n ret\nend\n"))
		if err != nil {
			b.Fatal(err)
		}
		f := p.Entry()
		b.ResetTimer()
		for i := range b.N {
			if _, err := f.Call(int64(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jit-caller", func(b *testing.B) {
		rt := newTestRuntime(b, Options{})
		p, err := rt.Compile("id.jasm", []byte("func main 1\n arg 0\n ret\nend\n"))
		if err != nil {
			b.Fatal(err)
		}
		c, err := p.Entry().NewCaller()
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		b.ResetTimer()
		for i := range b.N {
			if _, err := c.Call(int64(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCallFloor is the floor under BenchmarkCall/jit-caller: a Go
// call of an ABI0 assembly function (jitfloor) that switches to a JIT stack,
// calls a stub in the code heap that returns its argument (amd64: mov
// rax,rdi; ret — ppc64le: blr), switches back and returns. Compare
// BenchmarkCall/jit-caller with it, medians of the same run.
func BenchmarkCallFloor(b *testing.B) {
	fn, top := floorSetup(b)
	var s int64
	for i := range b.N {
		s += jitfloor(fn, top, int64(i))
	}
	floorCheck(b, s)
}

// floorSetup loads the floor's stub (loadFloorStubs) and takes a JIT stack
// for the rest of b; it returns the stub's address and the stack's top,
// with b's timer reset.
func floorSetup(b *testing.B) (fn, top uintptr) {
	if !canExecute {
		b.Skip(ErrUnsupported)
	}
	rt := newTestRuntime(b, Options{})
	id, _ := loadFloorStubs(b, rt)
	st, err := rt.stacks.get()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rt.stacks.put(st) })
	b.ResetTimer()
	return id.Addr(), st.top
}

// floorCheck fails b unless s is the sum of the stub's results for
// arguments 0 … b.N-1: the stub ran on every iteration.
func floorCheck(b *testing.B, s int64) {
	if n := int64(b.N); s != n*(n-1)/2 {
		b.Fatalf("sum of results %d, want %d", s, n*(n-1)/2)
	}
}

// floorInGo is jitfloor behind one Go function that is not inlined, the
// shape of Caller.Call (an exported method cannot be an assembly function
// without an ABI wrapper, and one that calls jitcall is not inlined).
//
//go:noinline
func floorInGo(fn, sp uintptr, x int64) int64 { return jitfloor(fn, sp, x) }

// BenchmarkCallFloorInGo is BenchmarkCallFloor through floorInGo: what one
// Go call frame adds to the floor, which no Go API over jitcall avoids.
func BenchmarkCallFloorInGo(b *testing.B) {
	fn, top := floorSetup(b)
	var s int64
	for i := range b.N {
		s += floorInGo(fn, top, int64(i))
	}
	floorCheck(b, s)
}

// BenchmarkFib30: machine code vs the interpreter (goal ≥ 30×) vs Go (goal ≤ 2×).
func BenchmarkFib30(b *testing.B) {
	b.Run("go", func(b *testing.B) {
		for range b.N {
			goFib(30)
		}
	})
	b.Run("jit", func(b *testing.B) {
		rt := newTestRuntime(b, Options{})
		f := loadExample(b, rt, "fib.jasm").Entry()
		b.ResetTimer()
		for range b.N {
			if v, err := f.Call(30); err != nil || v != 832040 {
				b.Fatal(v, err)
			}
		}
	})
	b.Run("interp", func(b *testing.B) {
		src, _ := os.ReadFile("../examples/fib.jasm")
		p, err := jasm.Parse("fib.jasm", src)
		if err != nil {
			b.Fatal(err)
		}
		it, _ := jasm.NewInterp(p)
		b.ResetTimer()
		for range b.N {
			if v, err := it.Run(context.Background(), 30); err != nil || v != 832040 {
				b.Fatal(v, err)
			}
		}
	})
}

// BenchmarkCompile measures compile throughput in bytecode ops/s (goal ≥ 20 M/s)
// for a large generated-like function, both ISAs.
func BenchmarkCompile(b *testing.B) {
	src, _ := os.ReadFile("../examples/collatz.jasm")
	small, err := jasm.Parse("collatz.jasm", src)
	if err != nil {
		b.Fatal(err)
	}
	// A big straight-line function: 10 000 pushes and adds.
	big := &jasm.Program{Funcs: []*jasm.Func{{Name: "main"}}}
	code := []jasm.Inst{{Op: jasm.OpPush, Arg: 1}}
	for i := range 5000 {
		code = append(code, jasm.Inst{Op: jasm.OpPush, Arg: int64(i)}, jasm.Inst{Op: jasm.OpAdd})
	}
	big.Funcs[0].Code = append(code, jasm.Inst{Op: jasm.OpRet})
	if err := jasm.Verify(big); err != nil {
		b.Fatal(err)
	}
	for _, prog := range []struct {
		name string
		p    *jasm.Program
	}{{"collatz", small}, {"straight10k", big}} {
		ops := 0
		for _, f := range prog.p.Funcs {
			ops += len(f.Code)
		}
		for _, arch := range []Arch{ArchAMD64, ArchPPC64LE} {
			b.Run(prog.name+"/"+string(arch), func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					if _, err := Compile(prog.p, CompileOptions{Arch: arch}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(ops*b.N)/b.Elapsed().Seconds(), "ops/s")
			})
		}
	}
}

// BenchmarkReclaim measures what retiring code costs: closing an idle
// program (a grace period: phase flip, membarrier PRIVATE_EXPEDITED, a scan
// of every call context's mark, then traps and the free list), beside one
// bare membarrier PRIVATE_EXPEDITED and one membarrier GLOBAL, each with 0,
// 1, 2 and 8 busy callers (goroutines on locked threads calling a trivial
// function of another program through a Caller, so their marks change all
// the time). Compare the ns/close metric with the barriers' ns/op (and
// with ns/barrier, one barrier timed in the same loop as close) in the
// same run: docs/PERFORMANCE.md records the ratios.
func BenchmarkReclaim(b *testing.B) {
	for _, busy := range []int{0, 1, 2, 8} {
		run := func(name string, fn func(b *testing.B, rt *Runtime)) {
			b.Run(name+"/busy="+itoa(busy), func(b *testing.B) {
				rt, err := New(Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer rt.Close()
				stop := busyCallers(b, rt, busy)
				defer stop()
				fn(b, rt)
			})
		}
		run("close", func(b *testing.B, rt *Runtime) {
			p := mustParseB(b, "func main 0\n    push 1\n    ret\nend\n")
			var closing time.Duration
			for b.Loop() {
				prog, err := rt.Load(p)
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				if err := prog.Close(); err != nil {
					b.Fatal(err)
				}
				closing += time.Since(t0)
			}
			b.ReportMetric(float64(closing.Nanoseconds())/float64(b.N), "ns/close")
		})
		// The same loop as "close", timing one bare PRIVATE_EXPEDITED
		// instead: what the barrier costs right after a Load (the
		// compiler's allocations wake the GC's threads, which the barrier
		// must then reach).
		run("expedited-after-load", func(b *testing.B, rt *Runtime) {
			p := mustParseB(b, "func main 0\n    push 1\n    ret\nend\n")
			var barrier time.Duration
			for b.Loop() {
				prog, err := rt.Load(p)
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				if err := membarrier.Barrier(membarrier.CmdPrivateExpedited); err != nil {
					b.Fatal(err)
				}
				barrier += time.Since(t0)
				if err := prog.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(barrier.Nanoseconds())/float64(b.N), "ns/barrier")
		})
		run("expedited", func(b *testing.B, rt *Runtime) {
			for b.Loop() {
				if err := membarrier.Barrier(membarrier.CmdPrivateExpedited); err != nil {
					b.Fatal(err)
				}
			}
		})
		run("global", func(b *testing.B, rt *Runtime) { // an RCU grace period: milliseconds each
			for b.Loop() {
				if err := membarrier.Barrier(membarrier.CmdGlobal); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func mustParseB(b *testing.B, src string) *jasm.Program {
	p, err := jasm.Parse("b.jasm", []byte(src))
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// busyCallers starts n goroutines, each on its own locked thread, calling a
// trivial function through a Caller until stop is called.
func busyCallers(b *testing.B, rt *Runtime, n int) (stop func()) {
	if n == 0 {
		return func() {}
	}
	prog, err := rt.Load(mustParseB(b, "func main 1\n    arg 0\n    ret\nend\n"))
	if err != nil {
		b.Fatal(err)
	}
	if procs := runtime.GOMAXPROCS(0); procs < n+1 {
		runtime.GOMAXPROCS(n + 1)
		defer func() { b.Cleanup(func() { runtime.GOMAXPROCS(procs) }) }()
	}
	var done atomic.Bool
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c, err := prog.Func("main").NewCaller()
			if err != nil {
				panic(err)
			}
			defer c.Close()
			for !done.Load() {
				c.Call(1)
			}
		}()
	}
	return func() { done.Store(true); wg.Wait() }
}
