package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/syncore/syncore/codegen/amd64"
	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/jit/jasm"
	"github.com/syncore/syncore/membarrier"
	"github.com/syncore/syncore/patch"
	"github.com/syncore/syncore/patch/stress"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Names are Benchmark<What>/<case>/<implementation>, so that benchstat and
// cmd/benchratio line up the implementations of one case. The last element
// is always the implementation (or strategy); cmd/benchratio prints each
// one's median and its ratio to every other in the same case.

// The arguments of the run-time benchmarks.
const (
	fibN     = 30
	sumN     = 1_000_000
	gcdN     = 20_000
	collatzN = 10_000
)

// compileWorkloads are the programs of BenchmarkCompile: two small ones, a
// 5 002-instruction function and a program of 200 functions.
func compileWorkloads() []Workload {
	return []Workload{Fib(20), Sum(1000), Straight(2500), Chain(200)}
}

func newRuntime(b *testing.B, opts jit.Options) *jit.Runtime {
	b.Helper()
	rt, err := jit.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	if !rt.Info().CanExecute {
		rt.Close()
		b.Skip("this machine cannot run syncore's machine code")
	}
	return rt
}

// loadSyncore compiles w into rt and checks main(w.Arg) once.
func loadSyncore(b *testing.B, rt *jit.Runtime, w Workload) *jit.Func {
	b.Helper()
	prog, err := rt.Compile(w.Name+".jasm", []byte(w.Jasm))
	if err != nil {
		b.Fatal(err)
	}
	f := prog.Func("main")
	if v, err := f.Call(w.Arg); err != nil || v != w.Want {
		b.Fatalf("syncore %s(%d) = %d, %v; want %d", w.Name, w.Arg, v, err, w.Want)
	}
	return f
}

func newWazero(b *testing.B) wazero.Runtime {
	b.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	b.Cleanup(func() { r.Close(ctx) })
	return r
}

// loadWazero compiles and instantiates w in r and checks main(w.Arg) once.
func loadWazero(b *testing.B, r wazero.Runtime, w Workload) api.Function {
	b.Helper()
	ctx := context.Background()
	mod, err := r.Instantiate(ctx, WasmModule(w.Wasm, 0))
	if err != nil {
		b.Fatal(err)
	}
	fn := mod.ExportedFunction("main")
	stack := []uint64{uint64(w.Arg)}
	if err := fn.CallWithStack(ctx, stack); err != nil || int64(stack[0]) != w.Want {
		b.Fatalf("wazero %s(%d) = %d, %v; want %d", w.Name, w.Arg, int64(stack[0]), err, w.Want)
	}
	return fn
}

// BenchmarkCompile measures the time from source to a callable function.
//
// syncore: rt.Compile of the jasm text — parse, verify, compile, copy into
// the code heap, the barrier after loading — and the lookup of main. The
// programs are not closed (Program.Close would add a grace period to every
// iteration's untimed part), so every 64 MiB of code the runtime is
// replaced outside the timed region.
//
// wazero: CompileModule of the Wasm bytes with the compiler
// (wazero.NewRuntimeConfigCompiler), InstantiateModule and the lookup of
// main, in one runtime created before the timer starts. Each iteration
// compiles different bytes (a custom section carries the iteration number),
// so wazero's in-memory compilation cache, keyed by a hash of the bytes,
// never serves a compiled module; closing the instance and the compiled
// module is not timed.
func BenchmarkCompile(b *testing.B) {
	for _, w := range compileWorkloads() {
		b.Run(w.Name+"/syncore", func(b *testing.B) { benchCompileSyncore(b, w) })
		b.Run(w.Name+"/wazero", func(b *testing.B) { benchCompileWazero(b, w) })
	}
}

