package jit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/examples"
	"github.com/syncore/syncore/jit/jasm"
	"github.com/syncore/syncore/membarrier"
)

// longSum is examples/sum.jasm: a loop that polls at its back-edge; at
// 3·10⁸ iterations it runs for a good fraction of a second natively.
var longSum = func() string {
	src, err := examples.Source("sum.jasm")
	if err != nil {
		panic(err)
	}
	return string(src)
}()

// endless is an argument of longSum that makes a call that only ends when
// it is interrupted (2⁶² iterations). Tests that close a program while
// calls run in it use it: a call that could finish on its own (3·10⁸
// iterations did) may do so while the test goroutine waits for a P on a
// two-CPU machine where a GC loop keeps the other one busy, and the test
// then never sees it inside, or sees it end without ErrClosed.
const endless = 1 << 62

// inside counts the call contexts of rt marked as running JIT code.
func inside(rt *Runtime) int {
	rt.readers.mu.Lock()
	defer rt.readers.mu.Unlock()
	n := 0
	for _, m := range rt.readers.all {
		if atomic.LoadUint64(m) != 0 {
			n++
		}
	}
	return n
}

// waitInside waits until n contexts of rt are inside JIT code.
func waitInside(t *testing.T, rt *Runtime, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for inside(rt) < n {
		require.True(t, time.Now().Before(deadline), "the calls never started")
		time.Sleep(100 * time.Microsecond)
	}
}

// TestCloseWhileCallsRun closes a program while a long loop runs in it,
// through each way of calling. Before reclamation existed, Close filled the
// block with traps at once and the process died with SIGTRAP (or the call
// finished in the next program's code with a wrong value).
func TestCloseWhileCallsRun(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	p := mustParse(t, longSum)
	ways := []struct {
		name string
		call func(f *Func) (int64, error)
	}{
		{"Call", func(f *Func) (int64, error) { return f.Call(endless) }},
		{"CallContext", func(f *Func) (int64, error) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			return f.CallContext(ctx, endless)
		}},
		{"Caller", func(f *Func) (int64, error) {
			c, err := f.NewCaller()
			if err != nil {
				return 0, err
			}
			defer c.Close()
			return c.Call(endless)
		}},
	}
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			prog, err := rt.Load(p)
			require.NoError(t, err)
			addr := prog.Block().RX
			done := make(chan error, 2)
			for range 2 {
				go func() { _, err := w.call(prog.Func("main")); done <- err }()
			}
			waitInside(t, rt, 2)
			graces := rt.GracePeriods()
			require.NoError(t, prog.Close())
			assert.True(t, prog.Reclaimed())
			assert.Equal(t, graces+1, rt.GracePeriods(), "Close waited for a grace period")
			for range 2 {
				err := <-done
				assert.ErrorIs(t, err, ErrClosed)
				assert.ErrorIs(t, err, jasm.ErrInterrupted)
			}
			assert.Zero(t, inside(rt), "no call is inside once Close returned")
			// The next program takes the block; the old calls are gone.
			next, err := rt.Load(mustParse(t, "func main 1\n    arg 0\n    ret\nend\n"))
			require.NoError(t, err)
			assert.Equal(t, addr, next.Block().RX, "the closed program's block is reused")
			v, err := next.Func("main").Call(7)
			require.NoError(t, err)
			assert.EqualValues(t, 7, v)
			require.NoError(t, next.Close())
		})
	}
}

// TestCloseWaitsForCallsInside: a context marked inside before Close began
// (a call that does not poll this program's interrupt word, such as one that
// entered through another program's call site) keeps the block alive until
// it leaves; a bounded Close gives up and leaves the code in place. The
// negative control, ReclaimUnsafe, frees the block under the running call.
func TestCloseWaitsForCallsInside(t *testing.T) {
	for _, mode := range []ReclaimMode{ReclaimGrace, ReclaimUnsafe} {
		t.Run(mode.String(), func(t *testing.T) {
			rt := newTestRuntime(t, Options{Reclaim: mode})
			prog, err := rt.Load(mustParse(t, spin))
			require.NoError(t, err)
			code := append([]byte(nil), prog.Block().RW...)
			st, err := rt.stacks.get()
			require.NoError(t, err)
			rt.readers.enter(st.mark, prog.id) // a call is inside

			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			err = prog.CloseContext(ctx)
			if mode == ReclaimUnsafe {
				require.NoError(t, err)
				assert.True(t, prog.Reclaimed(), "the negative control frees at once")
				assert.NotEqual(t, code, prog.Block().RW[:len(code)], "and traps the running code")
				leave(st.mark)
				return
			}
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.True(t, prog.Closed(), "no new call enters")
			assert.False(t, prog.Reclaimed())
			assert.Equal(t, code, prog.Block().RW, "the code stays while a call may run it")
			_, err = prog.Func("main").Call()
			assert.ErrorIs(t, err, ErrClosed)

			leave(st.mark)
			require.NoError(t, prog.Close())
			assert.True(t, prog.Reclaimed())
			rt.stacks.put(st)
		})
	}
}

