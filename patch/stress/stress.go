// Package stress runs worker threads that call JIT code in a tight loop
// while patcher goroutines change the code's sites as fast as they can, and
// checks every result (V8's JumpTablePatchingStress, with versions):
//
//   - each patch publishes the site's version number after the protocol
//     (and its barriers) returned;
//   - each worker reads the published version before a call and after it;
//     a result from a version older than the one published before the call
//     is **stale** (the contract says the next execution sees the patch);
//     a result that no patch ever wrote (mixed bytes, an impossible branch)
//     is **torn**;
//   - the run happens in a child process, so a SIGSEGV/SIGILL/SIGBUS from a
//     torn instruction is a reported **crash** with the signal and the
//     faulting site, not a dead test run.
//
// Values encode versions so that tearing shows: a const site holds the
// version's low byte repeated in all eight bytes; a call site calls target
// (version mod 4), which returns its number + 1; a guard is armed on odd
// versions and its two paths return 1 and 2.
//
// The unsafe protocols (patch.Unsafe, patch.Straddle) and the barrier
// "none" exist so that the tests can show this harness catches them.
package stress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/patch"
)

// Config describes a stress run. Zero fields take the defaults.
type Config struct {
	Site     string         `json:"site"`     // "const" (default), "call" or "guard"
	Protocol patch.Protocol `json:"protocol"` // patch.Auto (default) or a forced protocol
	Barrier  string         `json:"barrier"`  // "" (auto) or a patch.BarrierNames entry
	Threads  int            `json:"threads"`  // workers; default max(2, NumCPU)
	Patchers int            `json:"patchers"` // default 1
	Sites    int            `json:"sites"`    // default 8
	Duration time.Duration  `json:"duration"` // default 2s (ignored when Patches is set)
	Patches  int            `json:"patches"`  // stop after this many patches (0: run for Duration)
	Seed     uint64         `json:"seed"`
	// StopOnViolation ends the run at the first violation (the tests'
	// negative controls use it to be quick).
	StopOnViolation bool `json:"stop_on_violation"`
	// ProgressEvery, when set, makes Run report progress at that interval
	// (to Progress; a child run writes it to its parent).
	ProgressEvery time.Duration `json:"progress_every"`
}

// Progress is a snapshot of a running stress run.
type Progress struct {
	Elapsed    time.Duration `json:"elapsed_ns"`
	Calls      uint64        `json:"calls"`
	Patches    uint64        `json:"patches"`
	Violations Violations    `json:"violations"`
}

// progressPrefix starts a progress line on a child's stderr.
const progressPrefix = "stress-progress "

// SiteKinds are the values of Config.Site.
var SiteKinds = []string{"const", "call", "guard"}

func (c *Config) defaults() error {
	if c.Site == "" {
		c.Site = "const"
	}
	if !slices.Contains(SiteKinds, c.Site) {
		return fmt.Errorf("%w: unknown site kind %q (want one of %v)", ErrConfig, c.Site, SiteKinds)
	}
	if c.Threads <= 0 {
		c.Threads = max(2, runtime.NumCPU())
	}
	if c.Patchers <= 0 {
		c.Patchers = 1
	}
	if c.Sites <= 0 {
		c.Sites = 8
	}
	if c.Patchers > c.Sites {
		return fmt.Errorf("%w: %d patchers for %d sites: each site has one patcher", ErrConfig, c.Patchers, c.Sites)
	}
	if c.Threads > 1024 || c.Patchers > 1024 || c.Sites > 4096 {
		return fmt.Errorf("%w: at most 1024 threads, 1024 patchers and 4096 sites", ErrConfig)
	}
	if c.Duration <= 0 && c.Patches <= 0 {
		c.Duration = 2 * time.Second
	}
	return nil
}

