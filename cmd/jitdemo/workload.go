package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/syncore/syncore/examples"
	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/patch"
)

// A workload is a jasm program from examples/ plus a driver: worker threads
// call its entry while a patcher steps it through versions (a retarget, an
// arm, a new constant). Every result carries the version it came from, and
// the driver checks the workload's invariant: a call that starts after a
// patch returned never reaches the code that patch replaced, and every
// result is a value the program can compute.

// version is one state of the workload's sites.
type version struct {
	name  string
	apply func() error
}

// workloadSpec describes a built-in workload.
type workloadSpec struct {
	name      string
	summary   string
	file      string
	invariant string
	// setup returns the versions (cycled through in order, starting with
	// the program's initial state, index 0, which is not applied).
	setup func(prog *jit.Program, p *patch.Patcher) ([]version, error)
	// args returns the arguments of one call; phase is the index of the
	// current version (workloads whose input mix follows it use it).
	args func(r *rand.Rand, phase int) []int64
	// decode checks a result and returns the index of the version that
	// produced it (in 0..len(versions)-1), or ok false for a wrong value.
	decode func(args []int64, result int64) (ver int, ok bool)
}

// site fetches a site or fails.
func site(p *patch.Patcher, prog *jit.Program, name string) (*patch.Site, error) {
	return p.Site(prog, name)
}

func funcIndex(prog *jit.Program, name string) int {
	i, ok := prog.Jasm().Func(name)
	if !ok {
		panic("BUG: workload program has no function " + name)
	}
	return i
}

var workloads = []*workloadSpec{
	{
		name:      "tiering",
		summary:   "tiering hot-swap: a pcall site retargeted between a baseline and an optimised tier, each freshly compiled; the tier replaced is closed",
		file:      "tiering.jasm",
		invariant: "after a retarget returns, no call that starts reaches the old tier; both compute the same sum; a closed tier's code is freed only after a grace period",
		setup: func(prog *jit.Program, p *patch.Patcher) ([]version, error) {
			hot, err := site(p, prog, "hot")
			if err != nil {
				return nil, err
			}
			src, err := examples.Source("tiering.jasm")
			if err != nil {
				return nil, err
			}
			// As a tiering VM does: compile the next tier, retarget the
			// live call site to it, close the tier it replaces while the
			// workers keep calling (Close waits for a grace period).
			var tier *jit.Program
			swap := func(name string) func() error {
				return func() error {
					next, err := prog.Runtime().Compile("examples/tiering.jasm", src)
					if err != nil {
						return err
					}
					if err := hot.RetargetFunc(next.Func(name)); err != nil {
						next.Close()
						return err
					}
					old := tier
					tier = next
					if old == nil {
						return nil
					}
					return old.Close()
				}
			}
			return []version{{"baseline", swap("baseline")}, {"optimized", swap("optimized")}}, nil
		},
		args: func(r *rand.Rand, _ int) []int64 { return []int64{int64(50 + r.IntN(50))} },
		decode: func(args []int64, res int64) (int, bool) {
			n := args[0]
			tag := res & 0xff
			return int(tag - 1), res>>8 == n*(n+1)/2 && (tag == 1 || tag == 2)
		},
	},
	{
		name:      "inline-cache",
		summary:   "inline cache: a polymorphic call site retargeted among monomorphic targets as the receiver mix changes",
		file:      "inline-cache.jasm",
		invariant: "every call computes its receiver's value; after a retarget returns, no call that starts enters the previous target",
		setup: func(prog *jit.Program, p *patch.Patcher) ([]version, error) {
			ic, err := site(p, prog, "ic")
			if err != nil {
				return nil, err
			}
			var vs []version
			for _, n := range []string{"generic", "mono0", "mono1", "mono2"} {
				fn := funcIndex(prog, n)
				vs = append(vs, version{n, func() error { return ic.Retarget(fn) }})
			}
			return vs, nil
		},
		// Version k ≥ 1 is mono(k-1): most receivers are then of kind
		// k-1; under the generic version the mix is uniform.
		args: func(r *rand.Rand, phase int) []int64 {
			kind := r.IntN(3)
			if phase > 0 && r.IntN(10) != 0 {
				kind = phase - 1
			}
			return []int64{int64(kind), int64(1 + r.IntN(1000))}
		},
		decode: func(args []int64, res int64) (int, bool) {
			kind, x := args[0], args[1]
			want := [3]int64{x * x, x * 4, x * 3}[kind]
			tag := res & 0xff
			return int(tag - 1), res>>8 == want && tag >= 1 && tag <= 4
		},
	},
	{
		name:      "deopt",
		summary:   "deoptimisation guard: armed live to divert every thread to the slow path, then disarmed",
		file:      "deopt.jasm",
		invariant: "after an arm (disarm) returns, no call that starts takes the fast (slow) path",
		setup: func(prog *jit.Program, p *patch.Patcher) ([]version, error) {
			g, err := site(p, prog, "deopt")
			if err != nil {
				return nil, err
			}
			return []version{{"fast path", g.Disarm}, {"slow path", g.Arm}}, nil
		},
		args: func(r *rand.Rand, _ int) []int64 { return []int64{int64(r.IntN(1 << 20))} },
		decode: func(args []int64, res int64) (int, bool) {
			tag := res & 0xff
			return int(tag - 1), res>>8 == 2*args[0] && (tag == 1 || tag == 2)
		},
	},
	{
		name:      "constants",
		summary:   "live constants: a pconst site changed through 2, 3, 4, 5",
		file:      "constants.jasm",
		invariant: "every result is x times a value the site held, and never one older than the last patch that returned",
		setup: func(prog *jit.Program, p *patch.Patcher) ([]version, error) {
			s, err := site(p, prog, "scale")
			if err != nil {
				return nil, err
			}
			var vs []version
			for k := int64(2); k <= 5; k++ {
				vs = append(vs, version{fmt.Sprintf("scale=%d", k), func() error { return s.SetConst(k) }})
			}
			return vs, nil
		},
		args: func(r *rand.Rand, _ int) []int64 { return []int64{int64(1 + r.IntN(1<<20))} },
		decode: func(args []int64, res int64) (int, bool) {
			x := args[0]
			if res%x != 0 {
				return 0, false
			}
			k := res / x
			return int(k - 2), k >= 2 && k <= 5
		},
	},
}