// TestGracePeriodSkipsLaterEntries: a context that entered in the new phase
// (after Close set closed) is not waited for; one from an older phase is.
func TestGracePeriodSkipsLaterEntries(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	st, err := rt.stacks.get()
	require.NoError(t, err)
	defer rt.stacks.put(st)
	*st.mark = (rt.readers.phase.Load()+1)<<idBits | 7 // the phase synchronize is about to start
	require.NoError(t, rt.readers.synchronize(context.Background(), nil))
	*st.mark = (rt.readers.phase.Load()-1)<<idBits | 7 // an older phase: may be inside
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, rt.readers.synchronize(ctx, nil), context.DeadlineExceeded)
	require.ErrorIs(t, rt.readers.synchronize(ctx, []uint64{7}), context.DeadlineExceeded)
	require.NoError(t, rt.readers.synchronize(context.Background(), []uint64{8}), "entered through another program")
	leave(st.mark)
}

// TestCloseWaitsOnlyForCallsThatCanReachIt: a call inside an unrelated
// program does not hold up a Close; one that entered through a program
// whose call site ever called into the closed program does, even after the
// site moved on (that call may still be inside).
func TestCloseWaitsOnlyForCallsThatCanReachIt(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	load := func() *Program {
		prog, err := rt.Load(mustParse(t, spin))
		require.NoError(t, err)
		return prog
	}
	unrelated, caller, callee := load(), load(), load()
	st, err := rt.stacks.get()
	require.NoError(t, err)
	defer rt.stacks.put(st)

	rt.readers.enter(st.mark, unrelated.id)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	require.NoError(t, callee.CloseContext(ctx), "a call in an unrelated program is not waited for")
	leave(st.mark)

	callee = load()
	require.NoError(t, caller.AddRef(callee))
	caller.DropRef(callee) // the site moved on; calls that entered before may still be inside
	rt.readers.enter(st.mark, caller.id)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel2()
	require.ErrorIs(t, callee.CloseContext(ctx2), context.DeadlineExceeded, "a call through the caller may be inside")
	leave(st.mark)
	require.NoError(t, callee.Close())
}

// TestProgramsReplacedWhileCalled is the tiering pattern without patching:
// callers keep calling the current version while versions are compiled and
// the old ones closed. Every call returns its version's value or ErrClosed.
func TestProgramsReplacedWhileCalled(t *testing.T) {
	rt := newTestRuntime(t, Options{Heap: HeapOptions{ChunkBytes: 1 << 16, MaxBytes: 1 << 16}})
	version := func(v int) *Program {
		src := fmt.Sprintf("func main 0\n    locals 1\n    push 200\n    store 0\nloop:\n    load 0\n    push 1\n    sub\n    store 0\n    load 0\n    jnz loop\n    push %d\n    ret\nend\n", v)
		prog, err := rt.Compile("v.jasm", []byte(src))
		require.NoError(t, err)
		return prog
	}
	type cur struct {
		prog *Program
		v    int
	}
	var current atomic.Pointer[cur]
	current.Store(&cur{version(1), 1})
	var stop atomic.Bool
	var calls, closedCalls atomic.Uint64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				c := current.Load()
				v, err := c.prog.Func("main").Call()
				switch {
				case errors.Is(err, ErrClosed):
					closedCalls.Add(1)
				case err != nil || v != int64(c.v):
					errs <- fmt.Errorf("version %d returned %d, %v", c.v, v, err)
					return
				default:
					calls.Add(1)
				}
			}
		}()
	}
	n := 0
	for start := time.Now(); (n < 300 || calls.Load() < 100) && time.Since(start) < 20*time.Second; n++ {
		old := current.Load()
		current.Store(&cur{version(old.v + 1), old.v + 1})
		require.NoError(t, old.prog.Close())
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d versions retired, %d calls, %d refused as closed, heap %+v", n, calls.Load(), closedCalls.Load(), rt.Heap().Stats())
	assert.GreaterOrEqual(t, n, 300, "a 64 KiB heap holds about 200 of them: Close gave memory back")
	assert.GreaterOrEqual(t, calls.Load(), uint64(100))
	assert.LessOrEqual(t, rt.Heap().Stats().InUse, 1<<10, "one live version")
}