func benchCompileSyncore(b *testing.B, w Workload) {
	rt := newRuntime(b, jit.Options{})
	b.Cleanup(func() { rt.Close() })
	loadSyncore(b, rt, w)
	src := []byte(w.Jasm)
	used := 0
	b.ReportAllocs()
	for b.Loop() {
		prog, err := rt.Compile("bench.jasm", src)
		if err != nil {
			b.Fatal(err)
		}
		if prog.Func("main") == nil {
			b.Fatal("no main")
		}
		if used += len(prog.Block().RW); used > 64<<20 {
			b.StopTimer()
			rt.Close()
			rt = newRuntime(b, jit.Options{})
			used = 0
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(w.Ops)*float64(b.N)/b.Elapsed().Seconds(), "jasm-ops/s")
}

func benchCompileWazero(b *testing.B, w Workload) {
	ctx := context.Background()
	r := newWazero(b)
	loadWazero(b, r, w)
	bin := WasmModule(w.Wasm, 1)
	tag := bin[len(bin)-8:] // the custom section's payload ends the module
	cfg := wazero.NewModuleConfig()
	var iter uint64 = 1
	b.ReportAllocs()
	for b.Loop() {
		iter++
		binary.LittleEndian.PutUint64(tag, iter)
		cm, err := r.CompileModule(ctx, bin)
		if err != nil {
			b.Fatal(err)
		}
		mod, err := r.InstantiateModule(ctx, cm, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if mod.ExportedFunction("main") == nil {
			b.Fatal("no main")
		}
		b.StopTimer()
		mod.Close(ctx)
		cm.Close(ctx)
		b.StartTimer()
	}
	b.ReportMetric(float64(w.Ops)*float64(b.N)/b.Elapsed().Seconds(), "jasm-ops/s")
}

// BenchmarkRun measures one call of fib(30) and of the sum 1 + … + 10⁶:
// syncore's machine code (jit), syncore's interpreter (interp), wazero's
// compiled code (called with CallWithStack, its allocation-free path) and
// Go (functions marked go:noinline). Compiling is not timed.
func BenchmarkRun(b *testing.B) {
	goFns := map[string]func(int64) int64{"fib": GoFib, "sum": GoSum, "gcdsum": GoGcdSum, "collatzsum": GoCollatzSum}
	for _, w := range []Workload{Fib(fibN), Sum(sumN), GcdSum(gcdN), CollatzSum(collatzN)} {
		name := fmt.Sprintf("%s%d", w.Name, w.Arg)
		if w.Name == "sum" {
			name = "sum1e6"
		}
		b.Run(name+"/jit", func(b *testing.B) {
			rt := newRuntime(b, jit.Options{})
			b.Cleanup(func() { rt.Close() })
			f := loadSyncore(b, rt, w)
			for b.Loop() {
				if v, err := f.Call(w.Arg); err != nil || v != w.Want {
					b.Fatal(v, err)
				}
			}
		})
		b.Run(name+"/interp", func(b *testing.B) {
			p, err := jasm.Parse(w.Name+".jasm", []byte(w.Jasm))
			if err != nil {
				b.Fatal(err)
			}
			it, err := jasm.NewInterp(p)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			for b.Loop() {
				if v, err := it.Run(ctx, w.Arg); err != nil || v != w.Want {
					b.Fatal(v, err)
				}
			}
		})
		b.Run(name+"/wazero", func(b *testing.B) {
			fn := loadWazero(b, newWazero(b), w)
			ctx := context.Background()
			stack := make([]uint64, 1)
			for b.Loop() {
				stack[0] = uint64(w.Arg)
				if err := fn.CallWithStack(ctx, stack); err != nil || int64(stack[0]) != w.Want {
					b.Fatal(stack[0], err)
				}
			}
		})
		goFn := goFns[w.Name]
		b.Run(name+"/go", func(b *testing.B) {
			for b.Loop() {
				if v := goFn(w.Arg); v != w.Want {
					b.Fatal(v)
				}
			}
		})
	}
}

var sink int64

// BenchmarkCall measures calling a trivial function main(x) = x from Go:
// a non-inlined Go function, syncore's Func.Call (a JIT stack from the
// runtime's pool per call), syncore's jit.Caller (one goroutine's reusable
// call context and stack, as a VM thread would hold), a C function through
// cgo and wazero's Function.CallWithStack.
func BenchmarkCall(b *testing.B) {
	w := Identity()
	b.Run("identity/go", func(b *testing.B) {
		var s int64
		for i := 0; b.Loop(); i++ {
			s += GoIdentity(int64(i))
		}
		sink = s
	})
	b.Run("identity/syncore", func(b *testing.B) {
		rt := newRuntime(b, jit.Options{})
		b.Cleanup(func() { rt.Close() })
		f := loadSyncore(b, rt, w)
		b.ReportAllocs()
		var s int64
		for i := 0; b.Loop(); i++ {
			v, err := f.Call(int64(i))
			if err != nil {
				b.Fatal(err)
			}
			s += v
		}
		sink = s
	})
	b.Run("identity/syncore-caller", func(b *testing.B) {
		rt := newRuntime(b, jit.Options{})
		b.Cleanup(func() { rt.Close() })
		c, err := loadSyncore(b, rt, w).NewCaller()
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		b.ReportAllocs()
		var s int64
		for i := 0; b.Loop(); i++ {
			v, err := c.Call(int64(i))
			if err != nil {
				b.Fatal(err)
			}
			s += v
		}
		sink = s
	})
	b.Run("identity/cgo", func(b *testing.B) {
		if !CgoAvailable {
			b.Skip("built without cgo")
		}
		var s int64
		for i := 0; b.Loop(); i++ {
			s += CIdentity(int64(i))
		}
		sink = s
	})
	b.Run("identity/wazero", func(b *testing.B) {
		fn := loadWazero(b, newWazero(b), w)
		ctx := context.Background()
		stack := make([]uint64, 1)
		b.ReportAllocs()
		var s int64
		for i := 0; b.Loop(); i++ {
			stack[0] = uint64(i)
			if err := fn.CallWithStack(ctx, stack); err != nil {
				b.Fatal(err)
			}
			s += int64(stack[0])
		}
		sink = s
	})
}

// The patched programs: a pcall site that is retargeted between two
// functions, and a pconst site.
const (
	retargetJasm = `func one 0
    push 1
    ret
end
func two 0
    push 2
    ret
end
func main 0
    pcall c one
    ret
end
`
	constJasm = `func main 1
    arg 0
    pconst k 3
    mul
    ret
end
`
)

// busyWorkers runs n busy threads calling fn(args...) (stress.Busy) for the
// benchmark; stop reports a failed call or a result check refuses.
func busyWorkers(b *testing.B, n int, fn *jit.Func, args []int64, check func(int64) bool) (stop func()) {
	b.Helper()
	stopBusy, err := stress.Busy(n, fn, args, check, nil)
	if err != nil {
		b.Fatal(err)
	}
	return func() {
		if _, err := stopBusy(); err != nil {
			b.Error(err)
		}
	}
}

func newPatcher(b *testing.B, rt *jit.Runtime, barrier string) *patch.Patcher {
	b.Helper()
	p, err := patch.New(rt, patch.Options{Barrier: barrier})
	if err != nil {
		b.Skipf("barrier %s unavailable here: %v", barrier, err)
	}
	return p
}

// patchStrategies are the barriers of BenchmarkPatchLatency, after the
// reference (a bare membarrier SYNC_CORE). handshake needs the workers'
// cooperation and none is no barrier: both are measured in patch's own
// benchmarks.
var patchStrategies = []string{"bare-synccore", "synccore", "expedited", "mprotect", "global"}

// BenchmarkPatchLatency measures one live patch — Site.Retarget of a pcall
// site, alternating between two targets: the write and the barrier — for
// each barrier strategy, with 0 and 1 busy worker threads calling the
// patched function, against bare-synccore, a bare membarrier.SyncCore() in
// the same set-up. global waits for an RCU grace period (milliseconds): its
// iteration count is bounded by -benchtime like the others', so it adds
// about -benchtime per busy count.
func BenchmarkPatchLatency(b *testing.B) {
	for _, busy := range []int{0, 1} {
		for _, strategy := range patchStrategies {
			b.Run(fmt.Sprintf("busy=%d/%s", busy, strategy), func(b *testing.B) {
				rt := newRuntime(b, jit.Options{})
				b.Cleanup(func() { rt.Close() })
				prog, err := rt.Compile("retarget.jasm", []byte(retargetJasm))
				if err != nil {
					b.Fatal(err)
				}
				barrier := strategy
				bare := strategy == "bare-synccore"
				if bare {
					barrier = "synccore"
				}
				p := newPatcher(b, rt, barrier)
				site, err := p.Site(prog, "c")
				if err != nil {
					b.Fatal(err)
				}
				one, _ := prog.Jasm().Func("one")
				two, _ := prog.Jasm().Func("two")
				targets := [2]int{two, one}
				stop := busyWorkers(b, busy, prog.Func("main"), nil, func(v int64) bool { return v == 1 || v == 2 })
				defer stop()
				for i := 0; b.Loop(); i++ {
					if bare {
						err = membarrier.SyncCore()
					} else {
						err = site.Retarget(targets[i&1])
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkPatchBatch measures one Batch().SetConst(…)….Commit() of n
// pconst sites (data slots, synccore barrier, no busy worker) and reports
// the cost per site and the barriers per batch.
func BenchmarkPatchBatch(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("sites=%d/synccore", n), func(b *testing.B) {
			rt := newRuntime(b, jit.Options{})
			b.Cleanup(func() { rt.Close() })
			var src strings.Builder
			src.WriteString("func main 0\n    push 0\n")
			for i := range n {
				fmt.Fprintf(&src, "    pconst k%d %d\n    add\n", i, i)
			}
			src.WriteString("    ret\nend\n")
			prog, err := rt.Compile("batch.jasm", []byte(src.String()))
			if err != nil {
				b.Fatal(err)
			}
			p := newPatcher(b, rt, "synccore")
			sites := make([]*patch.Site, n)
			for i := range sites {
				if sites[i], err = p.Site(prog, fmt.Sprintf("k%d", i)); err != nil {
					b.Fatal(err)
				}
			}
			before := p.Barriers()
			v := int64(0)
			bt := p.Batch() // reused with Reset, as a patcher committing batches in a loop does
			for b.Loop() {
				v++
				bt.Reset()
				for _, s := range sites {
					bt.SetConst(s, v)
				}
				if err := bt.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/site")
			b.ReportMetric(float64(p.Barriers()-before)/float64(b.N), "barriers/op")
			if got, err := prog.Func("main").Call(); err != nil || got != int64(n)*v {
				b.Errorf("after the last batch main() = %d, %v; want %d", got, err, int64(n)*v)
			}
		})
	}
}

// BenchmarkPatchConst measures SetConst of one pconst site with one busy
// worker calling its function, in the two compiled forms: data (the code
// loads an aligned 8-byte slot; one atomic store, one barrier) and, on
// amd64, code (a movabs immediate patched in place with the self-loop
// protocol: three phases, three barriers), against a bare SYNC_CORE in the
// same set-up.
func BenchmarkPatchConst(b *testing.B) {
	modes := []string{"bare-synccore", "data"}
	if host, ok := jit.HostArch(); ok && host == jit.ArchAMD64 {
		modes = append(modes, "code")
	}
	for _, mode := range modes {
		b.Run("busy=1/"+mode, func(b *testing.B) {
			opts := jit.Options{PConst: jit.PConstData}
			if mode == "code" {
				opts.PConst = jit.PConstCode
			}
			rt := newRuntime(b, opts)
			b.Cleanup(func() { rt.Close() })
			prog, err := rt.Compile("const.jasm", []byte(constJasm))
			if err != nil {
				b.Fatal(err)
			}
			p := newPatcher(b, rt, "synccore")
			k, err := p.Site(prog, "k")
			if err != nil {
				b.Fatal(err)
			}
			const x, v0, v1 = 7, 0x0102030405060708, -0x0807060504030201
			stop := busyWorkers(b, 1, prog.Func("main"), []int64{x}, func(r int64) bool {
				return r == x*3 || r == x*v0 || r == x*v1
			})
			defer stop()
			vals := [2]int64{v0, v1}
			before := p.Barriers()
			for i := 0; b.Loop(); i++ {
				if mode == "bare-synccore" {
					err = membarrier.SyncCore()
				} else {
					err = k.SetConst(vals[i&1])
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			if mode != "bare-synccore" {
				b.ReportMetric(float64(p.Barriers()-before)/float64(b.N), "barriers/op")
			}
		})
	}
}

// BenchmarkEncode measures the amd64 encoder through its public API: each
// iteration assembles 1 024 groups of instructions into a reused buffer
// (Reset keeps its storage); instr/s is the emit rate.
func BenchmarkEncode(b *testing.B) {
	const block = 1024
	groups := []struct {
		name     string
		perGroup int
		emit     func(a *amd64.Asm, i int)
	}{
		{"alu", 4, func(a *amd64.Asm, i int) {
			r := amd64.Reg(i & 15)
			a.AddRR(r, amd64.R9)
			a.SubRI(r, int32(i))
			a.XorRR(amd64.RAX, r)
			a.CmpRI(r, 7)
		}},
		{"mov", 4, func(a *amd64.Asm, i int) {
			r := amd64.Reg(i & 15)
			a.MovRR(r, amd64.RSI)
			a.MovRI(r, int64(i)<<20)
			a.MovRI32(r, -int32(i))
			a.MovRI64(r, int64(i)<<40)
		}},
		{"mem", 4, func(a *amd64.Asm, i int) {
			r := amd64.Reg(i & 15)
			a.Load(r, amd64.BaseDisp(amd64.RSP, int32(i*8)))
			a.Store(amd64.BaseIndex(amd64.R12, amd64.RCX, 8, 16), r)
			a.Lea(r, amd64.BaseIndex(amd64.RBP, r|1, 2, -int32(i)))
			a.Load(amd64.RAX, amd64.BaseDisp(amd64.R13, 0))
		}},
	}
	for _, g := range groups {
		b.Run(g.name+"/amd64", func(b *testing.B) {
			a := amd64.New()
			for i := range block { // grow the buffer once
				g.emit(a, i)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				a.Reset()
				for i := range block {
					g.emit(a, i)
				}
				n += block * g.perGroup
			}
			if err := a.Err(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "instr/s")
		})
	}
}
