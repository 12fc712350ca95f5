package patch

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/membarrier"
)

// Benchmarks of the patch path. Compare figures within one run (benchstat):
// these machines are shared, and a barrier's cost depends on how many other
// threads of the process are running when it is issued.
//
// Busy workers are goroutines locked to their own OS thread that call a JIT
// function in a tight loop. While a benchmark runs GOMAXPROCS is raised to
// at least busy+1, so the patching goroutine always has a P of its own and
// the operating system, not the Go scheduler, shares the cores: with more
// workers than cores each figure includes the time the patcher waits for a
// core, for a patch and for the bare barrier alike.

const latencyProgram = `
func one 0
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

const constProgram = `
func main 1
    arg 0
    pconst k 3
    mul
    ret
end
`

// benchRuntime returns a runtime whose pconst sites are compiled as mode.
func benchRuntime(b *testing.B, mode jit.PConstMode) *jit.Runtime {
	b.Helper()
	rt, err := jit.New(jit.Options{PConst: mode})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rt.Close() })
	return rt
}

func benchCompile(b *testing.B, rt *jit.Runtime, name, src string) *jit.Program {
	b.Helper()
	prog, err := rt.Compile(name, []byte(src))
	if err != nil {
		b.Fatal(err)
	}
	return prog
}

// benchPatcher returns a patcher with the named barrier, skipping (with the
// reason) when the strategy cannot be used on this machine.
func benchPatcher(b *testing.B, rt *jit.Runtime, barrier string) *Patcher {
	b.Helper()
	p, err := New(rt, Options{Barrier: barrier})
	if err != nil {
		b.Skipf("barrier %s unavailable here: %v", barrier, err)
	}
	return p
}

// workers runs n busy threads calling fn(args...) until the returned stop
// function is called. check, if not nil, judges each result; bad results
// and call errors are reported by stop through b.Error. With hs, every
// worker joins the handshake before the benchmark starts, calls Safepoint
// between calls and leaves when stopped.
func workers(b *testing.B, n int, fn *jit.Func, args []int64, check func(int64) bool, hs *Handshake) (stop func()) {
	b.Helper()
	if procs := runtime.GOMAXPROCS(0); procs < n+1 {
		runtime.GOMAXPROCS(n + 1)
		b.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	}
	var (
		done, ready sync.WaitGroup
		quit        atomic.Bool
		bad         atomic.Int64
		badVal      atomic.Int64
		callErr     atomic.Pointer[error]
	)
	for range n {
		done.Add(1)
		ready.Add(1)
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var part *Participant
			if hs != nil {
				part = hs.Join()
				defer part.Leave()
			}
			ready.Done()
			for !quit.Load() {
				v, err := fn.Call(args...)
				if err != nil {
					callErr.CompareAndSwap(nil, &err)
					return
				}
				if check != nil && !check(v) {
					bad.Add(1)
					badVal.Store(v)
				}
				if part != nil {
					part.Safepoint()
				}
			}
		}()
	}
	ready.Wait()
	return func() {
		quit.Store(true)
		done.Wait()
		if e := callErr.Load(); e != nil {
			b.Errorf("worker call of %s: %v", fn.Name(), *e)
		}
		if k := bad.Load(); k > 0 {
			b.Errorf("workers saw %d results no patch wrote (last: %d)", k, badVal.Load())
		}
	}
}

// BenchmarkPatchLatency measures one patch — the write and its barrier — of
// a pcall site (Retarget, alternating between two functions; one atomic
// store on amd64, one bl on ppc64le, one BL on arm64) for every barrier
// strategy, with 0, 1, 2, 4 and 8 busy worker threads calling the site's
// function.
// bare-synccore is a bare membarrier SYNC_CORE call in the same setup: the
// goal is synccore ≤ 1.5 × bare-synccore at every busy count. For the
// handshake strategy the workers join the handshake and acknowledge it
// between calls. global (an RCU grace period, milliseconds) is measured with
// at most 2 busy workers to keep the run short.
func BenchmarkPatchLatency(b *testing.B) {
	strategies := append([]string{"bare-synccore"}, BarrierNames...)
	for _, strategy := range strategies {
		for _, busy := range []int{0, 1, 2, 4, 8} {
			if strategy == "global" && busy > 2 {
				continue
			}
			b.Run(fmt.Sprintf("%s/busy=%d", strategy, busy), func(b *testing.B) {
				benchPatchLatency(b, strategy, busy)
			})
		}
	}
}

func benchPatchLatency(b *testing.B, strategy string, busy int) {
	rt := benchRuntime(b, jit.PConstData)
	prog := benchCompile(b, rt, "latency.jasm", latencyProgram)
	bare := strategy == "bare-synccore"
	barrier := strategy
	if bare {
		barrier = "synccore"
	}
	p := benchPatcher(b, rt, barrier)
	site, err := p.Site(prog, "c")
	if err != nil {
		b.Fatal(err)
	}
	one, _ := prog.Jasm().Func("one")
	two, _ := prog.Jasm().Func("two")
	hs := p.Handshake()
	stop := workers(b, busy, prog.Entry(), nil, func(v int64) bool { return v == 1 || v == 2 }, hs)
	defer stop()

	targets := [2]int{two, one}
	b.ResetTimer()
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
}

// batchProgram is a function of n pconst sites k0 … k(n-1) whose result is
// their sum.
func batchProgram(n int) string {
	var s strings.Builder
	s.WriteString("func main 0\n    push 0\n")
	for i := range n {
		fmt.Fprintf(&s, "    pconst k%d %d\n    add\n", i, i)
	}
	s.WriteString("    ret\nend\n")
	return s.String()
}

// BenchmarkBatch measures one Batch Commit (the batch reused with Reset, as
// a patcher in a loop would) that sets n pconst sites
// (data slots: one phase, so one barrier per batch) with the synccore
// barrier and no busy worker, reporting the cost per site (goal: ≤ 50
// ns/site at 1000 sites) and the barriers each batch issued.
func BenchmarkBatch(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("sites=%d", n), func(b *testing.B) {
			rt := benchRuntime(b, jit.PConstData)
			prog := benchCompile(b, rt, "batch.jasm", batchProgram(n))
			p := benchPatcher(b, rt, "synccore")
			sites := make([]*Site, n)
			for i := range sites {
				s, err := p.Site(prog, fmt.Sprintf("k%d", i))
				if err != nil {
					b.Fatal(err)
				}
				if s.Protocol() != DataSlot {
					b.Fatalf("site %s: protocol %v, want dataslot", s.Name(), s.Protocol())
				}
				sites[i] = s
			}
			before := p.Barriers()
			b.ResetTimer()
			var iters int
			bt := p.Batch()
			for v := int64(1); b.Loop(); v++ {
				bt.Reset()
				for _, s := range sites {
					bt.SetConst(s, v)
				}
				if err := bt.Commit(); err != nil {
					b.Fatal(err)
				}
				iters++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(iters*n), "ns/site")
			b.ReportMetric(float64(p.Barriers()-before)/float64(iters), "barriers/op")
			b.StopTimer()
			got, err := prog.Entry().Call()
			if err != nil {
				b.Fatal(err)
			}
			if want := int64(n) * sites[0].Value(); got != want {
				b.Errorf("after the last batch main() = %d, want %d", got, want)
			}
		})
	}
}

// BenchmarkConst measures SetConst of a pconst site, with the synccore
// barrier and one busy worker calling the site's function, in the two
// compiled forms on the same program: data (an aligned data slot the code
// loads: one atomic data store, one barrier) and, on amd64, code (a 10-byte
// movabs patched with the self-loop protocol: three phases, three
// barriers). ppc64le and arm64 have no code form (immediates are not in
// the Power patch class, nor in the Arm ARM's B2.2.5 set), so only data is
// registered there. The worker checks that every result is one a patch
// wrote.
func BenchmarkConst(b *testing.B) {
	modes := []jit.PConstMode{jit.PConstData}
	if host, ok := jit.HostArch(); ok && host == jit.ArchAMD64 {
		modes = append(modes, jit.PConstCode)
	}
	for _, mode := range modes {
		b.Run(mode.String(), func(b *testing.B) {
			rt := benchRuntime(b, mode)
			prog := benchCompile(b, rt, "const.jasm", constProgram)
			p := benchPatcher(b, rt, "synccore")
			k, err := p.Site(prog, "k")
			if err != nil {
				b.Fatal(err)
			}
			if want := map[jit.PConstMode]Protocol{jit.PConstData: DataSlot, jit.PConstCode: SelfLoop}[mode]; k.Protocol() != want {
				b.Fatalf("pconst %v: protocol %v, want %v", mode, k.Protocol(), want)
			}
			const x, v0, v1 = 7, 0x0102030405060708, -0x0807060504030201
			check := func(r int64) bool { return r == x*3 || r == x*v0 || r == x*v1 }
			stop := workers(b, 1, prog.Entry(), []int64{x}, check, nil)
			defer stop()
			vals := [2]int64{v0, v1}
			before := p.Barriers()
			b.ResetTimer()
			var iters int
			for ; b.Loop(); iters++ {
				if err := k.SetConst(vals[iters&1]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(p.Barriers()-before)/float64(iters), "barriers/op")
		})
	}
}