// TestReuseNeedsASerialisingBarrier: without SYNC_CORE, a block that held a
// closed program is handed out again only after the fallback barrier
// (membarrier GLOBAL); with no serialising barrier at all, never.
func TestReuseNeedsASerialisingBarrier(t *testing.T) {
	defer func(r func(membarrier.Cmd) error, q func() (membarrier.CmdSet, error)) { registerFn, queryFn = r, q }(registerFn, queryFn)
	denied := errors.New("denied by the test")
	registerFn = func(c membarrier.Cmd) error {
		if c == membarrier.CmdRegisterPrivateExpeditedSyncCore {
			return denied
		}
		return membarrier.Register(c)
	}
	for _, global := range []bool{true, false} {
		t.Run(fmt.Sprintf("global=%v", global), func(t *testing.T) {
			queryFn = func() (membarrier.CmdSet, error) {
				set, err := membarrier.Query()
				if !global {
					set &^= membarrier.CmdSet(membarrier.CmdGlobal)
				}
				return set, err
			}
			if global {
				set, err := membarrier.Query()
				require.NoError(t, err)
				require.True(t, set.Has(membarrier.CmdGlobal), "this kernel offers GLOBAL")
			}
			rt := newTestRuntime(t, Options{})
			require.ErrorIs(t, rt.Info().SyncCore, denied)
			first, err := rt.Load(mustParse(t, spin))
			require.NoError(t, err)
			assert.Zero(t, rt.reuseBarriers.Load(), "fresh memory needs no fallback barrier")
			require.NoError(t, first.Close())
			second, err := rt.Load(mustParse(t, spin))
			require.NoError(t, err)
			if global {
				assert.Contains(t, rt.Info().Reuse, "GLOBAL")
				assert.Equal(t, first.Block().RX, second.Block().RX)
				assert.EqualValues(t, 1, rt.reuseBarriers.Load(), "reused memory: the fallback barrier ran")
			} else {
				assert.Contains(t, rt.Info().Reuse, "never reused")
				assert.NotEqual(t, first.Block().RX, second.Block().RX)
				assert.Zero(t, rt.reuseBarriers.Load())
			}
			v, err := second.Func("main").Call()
			require.NoError(t, err)
			assert.Zero(t, v)
		})
	}
}

// TestReclaimFallbacks: each mechanism that orders the entry marks, chosen
// as registrations fail, still makes Close wait for a running call.
func TestReclaimFallbacks(t *testing.T) {
	defer func(r func(membarrier.Cmd) error, q func() (membarrier.CmdSet, error)) { registerFn, queryFn = r, q }(registerFn, queryFn)
	denied := errors.New("denied by the test")
	cases := []struct {
		name   string
		deny   []membarrier.Cmd
		global bool
		want   string
	}{
		{"expedited", nil, true, "PRIVATE_EXPEDITED (registered"},
		{"synccore", []membarrier.Cmd{membarrier.CmdRegisterPrivateExpedited}, true, "PRIVATE_EXPEDITED_SYNC_CORE"},
		{"global", []membarrier.Cmd{membarrier.CmdRegisterPrivateExpedited, membarrier.CmdRegisterPrivateExpeditedSyncCore}, true, "GLOBAL"},
		{"fence", []membarrier.Cmd{membarrier.CmdRegisterPrivateExpedited, membarrier.CmdRegisterPrivateExpeditedSyncCore}, false, "fenced entry marks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			registerFn = func(c membarrier.Cmd) error {
				for _, d := range tc.deny {
					if c == d {
						return denied
					}
				}
				return membarrier.Register(c)
			}
			queryFn = func() (membarrier.CmdSet, error) {
				set, err := membarrier.Query()
				if !tc.global {
					set &^= membarrier.CmdSet(membarrier.CmdGlobal)
				}
				return set, err
			}
			rt := newTestRuntime(t, Options{})
			assert.Contains(t, rt.Info().Reclaim, tc.want)
			assert.Equal(t, tc.name == "fence", rt.readers.fence)
			prog, err := rt.Load(mustParse(t, longSum))
			require.NoError(t, err)
			done := make(chan error, 1)
			go func() { _, err := prog.Func("main").Call(endless); done <- err }()
			waitInside(t, rt, 1)
			require.NoError(t, prog.Close())
			assert.ErrorIs(t, <-done, ErrClosed)
			assert.Zero(t, inside(rt))
		})
	}
}