func findWorkload(name string) *workloadSpec {
	for _, w := range workloads {
		if w.name == name {
			return w
		}
	}
	return nil
}

func workloadNames() []string {
	var n []string
	for _, w := range workloads {
		n = append(n, w.name)
	}
	return n
}

// workloadReport is what a workload run prints (and --json encodes, as an
// element of workloadRuns.Runs).
type workloadReport struct {
	Workload      string          `json:"workload"`
	Summary       string          `json:"summary"`
	Invariant     string          `json:"invariant"`
	Arch          string          `json:"arch"`
	Emulated      bool            `json:"emulated"`
	HeapMode      string          `json:"heap_mode"`   // "dual" or "rwx"
	HeapReason    string          `json:"heap_reason"` // why (jit.Info.HeapReason)
	PConst        string          `json:"pconst,omitempty"`
	Protocol      string          `json:"protocol"`
	Barrier       string          `json:"barrier"`
	BarrierReason string          `json:"barrier_reason"`
	Threads       int             `json:"threads"`
	Elapsed       time.Duration   `json:"elapsed_ns"`
	Versions      []versionReport `json:"versions"`
	Calls         uint64          `json:"calls"`
	Patches       uint64          `json:"patches"`
	Latency       latencyReport   `json:"latency"`
	Violations    uint64          `json:"violations"`
	Examples      []string        `json:"examples,omitempty"`
	// Retired counts programs closed and reclaimed after a grace period;
	// HeapInUse and HeapMapped are the code heap's bytes at the end.
	Retired    uint64 `json:"programs_retired"`
	HeapInUse  int    `json:"heap_bytes_in_use"`
	HeapMapped int    `json:"heap_bytes_mapped"`
}

type versionReport struct {
	Name  string        `json:"name"`
	Calls uint64        `json:"calls"`
	Time  time.Duration `json:"current_ns"`  // how long the version was current
	Rate  float64       `json:"calls_per_s"` // Calls / Time (0 when it never was current)
}

