// Package stress runs worker threads that call JIT code in a tight loop
// while patcher goroutines change the code's sites as fast as they can, and
// checks every result (V8's JumpTablePatchingStress, with versions):
//
//   - a patcher publishes, per site, the version it starts (before the
//     protocol writes anything) and, once the protocol and its barriers
//     returned, the version it finished;
//   - a worker reads the finished version before a call and the started
//     version after it: the result must come from a version in between. A
//     result from an older version is **stale** (the contract says the next
//     execution sees the patch: after an Arm returned, the disarmed path is
//     stale, and the reverse); a result that no patch ever wrote (mixed
//     bytes, an impossible branch) is **torn**;
//   - the run happens in a child process, so a SIGSEGV/SIGILL/SIGBUS from a
//     torn instruction is a reported **crash** with the signal and the
//     faulting site, not a dead test run.
//
// A run also collects evidence that it tested something: workers count
// their entries into and exits from each site's code, and a patch
// **overlapped** a call when a worker was inside that code as the commit
// began or entered it during the commit (the retire kind's patch is its
// retarget and the old version's Close; compiling the next version comes
// before it and is no part of it). The verdict (Report.Verdict) is
// "fail" with any violation, "pass" only with no violation, some calls and
// at least Config.MinOverlap overlapping patches, and "inconclusive"
// otherwise: a run in which nothing ran while the code changed proves
// nothing.
//
// Values encode versions so that tearing shows: a const site holds the
// version's low byte repeated in all eight bytes; a call site calls target
// (version mod 4), which returns its number + 1; a guard is armed on odd
// versions and its two paths return 1 and 2; a retire site calls into a
// program of its own per version (compiled, retargeted to, and closed when
// the next one replaces it), which returns the version + 1.
//
// The unsafe protocols (patch.Unsafe, patch.Straddle, used with the
// barrier "none") and Config.PublishEarly exist so that the tests can show
// this harness catches them. The barrier "none" alone, with atomic stores,
// is not caught here: on amd64 and under qemu-user, instruction fetch saw
// every store at once (millions of calls, no stale result), so such a run
// passes; it would show only on a machine where fetch lags stores. Nor is
// a writer that leaves out its cache maintenance (arm64 DC CVAU and IC
// IVAU, ppc64le dcbst and icbi): qemu-user keeps instruction caches
// coherent with data writes, so only real hardware could show it; package
// patch's TestCodeStoresSyncTheICache checks instead that the maintenance
// follows every store of instruction bytes.
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
	"github.com/syncore/syncore/patch/internal/spin"
)

// Config describes a stress run. Zero fields take the defaults.
//
// As JSON (a child run receives its Config that way, and Report.Config is
// part of jitdemo stress --json) the protocol is its name ("auto",
// "dataslot", …, see patch.ParseProtocol), the barrier "auto" when empty,
// and durations are integers of nanoseconds (duration_ns, progress_every_ns).
type Config struct {
	Site     string         `json:"site"`        // one of SiteKinds: "const" (default), "call", "guard" or "retire"
	Protocol patch.Protocol `json:"protocol"`    // patch.Auto (default) or a forced protocol; JSON: its name
	Barrier  string         `json:"barrier"`     // "" (auto; JSON: "auto") or a patch.BarrierNames entry
	Threads  int            `json:"threads"`     // workers; default max(2, NumCPU)
	Patchers int            `json:"patchers"`    // default 1
	Sites    int            `json:"sites"`       // default 8
	Duration time.Duration  `json:"duration_ns"` // default 2s (ignored when Patches is set)
	Patches  int            `json:"patches"`     // stop after this many patches (0: run for Duration)
	Seed     uint64         `json:"seed"`
	// MinOverlap is how many patches must overlap a call (Report.Overlap)
	// for a run without violations to pass; with fewer it is inconclusive.
	// Default DefaultMinOverlap.
	MinOverlap int `json:"min_overlap"`
	// StopOnViolation ends the run at the first violation (the tests'
	// negative controls use it to be quick).
	StopOnViolation bool `json:"stop_on_violation"`
	// Reclaim is how the "retire" kind's closed versions are freed: "grace"
	// (the default: jit.ReclaimGrace) or "unsafe" (jit.ReclaimUnsafe, the
	// negative control: freed while calls may run in them).
	Reclaim string `json:"reclaim,omitempty"`
	// PublishEarly is a negative control of the stale check: each patcher
	// publishes a version as finished, waits (earlyWindow), and only then
	// commits it, as a patch that returned before its code took effect
	// would (a missing barrier or cache flush on a machine whose
	// instruction fetch does not see stores at once). Workers that call the
	// site in between get the previous version's result and must report it
	// stale.
	PublishEarly bool `json:"publish_early"`
	// ProgressEvery, when set, makes Run report progress at that interval
	// (to Progress; a child run writes it to its parent).
	ProgressEvery time.Duration `json:"progress_every_ns"`
}

