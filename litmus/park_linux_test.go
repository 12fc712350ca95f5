//go:build linux && (amd64 || arm64 || ppc64le)

package litmus

import (
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncore/syncore/membarrier"
)

// parkTest parks a movabs (amd64) or two-word (ppc64le, arm64) site, writes
// its tail and then its head, with a membarrier SYNC_CORE after the park and
// after the tail as syncore's SelfLoop does: the barriers (microseconds
// each) hold the park open long enough for the executing thread to reach it
// in many iterations.
const parkTest = `litmus park
site w wide a b at 0
thread 0
    write w b park
    membarrier
    write w b tail
    membarrier
    write w b head
thread 1
    ran = exec w
exists (1:ran=torn)
`

// parkSrc is parkTest, without its barriers where SYNC_CORE is unavailable
// (where a test that issues membarrier is not applicable).
func parkSrc(t *testing.T) string {
	if na := syncCoreNA(parse(t, parkTest), membarrier.Query); na != "" {
		t.Logf("%s: parkTest without its barriers", na)
		return strings.ReplaceAll(parkTest, "    membarrier\n", "")
	}
	return parkTest
}

// writeOp returns the index of th's write of mode.
func writeOp(t *testing.T, th *Thread, mode WriteMode) int {
	t.Helper()
	i := slices.IndexFunc(th.Ops, func(op *Op) bool { return op.Kind == OpWrite && op.Mode == mode })
	if i < 0 {
		t.Fatalf("thread %d has no %s write", th.ID, mode)
	}
	return i
}

// TestParkHoldsThreads runs the self-loop protocol one step at a time: an
// exec that arrives at the parked site spins in the park stub (which sets
// the site's park word) while the tail is written, and returns the new
// version only once the head is; the iteration counts as parked.
func TestParkHoldsThreads(t *testing.T) {
	tt := parse(t, parkSrc(t))
	park, tail, head := writeOp(t, tt.Threads[0], Park), writeOp(t, tt.Threads[0], Tail), writeOp(t, tt.Threads[0], Head)
	sp, err := newSpace(tt)
	if err != nil {
		t.Fatal(err)
	}
	e, err := newEngine(tt, sp, 0, 0, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	// A spinning exec cannot be preempted: no collection may start now.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	w, th0, th1 := e.sites[0], e.threads[0], e.threads[1]
	if w.parked == nil {
		t.Fatal("the parked site has no park word")
	}
	e.runOp(th0, &th0.ops[park])
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		e.runOp(th1, &th1.ops[0])
		close(done)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for atomic.LoadUint64(w.parked) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the exec never reached the park stub")
		}
		time.Sleep(time.Millisecond)
	}
	e.runOp(th0, &th0.ops[tail])
	time.Sleep(20 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("the exec left the park before the head was written")
	default:
	}
	e.runOp(th0, &th0.ops[head])
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the exec did not leave the park after the head was written")
	}
	if got := th1.raw[0]; got != 1 {
		t.Errorf("the parked exec ran version %d, want 1 (b)", got)
	}
	var outcomes [8]uint64
	var finished, parked uint64
	e.record(counters{outcomes[:sp.size], &finished, &parked})
	if parked != 1 || atomic.LoadUint64(w.parked) != 0 {
		t.Errorf("parked iterations %d (want 1), park word %d after the record (want 0)", parked, *w.parked)
	}
	e.record(counters{outcomes[:sp.size], &finished, &parked})
	if parked != 1 {
		t.Errorf("an iteration without a park counted as parked (%d)", parked)
	}
}

// TestParkedRuns: Run reports how often a park was reached, in a child and
// in this process, and says so for a test that parks nothing; the broken
// self-loop of testdata (the head of the old version over the tail of the
// new: two patchers' writes mixed) is reported as a forbidden outcome.
func TestParkedRuns(t *testing.T) {
	for _, inProcess := range []bool{false, true} {
		r := run(t, parse(t, parkSrc(t)), Options{Iterations: 300, InProcess: inProcess})
		if r.Parked == nil || r.Ran != 300 || r.Matches != 0 {
			t.Fatalf("in process %v: parked %v, ran %d, matches %d", inProcess, r.Parked, r.Ran, r.Matches)
		}
		t.Logf("in process %v: parked in %d of %d iterations", inProcess, *r.Parked, r.Ran)
		if mustPark(r) && *r.Parked == 0 {
			t.Errorf("in process %v: no exec reached the parked site in %d iterations", inProcess, r.Ran)
		}
	}
	if r := run(t, parse(t, mpTest), Options{Iterations: 10}); r.Parked != nil {
		t.Errorf("a test without a park reports parked %d", *r.Parked)
	}
	src, err := os.ReadFile("testdata/selfloop-mixed.litmus")
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, parse(t, string(src)), Options{Iterations: 300})
	var b strings.Builder
	r.WriteText(&b)
	if !r.Forbidden() || r.Parked == nil || !strings.Contains(b.String(), "FORBIDDEN OUTCOME OBSERVED") || !strings.Contains(b.String(), "parked") {
		t.Errorf("the mixed self-loop was not reported:\n%s", b.String())
	}
}

// mustPark reports whether a run of a test that parks must show a parked
// iteration: natively, with the threads on CPUs of their own (threads that
// share a CPU may never overlap: TestFewCPUsIsNoted). Under qemu-user a park
// is not required.
func mustPark(r *Result) bool {
	return !r.Emulated && len(r.CPUs) > 0
}

// TestIterationsDoNotAllocate: an iteration (reset, every thread's
// operations, record) allocates nothing, which is what lets the runner run
// with the garbage collector off (engine.run) without growing; run here on
// every catalogue test, the threads one after the other.
func TestIterationsDoNotAllocate(t *testing.T) {
	for _, tt := range All() {
		sp, err := newSpace(tt)
		if err != nil {
			t.Fatal(err)
		}
		mode, na := heapFor(tt, 0)
		if na != "" {
			continue
		}
		e, err := newEngine(tt, sp, mode, 0, 1, false)
		if err != nil {
			t.Fatalf("%s: %v", tt.Name, err)
		}
		outcomes := make([]uint64, sp.size)
		var done, parked uint64
		c := counters{outcomes, &done, &parked}
		allocs := testing.AllocsPerRun(20, func() {
			e.reset()
			for _, th := range e.threads {
				e.runOps(th)
			}
			e.record(c)
		})
		e.close()
		if allocs != 0 {
			t.Errorf("%s: %v allocations per iteration", tt.Name, allocs)
		}
	}
}