type latencyReport struct {
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// workloadRun is a running workload: shared counters for the live view.
type workloadRun struct {
	spec     *workloadSpec
	versions []version
	current  atomic.Int64 // published version counter (index = current % len)
	calls    []atomic.Uint64
	since    []time.Duration // time each version was current
	patches  atomic.Uint64
	viol     atomic.Uint64
	mu       sync.Mutex
	lat      []time.Duration
	examples []string
	start    time.Time
	lastSwap time.Time // guarded by mu
}

// rates returns, per version, its calls and its calls per second while it
// was current (the current version's time so far included), and the index
// of the current version.
func (w *workloadRun) rates() (calls []uint64, perSec []float64, cur int) {
	n := uint64(len(w.versions))
	cur = int(uint64(w.current.Load()) % n)
	w.mu.Lock()
	since := slices.Clone(w.since)
	since[cur] += time.Since(w.lastSwap)
	w.mu.Unlock()
	for i := range w.versions {
		c := w.calls[i].Load()
		calls = append(calls, c)
		r := 0.0
		if t := since[i].Seconds(); t > 0 {
			r = float64(c) / t
		}
		perSec = append(perSec, r)
	}
	return calls, perSec, cur
}

// runWorkload runs spec for d with threads workers, swapping versions
// every swap, and calls tick (if not nil) every interval with the run.
func runWorkload(ctx context.Context, spec *workloadSpec, pconst jit.PConstMode, d time.Duration, threads int,
	swap time.Duration, interval time.Duration, tick func(*workloadRun, time.Duration)) (*workloadReport, error) {
	rt, err := jit.New(jit.Options{PConst: pconst})
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	src, err := examples.Source(spec.file)
	if err != nil {
		return nil, fmt.Errorf("BUG: workload %s: %w", spec.name, err)
	}
	prog, err := rt.Compile("examples/"+spec.file, src)
	if err != nil {
		return nil, err
	}
	pt, err := patch.New(rt, patch.Options{})
	if err != nil {
		return nil, err
	}
	vs, err := spec.setup(prog, pt)
	if err != nil {
		return nil, err
	}
	w := &workloadRun{spec: spec, versions: vs, calls: make([]atomic.Uint64, len(vs)), since: make([]time.Duration, len(vs))}
	entry := prog.Entry()
	info := rt.Info()
	rep := &workloadReport{Workload: spec.name, Summary: spec.summary, Invariant: spec.invariant, Arch: string(info.Arch),
		Emulated: jit.Emulated(), HeapMode: heapModeName(info.HeapMode), HeapReason: info.HeapReason, Barrier: pt.Barrier().Name(),
		BarrierReason: pt.Reason(), Threads: threads}
	if s := prog.Jasm().Sites; len(s) > 0 {
		ps, _ := pt.SiteAt(prog, 0)
		rep.Protocol = ps.Protocol().String()
		if s[0].Kind.String() == "const" {
			rep.PConst = pconst.String()
		}
	}

	// One P per worker plus one for the patcher, so that the Go scheduler
	// never makes the patcher wait for a worker to give its P up (the
	// kernel still time-slices them when threads outnumber cores).
	if procs := runtime.GOMAXPROCS(0); procs < threads+1 {
		runtime.GOMAXPROCS(threads + 1)
		defer runtime.GOMAXPROCS(procs)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	n := uint64(len(vs))
	for t := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			r := rand.New(rand.NewPCG(uint64(t), 99))
			local := make([]uint64, len(vs))
			caller, err := entry.NewCaller()
			if err != nil {
				w.violation(fmt.Sprintf("worker %d: %v", t, err))
				return
			}
			defer caller.Close()
			for !stop.Load() {
				for range 128 {
					before := uint64(w.current.Load())
					args := spec.args(r, int(before%n))
					res, err := caller.Call(args...)
					after := uint64(w.current.Load())
					ver, ok := 0, err == nil
					if ok {
						ver, ok = spec.decode(args, res)
					}
					if ok {
						ok = false // the version must be one current during the call
						for v := before; v <= after+1 && v < before+n; v++ {
							if int(v%n) == ver {
								ok = true
								break
							}
						}
					}
					if !ok {
						w.violation(fmt.Sprintf("main%v = %#x (err %v) between versions %d and %d", args, res, err, before, after))
						continue
					}
					local[ver]++
				}
				for i, c := range local {
					w.calls[i].Add(c)
					local[i] = 0
				}
			}
		}()
	}

	w.start = time.Now()
	w.lastSwap = w.start
	swapT := time.NewTicker(swap)
	defer swapT.Stop()
	var tickC <-chan time.Time
	if tick != nil {
		tk := time.NewTicker(interval)
		defer tk.Stop()
		tickC = tk.C
	}
	end := time.NewTimer(d)
	defer end.Stop()
	var perr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-end.C:
			break loop
		case <-tickC:
			tick(w, time.Since(w.start))
		case <-swapT.C:
			next := w.current.Load() + 1
			t0 := time.Now()
			if err := vs[int(uint64(next)%n)].apply(); err != nil {
				perr = err
				break loop
			}
			now := time.Now()
			w.mu.Lock()
			w.since[int(uint64(next-1)%n)] += now.Sub(w.lastSwap)
			w.lastSwap = now
			w.lat = append(w.lat, now.Sub(t0))
			w.mu.Unlock()
			w.current.Store(next) // published after the patch returned
			w.patches.Add(1)
		}
	}
	stop.Store(true)
	wg.Wait()
	w.mu.Lock()
	w.since[int(uint64(w.current.Load())%n)] += time.Since(w.lastSwap)
	w.mu.Unlock()
	rep.Elapsed = time.Since(w.start)
	if perr != nil {
		return nil, fmt.Errorf("patch: %w", perr)
	}
	for i, v := range vs {
		c := w.calls[i].Load()
		vr := versionReport{Name: v.name, Calls: c, Time: w.since[i]}
		if secs := vr.Time.Seconds(); secs > 0 {
			vr.Rate = float64(c) / secs
		}
		rep.Versions = append(rep.Versions, vr)
		rep.Calls += c
	}
	rep.Patches = w.patches.Load()
	rep.Violations = w.viol.Load()
	rep.Examples = w.examples
	rep.Latency = w.latency()
	rep.Retired = rt.GracePeriods()
	hs := rt.Heap().Stats()
	rep.HeapInUse, rep.HeapMapped = hs.InUse, hs.Mapped
	return rep, nil
}

func (w *workloadRun) violation(msg string) {
	w.viol.Add(1)
	w.mu.Lock()
	if len(w.examples) < 5 {
		w.examples = append(w.examples, msg)
	}
	w.mu.Unlock()
}

func (w *workloadRun) latency() latencyReport {
	w.mu.Lock()
	l := slices.Clone(w.lat)
	w.mu.Unlock()
	if len(l) == 0 {
		return latencyReport{}
	}
	slices.Sort(l)
	return latencyReport{P50: l[len(l)/2], P99: l[len(l)*99/100], Max: l[len(l)-1]}
}
