package litmus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/membarrier"
)

// Options configures Run. The zero value gives the defaults.
type Options struct {
	// Iterations to run (default 10000).
	Iterations int
	// MaxDelay bounds the random delay each thread waits after the start
	// barrier, in iterations of a register count-down loop (default 65536;
	// negative: no delay). Delays are log-uniform: each power of two up to
	// MaxDelay is as likely, so short and long windows are both hit.
	MaxDelay int
	// Seed of the random delays; 0 picks one from the clock
	// (Result.Seed says which).
	Seed uint64
	// Heap is the code heap's mode. jit.HeapAuto (the default) asks for an
	// RWX mapping when the test writes through the executable mapping
	// ("same") and for the runtime's default otherwise (the W^X dual
	// mapping, or RWX where the coherence probe needs it, as under
	// qemu-user). A test that writes through "same" on a heap forced to
	// jit.HeapDual is not applicable: Result.NotApplicable says so and
	// nothing runs.
	Heap jit.HeapMode
	// NoPin leaves the threads unpinned (by default each is pinned to a
	// CPU of its own when there are enough).
	NoPin bool
	// InProcess runs the iterations in this process: no child process, so
	// a crash of the code under test kills the caller. For debugging.
	InProcess bool
	// MaxCrashes ends the run after that many crashed iterations (each
	// costs a new child process; default 20).
	MaxCrashes int
	// HangTimeout is how long a child may go without finishing an
	// iteration before it is killed and the iteration counted as a crash
	// (default 20 s, 90 s under emulation).
	HangTimeout time.Duration
}

func (o *Options) defaults(emulated bool) {
	if o.Iterations <= 0 {
		o.Iterations = 10000
	}
	switch {
	case o.MaxDelay == 0:
		o.MaxDelay = 1 << 16
	case o.MaxDelay < 0:
		o.MaxDelay = 0
	}
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	if o.MaxCrashes <= 0 {
		o.MaxCrashes = 20
	}
	if o.HangTimeout <= 0 {
		o.HangTimeout = 20 * time.Second
		if emulated {
			o.HangTimeout = 90 * time.Second
		}
	}
}

// heapFor is the heap mode to ask the child's runtime for, or the reason
// the test is not applicable on the heap the options force.
func heapFor(t *Test, mode jit.HeapMode) (jit.HeapMode, string) {
	same := t.Uses(OpWrite, Same)
	switch {
	case same && mode == jit.HeapDual:
		return mode, "not applicable on this heap: a write through the executable mapping (same) needs a single RWX mapping; " +
			"the heap is dual (W^X: memfd mapped RW + RX), whose executable view is not writable"
	case same && mode == jit.HeapAuto:
		return jit.HeapRWX, ""
	}
	return mode, ""
}

// membarrierQuery is membarrier.Query; tests replace it.
var membarrierQuery = membarrier.Query

// syncCoreNA is the reason t is not applicable here when it issues
// membarrier and query (membarrier.Query) says SYNC_CORE is unavailable, or
// "". The child would refuse such a test after setting up; deciding here
// makes it a result instead of a failed run.
func syncCoreNA(t *Test, query func() (membarrier.CmdSet, error)) string {
	if !t.Uses(OpMembarrier, 0) {
		return ""
	}
	set, err := query()
	switch {
	case err != nil:
		return "not applicable: membarrier SYNC_CORE is unavailable here: " + err.Error()
	case !set.Has(membarrier.CmdPrivateExpeditedSyncCore):
		return fmt.Sprintf("not applicable: membarrier SYNC_CORE is unavailable here: the kernel does not offer %s (QUERY: %v)",
			membarrier.CmdPrivateExpeditedSyncCore.Name(), set)
	}
	return ""
}

// Run runs t's iterations and returns what they showed. The threads run in a
// child process (this executable again, which must call ChildMain first
// thing; through the emulator that membarrier/selfexec's wrapper variable
// names), so that an iteration whose code crashes counts as the outcome
// "crash" and the run goes on in a new child. The error is for a run that
// could not be made: a test that cannot be assembled for this ISA
// (ErrLayout), a platform that runs no JIT code (ErrUnsupported), a child
// that failed for another reason (ErrChild). A test that cannot run here as
// it is (a write through "same" on a heap forced to dual; membarrier where
// SYNC_CORE is unavailable) gives a Result whose NotApplicable says why, and
// nothing runs. When ctx ends first, Run returns what ran so far with ctx's
// error. A child does not outlive its parent: the kernel kills it (SIGKILL)
// when the parent dies.
func Run(ctx context.Context, t *Test, opts Options) (*Result, error) {
	if err := jit.Supported(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	host, _ := jit.HostArch()
	arch := string(host)
	emulated := jit.Emulated()
	opts.defaults(emulated)
	if _, _, err := assembleTest(t, arch); err != nil {
		return nil, err
	}
	sp, err := newSpace(t)
	if err != nil {
		return nil, err
	}
	r := newResult(t, arch, emulated)
	r.Iterations, r.Seed = opts.Iterations, opts.Seed
	mode, na := heapFor(t, opts.Heap)
	r.Heap = mode.String()
	if na == "" {
		na = syncCoreNA(t, membarrierQuery)
	}
	if na != "" {
		r.NotApplicable = na
		return r, nil
	}
	start := time.Now()
	if opts.InProcess {
		err = runInProcess(ctx, t, sp, r, mode, opts)
	} else {
		err = runChildren(ctx, t, sp, r, mode, opts)
	}
	r.Elapsed = time.Since(start)
	if err != nil && !errors.Is(err, ctx.Err()) {
		return nil, err
	}
	return r, err
}

// childConfig is what a child needs to run its share of the iterations.
type childConfig struct {
	File       string       `json:"file"`
	Src        string       `json:"src"` // the test's canonical text
	Iterations int          `json:"iterations"`
	Seed       uint64       `json:"seed"`
	MaxDelay   int          `json:"max_delay"`
	Heap       jit.HeapMode `json:"heap"`
	Pin        bool         `json:"pin"`
}

// childInfo is what a child reports on its first line of output, once set
// up: the heap it got and where its threads run.
type childInfo struct {
	Heap  string   `json:"heap"`
	CPUs  []int    `json:"cpus,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// addInfo copies a child's (or the in-process engine's) set-up into r.
func (r *Result) addInfo(info childInfo) {
	if info.Heap != "" {
		r.Heap = info.Heap
	}
	r.CPUs = info.CPUs
	for _, n := range info.Notes {
		if !slices.Contains(r.Notes, n) {
			r.Notes = append(r.Notes, n)
		}
	}
}