// Latency summarises patch latencies (write + barriers).
type Latency struct {
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// Violations counts what the checks found.
type Violations struct {
	Stale uint64 `json:"stale"`
	Torn  uint64 `json:"torn"`
	Crash uint64 `json:"crash"`
	// Hang counts a child that stopped answering (torn code can jump into a
	// loop that never polls): RunChild killed it after the run's time was up.
	Hang uint64 `json:"hang"`
}

// Total is the number of violations of every kind.
func (v Violations) Total() uint64 { return v.Stale + v.Torn + v.Crash + v.Hang }

// Report is the outcome of a run.
type Report struct {
	Config        Config        `json:"config"`
	Arch          string        `json:"arch"`
	Emulated      bool          `json:"emulated"`
	HeapMode      string        `json:"heap_mode"`
	Protocol      string        `json:"protocol"` // the protocol the sites used
	Barrier       string        `json:"barrier"`
	BarrierReason string        `json:"barrier_reason"`
	Elapsed       time.Duration `json:"elapsed_ns"`
	Calls         uint64        `json:"calls"`
	Patches       uint64        `json:"patches"`
	Latency       Latency       `json:"latency"`
	Violations    Violations    `json:"violations"`
	// Examples holds the first few violations in words.
	Examples []string `json:"examples,omitempty"`
	// Crash describes a crash of the child: the signal, the PC and the
	// site it falls in, when known.
	Crash string `json:"crash,omitempty"`
}

// encoding of versions in results
const targets = 4 // call sites rotate among this many functions

func constValue(v uint64) int64 { return int64(uint64(byte(v)) * 0x0101010101010101) }

// program returns the jasm text: per site i a function w<i> that executes
// site s<i>, plus the call targets.
func program(kind string, n int) string {
	var b strings.Builder
	for j := range targets {
		fmt.Fprintf(&b, "func t%d 0\n    push %d\n    ret\nend\n", j, j+1)
	}
	for i := range n {
		switch kind {
		case "const":
			fmt.Fprintf(&b, "func w%d 0\n    pconst s%d 0\n    ret\nend\n", i, i)
		case "call":
			fmt.Fprintf(&b, "func w%d 0\n    pcall s%d t0\n    ret\nend\n", i, i)
		case "guard":
			fmt.Fprintf(&b, "func w%d 0\n    guard s%d armed\n    push 1\n    ret\narmed:\n    push 2\n    ret\nend\n", i, i)
		}
	}
	b.WriteString("func main 0\n    push 0\n    ret\nend\n")
	return b.String()
}

// check classifies result r of a call made between published versions
// before and after (a patch to after+1 may have been in flight).
func check(kind string, r int64, before, after uint64) (stale, torn bool) {
	hi := after + 1
	inRange := func(match func(v uint64) bool, period uint64) bool {
		if hi-before+1 >= period {
			return true // every residue is possible
		}
		for v := before; v <= hi; v++ {
			if match(v) {
				return true
			}
		}
		return false
	}
	switch kind {
	case "const":
		b := byte(r)
		if r != constValue(uint64(b)) {
			return false, true
		}
		return !inRange(func(v uint64) bool { return byte(v) == b }, 256), false
	case "call":
		if r < 1 || r > targets {
			return false, true
		}
		return !inRange(func(v uint64) bool { return int64(v%targets) == r-1 }, targets), false
	case "guard":
		if r != 1 && r != 2 {
			return false, true
		}
		return !inRange(func(v uint64) bool { return int64(v%2)+1 == r }, 2), false
	}
	panic("BUG: site kind " + kind)
}

// Run performs the stress run in this process. A torn instruction may crash
// the process: use RunChild for anything but safe protocols.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	pconst := jit.PConstData
	host, _ := jit.HostArch()
	if cfg.Site == "const" && host == jit.ArchAMD64 && (cfg.Protocol == patch.SelfLoop || cfg.Protocol == patch.Straddle) {
		pconst = jit.PConstCode // the multi-word movabs site
	}
	rt, err := jit.New(jit.Options{PConst: pconst})
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	src := program(cfg.Site, cfg.Sites)
	prog, err := rt.Compile("stress.jasm", []byte(src))
	if err != nil {
		return nil, fmt.Errorf("stress: BUG: generated program: %w", err)
	}
	pt, err := patch.New(rt, patch.Options{Barrier: cfg.Barrier, Protocol: cfg.Protocol})
	if err != nil {
		return nil, err
	}
	info := rt.Info()
	rep := &Report{Config: cfg, Arch: string(info.Arch), Emulated: jit.Emulated(), HeapMode: info.HeapMode.String(),
		Barrier: pt.Barrier().Name(), BarrierReason: pt.Reason()}

	sites := make([]*patch.Site, cfg.Sites)
	funcs := make([]*jit.Func, cfg.Sites)
	targetIdx := make([]int, targets)
	for j := range targets {
		targetIdx[j], _ = prog.Jasm().Func(fmt.Sprintf("t%d", j))
	}
	for i := range cfg.Sites {
		if sites[i], err = pt.Site(prog, fmt.Sprintf("s%d", i)); err != nil {
			return nil, err
		}
		funcs[i] = prog.Func(fmt.Sprintf("w%d", i))
	}
	rep.Protocol = sites[0].Protocol().String()
	// Where the sites are, for crash reports (stderr survives a crash).
	if os.Getenv(childEnv) != "" {
		for i, s := range sites {
			c := s.Code().Site
			fmt.Fprintf(os.Stderr, "site s%d %s %#x %d\n", i, cfg.Site, prog.Block().Addr(c.Offset), c.Size)
		}
	}

	published := make([]atomic.Uint64, cfg.Sites)
	var stop atomic.Bool
	stopped := make(chan struct{})
	var once sync.Once
	halt := func() { stop.Store(true); once.Do(func() { close(stopped) }) }
	var calls, patches atomic.Uint64
	var viol struct {
		sync.Mutex
		Violations
		examples []string
	}
	violation := func(stale bool, msg string) {
		viol.Lock()
		if stale {
			viol.Stale++
		} else {
			viol.Torn++
		}
		if len(viol.examples) < 8 {
			viol.examples = append(viol.examples, msg)
		}
		viol.Unlock()
		if cfg.StopOnViolation {
			halt()
		}
	}
	hs, _ := pt.Barrier().(*patch.Handshake)
	// One P per worker and per patcher: the Go scheduler must not make a
	// patcher wait for a locked worker to give its P up.
	if procs := runtime.GOMAXPROCS(0); procs < cfg.Threads+cfg.Patchers {
		runtime.GOMAXPROCS(cfg.Threads + cfg.Patchers)
		defer runtime.GOMAXPROCS(procs)
	}

	var wg sync.WaitGroup
	for w := range cfg.Threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var part *patch.Participant
			if hs != nil {
				part = hs.Join()
				defer part.Leave()
			}
			r := rand.New(rand.NewPCG(cfg.Seed, uint64(w)+1))
			callers := make([]*jit.Caller, len(funcs)) // one stack per worker, reused
			for i, f := range funcs {
				c, err := f.NewCaller()
				if err != nil {
					violation(false, fmt.Sprintf("worker %d: %v", w, err))
					return
				}
				defer c.Close()
				callers[i] = c
			}
			n := uint64(0)
			for !stop.Load() {
				for range 64 {
					i := r.IntN(cfg.Sites)
					before := published[i].Load()
					v, err := callers[i].Call()
					after := published[i].Load()
					if err != nil {
						violation(false, fmt.Sprintf("s%d: call failed: %v", i, err))
						continue
					}
					if stale, torn := check(cfg.Site, v, before, after); stale || torn {
						violation(stale, fmt.Sprintf("s%d: result %#x between versions %d and %d (stale=%v torn=%v)", i, v, before, after, stale, torn))
					}
					n++
					if part != nil {
						part.Safepoint()
					}
				}
				calls.Add(n)
				n = 0
			}
		}()
	}

	lat := make([][]time.Duration, cfg.Patchers)
	var pwg sync.WaitGroup
	var patchErr atomic.Pointer[error]
	start := time.Now()
	for pi := range cfg.Patchers {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			r := rand.New(rand.NewPCG(cfg.Seed, 1000+uint64(pi)))
			var mine []int
			for i := pi; i < cfg.Sites; i += cfg.Patchers {
				mine = append(mine, i)
			}
			for !stop.Load() {
				if cfg.Patches > 0 && patches.Add(1) > uint64(cfg.Patches) {
					halt()
					break
				}
				i := mine[r.IntN(len(mine))]
				v := published[i].Load() + 1
				t0 := time.Now()
				var err error
				switch cfg.Site {
				case "const":
					err = sites[i].SetConst(constValue(v))
				case "call":
					err = sites[i].Retarget(targetIdx[v%targets])
				case "guard":
					if v%2 == 1 {
						err = sites[i].Arm()
					} else {
						err = sites[i].Disarm()
					}
				}
				lat[pi] = append(lat[pi], time.Since(t0))
				if err != nil {
					patchErr.Store(&err)
					halt()
					break
				}
				published[i].Store(v)
				if cfg.Patches <= 0 {
					patches.Add(1)
				}
			}
		}()
	}
	var timeout, tick <-chan time.Time
	if cfg.Patches <= 0 {
		timer := time.NewTimer(cfg.Duration)
		defer timer.Stop()
		timeout = timer.C
	}
	if cfg.ProgressEvery > 0 {
		ticker := time.NewTicker(cfg.ProgressEvery)
		defer ticker.Stop()
		tick = ticker.C
	}