// configJSON is Config with its enums as names. Its own fields shadow
// those of plainConfig with the same JSON names, and come first.
type configJSON struct {
	Site     string `json:"site"`
	Protocol string `json:"protocol"`
	Barrier  string `json:"barrier"`
	plainConfig
}

type plainConfig Config // Config without its JSON methods

// MarshalJSON writes the protocol as its name and an empty barrier as
// "auto".
func (c Config) MarshalJSON() ([]byte, error) {
	b := c.Barrier
	if b == "" {
		b = "auto"
	}
	return json.Marshal(configJSON{Site: c.Site, Protocol: c.Protocol.String(), Barrier: b, plainConfig: plainConfig(c)})
}

// UnmarshalJSON reads what MarshalJSON writes; an absent protocol is
// patch.Auto, an absent barrier or "auto" is "".
func (c *Config) UnmarshalJSON(data []byte) error {
	var j configJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*c = Config(j.plainConfig)
	c.Site = j.Site
	c.Protocol = patch.Auto
	if j.Protocol != "" {
		p, err := patch.ParseProtocol(j.Protocol)
		if err != nil {
			return err
		}
		c.Protocol = p
	}
	c.Barrier = j.Barrier
	if c.Barrier == "auto" {
		c.Barrier = ""
	}
	return nil
}

// DefaultMinOverlap is Config.MinOverlap's default. Overlap is necessary,
// not sufficient: a patch that overlaps a call catches a bad protocol only
// when a worker fetches the site inside the protocol's window, and most
// overlapping patches miss it. The Straddle control, whose window is the
// gap between two stores, needed from 8 to about 1400 overlapping patches
// before its first violation (15 native runs on a 2-core amd64 VM, median
// about 400; 16 to about 2000 in 8 runs emulated under qemu). So a handful
// of overlapping patches proves nothing; 100 is a floor below which a run
// says nothing at all, not a proof: long runs collect millions, and a run
// of a second collects thousands, natively and emulated.
const DefaultMinOverlap = 100

// earlyWindow is how long a Config.PublishEarly patcher waits between
// publishing a version and committing it: many calls long, even emulated.
const earlyWindow = 50 * time.Microsecond

// Progress is a snapshot of a running stress run.
type Progress struct {
	Elapsed    time.Duration `json:"elapsed_ns"`
	Calls      uint64        `json:"calls"`
	Patches    uint64        `json:"patches"`
	Overlap    uint64        `json:"overlap"`
	HeapInUse  int           `json:"heap_bytes_in_use"`
	Violations Violations    `json:"violations"`
}

// progressPrefix starts a progress line on a child's stderr.
const progressPrefix = "stress-progress "

// siteKind is one value of Config.Site: the code that executes a site, how
// a patcher moves a site to a version, and which versions a result may come
// from. A new kind is one more entry in kinds.
type siteKind struct {
	name string
	// worker returns the jasm of function w<i>: it executes site s<i> once
	// and returns a result that encodes the site's version. The program
	// also has functions t0…t3 (target j returns j+1) and main.
	worker func(i int) string
	// patcher returns how the sites of prog move to versions (called once
	// per run, after compiling); retired counts the programs it closed.
	patcher func(prog *jit.Program, retired *atomic.Uint64) (mover, error)
	// period: versions v and v+period give the same result.
	period uint64
	// decode returns the residue (mod period) of the versions that give
	// result r; ok is false when no version gives r (a torn result).
	decode func(r int64) (residue uint64, ok bool)
}

// mover moves the sites of a run to versions, one patcher per site.
type mover struct {
	// prepare, when not nil, does what version v of site s needs before
	// its patch and is not part of it (the retire kind compiles the
	// version). Run calls it before the patch starts (before it reads the
	// counters that tell whether the patch overlapped a call), and does
	// not count it in the patch's latency.
	prepare func(s *patch.Site, v uint64) error
	// patch moves site s to version v (after prepare, when there is one).
	patch func(s *patch.Site, v uint64) error
}