// TestConcurrentCloses: several goroutines close one program while calls
// run in it; every Close returns nil once the code is reclaimed, and the
// block is freed exactly once.
func TestConcurrentCloses(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	inUse := rt.Heap().Stats().InUse // the coherence probe's block
	for range 20 {
		prog, err := rt.Load(mustParse(t, longSum))
		require.NoError(t, err)
		done := make(chan error, 2)
		for range 2 {
			go func() { _, err := prog.Func("main").Call(endless); done <- err }()
		}
		waitInside(t, rt, 2)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() { defer wg.Done(); assert.NoError(t, prog.Close()) }()
		}
		wg.Wait()
		assert.True(t, prog.Reclaimed())
		for range 2 {
			assert.ErrorIs(t, <-done, ErrClosed)
		}
	}
	assert.Equal(t, inUse, rt.Heap().Stats().InUse, "every block went back once")
}

// TestCloseWhileCallsYield: a garbage collector keeps asking the running
// calls to yield (a call parked in a yield is inside: its resume address is
// in the block) while the program is closed.
func TestCloseWhileCallsYield(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	var stop atomic.Bool
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		for !stop.Load() {
			runtime.GC()
		}
	}()
	defer func() { stop.Store(true); <-gcDone }()
	for range 10 {
		prog, err := rt.Load(mustParse(t, longSum))
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { _, err := prog.Func("main").Call(endless); done <- err }()
		waitInside(t, rt, 1)
		time.Sleep(time.Millisecond)
		require.NoError(t, prog.Close())
		err = <-done
		assert.ErrorIs(t, err, ErrClosed)
		assert.ErrorIs(t, err, jasm.ErrInterrupted)
	}
}

// TestCloseContextWhileAnotherCloseWaits: a Close held up by a call inside
// does not hold up a CloseContext of the same program past its deadline,
// nor Reclaimed.
func TestCloseContextWhileAnotherCloseWaits(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	prog, err := rt.Load(mustParse(t, spin))
	require.NoError(t, err)
	st, err := rt.stacks.get()
	require.NoError(t, err)
	defer rt.stacks.put(st)
	rt.readers.enter(st.mark, prog.id) // a call is inside
	defer leave(st.mark)               // lets the first Close end if the test fails

	first := make(chan error, 1)
	go func() { first <- prog.Close() }()
	for deadline := time.Now().Add(10 * time.Second); !prog.Closed(); time.Sleep(100 * time.Microsecond) {
		require.True(t, time.Now().Before(deadline), "the first Close never began")
	}

	second := make(chan error, 1)
	start := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		second <- prog.CloseContext(ctx)
	}()
	select {
	case err := <-second:
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 2*time.Second)
	case <-time.After(2 * time.Second):
		t.Fatal("CloseContext waited for the other Close past its deadline")
	}
	reclaimed := make(chan bool, 1)
	go func() { reclaimed <- prog.Reclaimed() }()
	select {
	case r := <-reclaimed:
		assert.False(t, r)
	case <-time.After(2 * time.Second):
		t.Fatal("Reclaimed waited for the Close")
	}
	select {
	case err := <-first:
		t.Fatalf("the first Close returned (%v) while a call was inside", err)
	default:
	}

	leave(st.mark)
	require.NoError(t, <-first)
	assert.True(t, prog.Reclaimed())
	done, cancel := context.WithCancel(context.Background())
	cancel()
	assert.NoError(t, prog.CloseContext(done), "a reclaimed program: nil, whatever the context")
}

// TestAddRefFromAClosedProgram: a closed program takes no new reference
// (its Close released its references, or will not see this one): the
// callee stays closable.
func TestAddRefFromAClosedProgram(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	a, err := rt.Load(mustParse(t, spin))
	require.NoError(t, err)
	b, err := rt.Load(mustParse(t, spin))
	require.NoError(t, err)
	require.NoError(t, a.Close())
	require.ErrorIs(t, a.AddRef(b), ErrClosed)
	b.mu.Lock()
	assert.Zero(t, b.inRefs)
	assert.NotContains(t, b.callers, a)
	b.mu.Unlock()
	require.NoError(t, b.Close(), "the refused reference holds nothing")
	assert.True(t, b.Reclaimed())

	// Closed but not yet reclaimed (a call inside holds it): refused too.
	c, err := rt.Load(mustParse(t, spin))
	require.NoError(t, err)
	d, err := rt.Load(mustParse(t, spin))
	require.NoError(t, err)
	st, err := rt.stacks.get()
	require.NoError(t, err)
	defer rt.stacks.put(st)
	rt.readers.enter(st.mark, c.id)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, c.CloseContext(ctx), context.DeadlineExceeded)
	require.ErrorIs(t, c.AddRef(d), ErrClosed)
	leave(st.mark)
	require.NoError(t, c.Close())
	require.NoError(t, d.Close())
}