wait:
	for {
		select {
		case <-timeout:
			break wait
		case <-ctx.Done():
			break wait
		case <-stopped:
			break wait
		case <-tick:
			viol.Lock()
			pr := Progress{Elapsed: time.Since(start), Calls: calls.Load(), Patches: patches.Load(), Violations: viol.Violations}
			viol.Unlock()
			if os.Getenv(childEnv) != "" {
				if b, err := json.Marshal(pr); err == nil {
					fmt.Fprintf(os.Stderr, "%s%s\n", progressPrefix, b)
				}
			}
		}
	}
	halt()
	pwg.Wait()
	wg.Wait()
	rep.Elapsed = time.Since(start)
	if e := patchErr.Load(); e != nil {
		return nil, fmt.Errorf("stress: patch failed: %w", *e)
	}
	rep.Calls = calls.Load()
	rep.Patches = min(patches.Load(), uint64(max(cfg.Patches, 0)))
	if cfg.Patches <= 0 {
		rep.Patches = patches.Load()
	}
	rep.Violations = viol.Violations
	rep.Examples = viol.examples
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) > 0 {
		slices.Sort(all)
		rep.Latency = Latency{P50: all[len(all)/2], P99: all[len(all)*99/100], Max: all[len(all)-1]}
	}
	return rep, nil
}