// kinds are the site kinds, in the order SiteKinds lists them.
var kinds = []*siteKind{
	{
		name:   "const",
		worker: func(i int) string { return fmt.Sprintf("func w%d 0\n    pconst s%d 0\n    ret\nend\n", i, i) },
		patcher: func(*jit.Program, *atomic.Uint64) (mover, error) {
			return mover{patch: func(s *patch.Site, v uint64) error { return s.SetConst(constValue(v)) }}, nil
		},
		period: 256,
		decode: func(r int64) (uint64, bool) { b := uint64(byte(r)); return b, r == constValue(b) },
	},
	{
		name:   "call",
		worker: func(i int) string { return fmt.Sprintf("func w%d 0\n    pcall s%d t0\n    ret\nend\n", i, i) },
		patcher: func(prog *jit.Program, _ *atomic.Uint64) (mover, error) {
			var idx [targets]int
			for j := range targets {
				var ok bool
				if idx[j], ok = prog.Jasm().Func(fmt.Sprintf("t%d", j)); !ok {
					return mover{}, fmt.Errorf("no function t%d", j)
				}
			}
			return mover{patch: func(s *patch.Site, v uint64) error { return s.Retarget(idx[v%targets]) }}, nil
		},
		period: targets,
		decode: func(r int64) (uint64, bool) { return uint64(r - 1), r >= 1 && r <= targets },
	},
	{
		name: "guard",
		worker: func(i int) string {
			return fmt.Sprintf("func w%d 0\n    guard s%d armed\n    push 1\n    ret\narmed:\n    push 2\n    ret\nend\n", i, i)
		},
		patcher: func(*jit.Program, *atomic.Uint64) (mover, error) {
			return mover{patch: func(s *patch.Site, v uint64) error {
				if v%2 == 1 {
					return s.Arm()
				}
				return s.Disarm()
			}}, nil
		},
		period: 2,
		decode: func(r int64) (uint64, bool) { return uint64(r - 1), r == 1 || r == 2 },
	},
	{
		// retire: the call site's target is a program of its own, replaced
		// for every version: compile version v (prepare), retarget the site
		// to it and close the version it replaces while workers keep
		// calling (the patch: the tiering pattern). A result from a version
		// older than the one published before the call ran retired code.
		name:    "retire",
		worker:  func(i int) string { return fmt.Sprintf("func w%d 0\n    pcall s%d t0\n    ret\nend\n", i, i) },
		patcher: retirePatcher,
		period:  1 << 62, // results are versions + 1 (t0, version 0, returns 1)
		decode:  func(r int64) (uint64, bool) { return uint64(r - 1), r >= 1 && r < 1<<62 },
	},
}

// retireSource is version v of a retire site's callee: a short loop (so
// calls are in flight while versions are closed), then v+1.
func retireSource(v uint64) string {
	return fmt.Sprintf("func main 0\n    locals 1\n    push 32\n    store 0\nloop:\n    load 0\n    push 1\n    sub\n    store 0\n    load 0\n    jnz loop\n    push %d\n    ret\nend\n", v+1)
}

// retirePatcher moves a retire site to version v: prepare compiles it;
// patch retargets the site to it (its barrier returns before Close begins)
// and closes the version it replaces.
func retirePatcher(prog *jit.Program, retired *atomic.Uint64) (mover, error) {
	var mu sync.Mutex
	live := map[*patch.Site]*jit.Program{}    // the version each site calls now
	pending := map[*patch.Site]*jit.Program{} // the version prepared for it
	prepare := func(s *patch.Site, v uint64) error {
		next, err := prog.Runtime().Compile(fmt.Sprintf("v%d.jasm", v), []byte(retireSource(v)))
		if err != nil {
			return err
		}
		mu.Lock()
		pending[s] = next
		mu.Unlock()
		return nil
	}
	move := func(s *patch.Site, v uint64) error {
		mu.Lock()
		next := pending[s]
		delete(pending, s)
		mu.Unlock()
		if next == nil {
			return fmt.Errorf("stress: BUG: version %d of site %s was not prepared", v, s.Name())
		}
		if err := s.RetargetFunc(next.Func("main")); err != nil {
			if cerr := next.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("closing the version it was to call: %w", cerr))
			}
			return err
		}
		mu.Lock()
		old := live[s]
		live[s] = next
		mu.Unlock()
		if old == nil {
			return nil // version 0 is t0, in the program itself
		}
		if err := old.Close(); err != nil {
			return err
		}
		retired.Add(1)
		return nil
	}
	return mover{prepare: prepare, patch: move}, nil
}