// TestCallerEdgesArePruned: a long-lived callee that short-lived programs
// called into (and a long-lived dispatcher that called into short-lived
// callees) does not keep them: an edge goes once the other program's Close
// has waited out its calls, not before.
func TestCallerEdgesArePruned(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	load := func() *Program {
		prog, err := rt.Load(mustParse(t, spin))
		require.NoError(t, err)
		return prog
	}
	edges := func(p *Program) (callers, callees int) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.callers), len(p.callees)
	}
	callee, dispatcher := load(), load()
	for i := range 100 {
		d := load()
		require.NoError(t, d.AddRef(callee))
		if i%2 == 0 {
			d.DropRef(callee) // retargeted away before the Close; or still calling in
		}
		require.NoError(t, d.Close())
		n, _ := edges(callee)
		require.Zero(t, n, "round %d: a reclaimed caller is still a caller", i)

		c := load()
		require.NoError(t, dispatcher.AddRef(c))
		dispatcher.DropRef(c)
		require.NoError(t, c.Close())
		_, n = edges(dispatcher)
		require.Zero(t, n, "round %d: a reclaimed callee is still a callee", i)
	}

	// Not before the caller's grace period: a call that entered it may be
	// in the callee, and the callee's Close must wait for it.
	d := load()
	require.NoError(t, d.AddRef(callee))
	d.DropRef(callee)
	st, err := rt.stacks.get()
	require.NoError(t, err)
	defer rt.stacks.put(st)
	rt.readers.enter(st.mark, d.id)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, d.CloseContext(ctx), context.DeadlineExceeded)
	n, _ := edges(callee)
	require.Equal(t, 1, n, "kept while a call that entered the caller may be inside")
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	require.ErrorIs(t, callee.CloseContext(ctx2), context.DeadlineExceeded, "that call may be in the callee")
	leave(st.mark)
	require.NoError(t, d.Close())
	n, _ = edges(callee)
	require.Zero(t, n)
	require.NoError(t, callee.Close())
	require.NoError(t, dispatcher.Close())
}

// TestCloseBarrierFailure: a grace period whose barrier fails ends the
// Close with the barrier's error: the program stays closed to new calls
// and its code in place, unreclaimed; a later Close with a working barrier
// reclaims it.
func TestCloseBarrierFailure(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	prog, err := rt.Load(mustParse(t, spin))
	require.NoError(t, err)
	code := append([]byte(nil), prog.Block().RW...)
	failed := errors.New("barrier failed by the test")
	working := rt.readers.barrier
	rt.readers.barrier = func() error { return failed }
	graces := rt.GracePeriods()

	err = prog.Close()
	require.ErrorIs(t, err, failed)
	assert.ErrorContains(t, err, "grace period")
	assert.True(t, prog.Closed(), "no new call enters")
	assert.False(t, prog.Reclaimed())
	assert.Equal(t, code, prog.Block().RW, "no traps: a call may still run the code")
	assert.Equal(t, graces, rt.GracePeriods(), "no grace period completed")
	_, err = prog.Func("main").Call()
	assert.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, prog.Close(), failed, "still failing: still not reclaimed")
	assert.False(t, prog.Reclaimed())

	rt.readers.barrier = working
	require.NoError(t, prog.Close())
	assert.True(t, prog.Reclaimed())
	assert.Equal(t, graces+1, rt.GracePeriods())
}

// TestInterruptDuringCloseKeepsTheWordStopped: once Close has begun, the
// interrupt word a call would load is stopped, even when an Interrupt
// swaps in a fresh one afterwards (a call that passed its closed check
// before Close and loads the word after the swap would otherwise run on,
// and Close would wait for it).
func TestInterruptDuringCloseKeepsTheWordStopped(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	prog, err := rt.Load(mustParse(t, "func main 0\n push 1\n ret\nend\n"))
	require.NoError(t, err)
	f := prog.Func("main")
	f.Interrupt()
	assert.Zero(t, atomic.LoadUint64(f.intr.Load()), "an open program's calls after Interrupt run normally")
	// What Close does before its grace period.
	prog.closed.Store(true)
	f.stop(f.intr.Load())
	f.Interrupt()
	assert.Equal(t, uint64(1), atomic.LoadUint64(f.intr.Load()), "a fresh word of a closing program is stopped")
	prog.closed.Store(false) // let Cleanup close it for real
}