// childEnv carries the configuration of a child run (JSON).
const childEnv = "SYNCORE_STRESS_CHILD"

// ErrChild: the child process could not run (not a crash of JIT code).
var ErrChild = errors.New("stress: child process failed")

// ErrConfig: the configuration does not fit (a protocol the site kind does
// not allow, a barrier this machine lacks); the error says which.
var ErrConfig = errors.New("stress: configuration refused")

// ChildMain runs the stress run that the parent (RunChild) asked for and
// exits, when this process is such a child; otherwise it returns at once.
// Call it first thing in main (and in TestMain).
func ChildMain() {
	cfgText := os.Getenv(childEnv)
	if cfgText == "" {
		return
	}
	if os.Getenv(hangEnv) == "1" {
		for { // stop answering (see TestChildThatHangsIsReported); a pending
			time.Sleep(time.Hour) // timer keeps the runtime from calling it a deadlock
		}
	}
	var cfg Config
	if err := json.Unmarshal([]byte(cfgText), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "stress child: bad configuration:", err)
		os.Exit(3)
	}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		if errors.Is(err, patch.ErrProtocol) || errors.Is(err, patch.ErrBarrier) {
			os.Exit(4) // the configuration does not fit this machine or site kind
		}
		os.Exit(3)
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		os.Exit(3)
	}
	os.Exit(0)
}