// SiteKinds are the values of Config.Site.
var SiteKinds = func() []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.name
	}
	return names
}()

// kindOf returns the site kind called name, or nil.
func kindOf(name string) *siteKind {
	for _, k := range kinds {
		if k.name == name {
			return k
		}
	}
	return nil
}

func (c *Config) defaults() error {
	if c.Site == "" {
		c.Site = "const"
	}
	if kindOf(c.Site) == nil {
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
	if c.MinOverlap < 0 {
		return fmt.Errorf("%w: a negative MinOverlap (%d)", ErrConfig, c.MinOverlap)
	}
	if c.MinOverlap == 0 {
		c.MinOverlap = DefaultMinOverlap
	}
	if c.Reclaim == "" {
		c.Reclaim = "grace"
	}
	if _, err := jit.ParseReclaimMode(c.Reclaim); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.Reclaim != "grace" && c.Site != "retire" {
		return fmt.Errorf("%w: reclaim %q applies to the retire site kind only", ErrConfig, c.Reclaim)
	}
	return nil
}

// Latency summarises patch latencies: write and barriers (the retire kind:
// the retarget and the old version's Close with its grace period, not the
// compile of the new version).
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

// Verdict is the outcome of a run in one word.
type Verdict string

const (
	// VerdictPass: no violation, some calls, and at least
	// Config.MinOverlap patches overlapped a call.
	VerdictPass Verdict = "pass"
	// VerdictFail: at least one violation.
	VerdictFail Verdict = "fail"
	// VerdictInconclusive: no violation, but no evidence either (no calls,
	// no patches, or too few patches overlapped a call).
	VerdictInconclusive Verdict = "inconclusive"
)

// Report is the outcome of a run.
type Report struct {
	Config        Config        `json:"config"`
	Arch          string        `json:"arch"`
	Emulated      bool          `json:"emulated"`
	HeapMode      string        `json:"heap_mode,omitempty"`   // "dual" or "rwx" (absent when the child was lost)
	HeapReason    string        `json:"heap_reason,omitempty"` // why (jit.Info.HeapReason)
	Protocol      string        `json:"protocol"`              // the protocol the sites used
	Barrier       string        `json:"barrier"`
	BarrierReason string        `json:"barrier_reason"`
	Elapsed       time.Duration `json:"elapsed_ns"`
	Calls         uint64        `json:"calls"`
	Patches       uint64        `json:"patches"`
	// Overlap counts the patches committed while at least one worker was
	// inside a call of the patched site's function: one had entered it and
	// not returned when the commit began, or one entered it during the
	// commit (for the retire kind: during the retarget or the old
	// version's Close). Only these patches can catch a protocol out.
	Overlap uint64 `json:"overlap"`
	// Retired counts the programs closed (the retire kind); HeapInUse is
	// the code heap's bytes in use at the end, which stays flat when
	// closed programs are reclaimed.
	Retired    uint64     `json:"programs_retired"`
	HeapInUse  int        `json:"heap_bytes_in_use"`
	HeapPeak   int        `json:"heap_bytes_peak"`          // the most in use at any sample (every 100 ms)
	Reclaim    string     `json:"reclaim_reason,omitempty"` // how the runtime orders entry marks (jit.Info.Reclaim)
	Latency    Latency    `json:"latency"`
	Violations Violations `json:"violations"`
	// Verdict is "fail" with any violation, "pass" with none and enough
	// evidence (calls, Config.MinOverlap overlapping patches), and
	// "inconclusive" otherwise; VerdictReason says why in one sentence.
	Verdict       Verdict `json:"verdict"`
	VerdictReason string  `json:"verdict_reason"`
	// Examples holds the first few violations in words.
	Examples []string `json:"examples,omitempty"`
	// Crash describes a crash of the child: the signal, the PC and the
	// site it falls in, when known.
	Crash string `json:"crash,omitempty"`
}

// judge sets the verdict and its reason from the report's counts and
// Config.MinOverlap (already defaulted).
func (r *Report) judge() {
	v, need := r.Violations, uint64(r.Config.MinOverlap)
	switch {
	case v.Total() > 0:
		r.Verdict = VerdictFail
		r.VerdictReason = fmt.Sprintf("%d violation(s): stale %d, torn %d, crash %d, hang %d",
			v.Total(), v.Stale, v.Torn, v.Crash, v.Hang)
	case r.Calls == 0:
		r.Verdict = VerdictInconclusive
		r.VerdictReason = "0 calls: no result was checked"
	case r.Patches == 0:
		r.Verdict = VerdictInconclusive
		r.VerdictReason = fmt.Sprintf("0 patches: the code never changed under the %d calls", r.Calls)
	case r.Overlap < need:
		r.Verdict = VerdictInconclusive
		r.VerdictReason = fmt.Sprintf("only %d of %d patches overlapped a call (need %d)", r.Overlap, r.Patches, need)
	default:
		r.Verdict = VerdictPass
		r.VerdictReason = fmt.Sprintf("no violation in %d calls; %d of %d patches overlapped a call (need %d)",
			r.Calls, r.Overlap, r.Patches, need)
	}
}

// heapModeName is a heap mode as Report.HeapMode names it: "dual" or "rwx".
func heapModeName(m jit.HeapMode) string {
	switch m {
	case jit.HeapDual:
		return "dual"
	case jit.HeapRWX:
		return "rwx"
	}
	return m.String()
}

// encoding of versions in results
const targets = 4 // call sites rotate among this many functions

func constValue(v uint64) int64 { return int64(uint64(byte(v)) * 0x0101010101010101) }

// program returns the jasm text: per site i a function w<i> that executes
// site s<i>, plus the call targets (with padding between them) and main.
func program(k *siteKind, n int) string {
	var b strings.Builder
	for j := range targets {
		fmt.Fprintf(&b, "func t%d 0\n    push %d\n    ret\nend\n", j, j+1)
		if j < targets-1 {
			padding(&b, j)
		}
	}
	for i := range n {
		b.WriteString(k.worker(i))
	}
	b.WriteString("func main 0\n    push 0\n    ret\nend\n")
	return b.String()
}

// padWords is how many push/xor pairs the padding function between two
// call targets has: the targets then lie about 1.2 KiB apart on arm64 (316
// words: BL's imm26 changes in two bytes), 1.5 KiB on ppc64le and 0.8 KiB
// on amd64.
const padWords = 60

// padding appends function pad<j>, which no code calls: it lies between
// targets t<j> and t<j+1> so that the branches to two targets differ in
// more than one byte on every ISA. Without it, the four tiny targets lie
// within 256 words of one another, and an arm64 BL, whose imm26 counts
// words, changed in its low byte only when a call site was retargeted: the
// Unsafe control's byte-by-byte write was then one store in effect, and
// the harness could not catch it. With it, a thread that runs a half
// written BL or call lands inside the padding (straight-line code that
// returns a value far from every version's: torn) or elsewhere (a crash).
func padding(b *strings.Builder, j int) {
	fmt.Fprintf(b, "func pad%d 1\n    arg 0\n", j)
	for i := range padWords {
		// Large constants: each needs several instructions to build.
		fmt.Fprintf(b, "    push %d\n    xor\n", int64((uint64(j*padWords+i+1)*0x9e3779b97f4a7c15)>>1))
	}
	b.WriteString("    ret\nend\n")
}

// check classifies result r of a call made while the site's version was
// between before (published before the call: that patch and its barriers
// had returned) and hi (started by the time the call returned: no later
// patch had begun). A result that no version gives is torn; one that no
// version in [before, hi] gives is stale. (Results encode versions modulo
// the kind's period, so a version older than before and one newer than hi
// may give the same result; a newer one has not begun to be written, so
// the result is old code's.)
func (k *siteKind) check(r int64, before, hi uint64) (stale, torn bool) {
	res, ok := k.decode(r)
	if !ok {
		return false, true
	}
	if hi < before {
		hi = before // not seen: a site's started version never trails its published one
	}
	// The first version ≥ before with residue res is before+d.
	d := (res%k.period + k.period - before%k.period) % k.period
	return d > hi-before, false
}

// siteState is what workers and patchers share about one site, on a cache
// line of its own (128 bytes: POWER's line, two of amd64's).
type siteState struct {
	started   atomic.Uint64 // the version a patcher began to write
	published atomic.Uint64 // the newest version whose patch (and barriers) returned
	entries   atomic.Uint64 // calls of the site's function begun
	exits     atomic.Uint64 // and returned
	_         [128 - 4*8]byte
}

// Run performs the stress run in this process. A torn instruction may crash
// the process: use RunChild for anything but safe protocols.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	kind := kindOf(cfg.Site)
	pconst := jit.PConstData
	host, _ := jit.HostArch()
	if cfg.Site == "const" && host == jit.ArchAMD64 && (cfg.Protocol == patch.SelfLoop || cfg.Protocol == patch.Straddle) {
		pconst = jit.PConstCode // the multi-word movabs site
	}
	reclaim, _ := jit.ParseReclaimMode(cfg.Reclaim) // checked in defaults
	rt, err := jit.New(jit.Options{PConst: pconst, Reclaim: reclaim})
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	src := program(kind, cfg.Sites)
	prog, err := rt.Compile("stress.jasm", []byte(src))
	if err != nil {
		return nil, fmt.Errorf("stress: BUG: generated program: %w", err)
	}
	var retired atomic.Uint64
	move, err := kind.patcher(prog, &retired)
	if err != nil {
		return nil, fmt.Errorf("stress: BUG: generated program: %w", err)
	}
	pt, err := patch.New(rt, patch.Options{Barrier: cfg.Barrier, Protocol: cfg.Protocol})
	if err != nil {
		return nil, err
	}
	info := rt.Info()
	rep := &Report{Config: cfg, Arch: string(info.Arch), Emulated: jit.Emulated(), HeapMode: heapModeName(info.HeapMode),
		HeapReason: info.HeapReason, Barrier: pt.Barrier().Name(), BarrierReason: pt.Reason(), Reclaim: info.Reclaim}

	sites := make([]*patch.Site, cfg.Sites)
	funcs := make([]*jit.Func, cfg.Sites)
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

	state := make([]siteState, cfg.Sites)
	var stop atomic.Bool
	stopped := make(chan struct{})
	var once sync.Once
	halt := func() { stop.Store(true); once.Do(func() { close(stopped) }) }
	var calls, patches, overlap atomic.Uint64
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
	hs := pt.Handshake()
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
					st := &state[i]
					before := st.published.Load()
					st.entries.Add(1)
					v, err := callers[i].Call()
					st.exits.Add(1)
					hi := st.started.Load()
					if err != nil {
						violation(false, fmt.Sprintf("s%d: call failed: %v", i, err))
						continue
					}
					if stale, torn := kind.check(v, before, hi); stale || torn {
						violation(stale, fmt.Sprintf("s%d: result %#x, possible versions %d to %d (stale=%v torn=%v)", i, v, before, hi, stale, torn))
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
				st := &state[i]
				v := st.published.Load() + 1 // this patcher alone writes site i
				if move.prepare != nil {
					if err := move.prepare(sites[i], v); err != nil {
						patchErr.Store(&err)
						halt()
						break
					}
				}
				st.started.Store(v)
				if cfg.PublishEarly {
					st.published.Store(v) // the lie the workers must catch
					spin.For(earlyWindow)
				}
				// Entries are read before exits (see overlapped).
				e0 := st.entries.Load()
				x0 := st.exits.Load()
				t0 := time.Now()
				err := move.patch(sites[i], v)
				lat[pi] = append(lat[pi], time.Since(t0))
				e1 := st.entries.Load()
				if err != nil {
					patchErr.Store(&err)
					halt()
					break
				}
				if overlapped(e0, x0, e1) {
					overlap.Add(1)
				}
				st.published.Store(v)
				if cfg.Patches <= 0 {
					patches.Add(1)
				}
			}
		}()
	}
	heapPeak := rt.Heap().Stats().InUse
	heapT := time.NewTicker(100 * time.Millisecond)
	defer heapT.Stop()
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
		case <-heapT.C:
			heapPeak = max(heapPeak, rt.Heap().Stats().InUse)
		case <-tick:
			viol.Lock()
			pr := Progress{Elapsed: time.Since(start), Calls: calls.Load(), Patches: patches.Load(),
				Overlap: overlap.Load(), HeapInUse: rt.Heap().Stats().InUse, Violations: viol.Violations}
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
	rep.Patches = patches.Load()
	if cfg.Patches > 0 {
		rep.Patches = min(rep.Patches, uint64(cfg.Patches)) // the count that stopped the run overshoots
	}
	rep.Overlap = overlap.Load()
	rep.Retired = retired.Load()
	rep.HeapInUse = rt.Heap().Stats().InUse
	rep.HeapPeak = max(heapPeak, rep.HeapInUse)
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
	rep.judge()
	return rep, nil
}

// overlapped reports whether a patch overlapped a call of its site's
// function, from the site's entry count e0 and then its exit count x0, read
// just before the patch began, and its entry count e1, read when the patch
// returned: a call was inside the function as the patch began (e0 > x0: a
// call that entered before e0 was read had not returned when x0 was), or
// one entered it meanwhile (e1 != e0).
func overlapped(e0, x0, e1 uint64) bool {
	return int64(e0-x0) > 0 || e1 != e0
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
