package patch

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/jit/jasm"
)

// Regression tests for the paths that broke "never a torn, stale or freed
// instruction" (each failed before the code lifecycle work), and attacks on
// the lifecycle as a VM would use it.

func host() jit.Arch { a, _ := jit.HostArch(); return a }

// codeConsts is PConstCode where the host has it (amd64: the multi-word
// movabs site), else PConstData (ppc64le and arm64: no instruction that
// carries an immediate may change under running threads).
func codeConsts() jit.PConstMode {
	if host() == jit.ArchAMD64 {
		return jit.PConstCode
	}
	return jit.PConstData
}

// TestBatchCommittedAfterClose: a batch built before Close must not write
// into the block, which the next program may own by the time it commits.
// (Before: Commit returned nil and the next program's main(1) returned
// 1000 instead of 3.)
func TestBatchCommittedAfterClose(t *testing.T) {
	prog, p := setup(t, jit.Options{}, Options{})
	rt := prog.Runtime()
	k, err := p.Site(prog, "k")
	require.NoError(t, err)
	b := p.Batch().SetConst(k, 1000)
	require.NoError(t, b.Err())
	require.NoError(t, prog.Close())
	next, err := rt.Compile("sites.jasm", []byte(sitesProgram))
	require.NoError(t, err)
	require.Equal(t, prog.Block().RX, next.Block().RX, "the next program reuses the block")
	require.ErrorIs(t, b.Commit(), jit.ErrClosed)
	assert.EqualValues(t, 7, call(t, next, "konst"), "nothing landed in the reused block")
}

// TestPatchersRaceClose: patchers keep patching while the program is closed
// and recompiled into the same block. Every patch returns nil or ErrClosed,
// and the new program always starts from its own initial values.
func TestPatchersRaceClose(t *testing.T) {
	rt, err := jit.New(jit.Options{})
	require.NoError(t, err)
	defer rt.Close()
	p, err := New(rt, Options{})
	require.NoError(t, err)
	for round := range 50 {
		prog, err := rt.Compile("sites.jasm", []byte(sitesProgram))
		require.NoError(t, err)
		require.EqualValues(t, 7, call(t, prog, "konst"), "round %d: a write of the last round landed", round)
		require.EqualValues(t, 10, call(t, prog, "guarded"), "round %d", round)
		k, err := p.Site(prog, "k")
		require.NoError(t, err)
		g, err := p.Site(prog, "g")
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					var err error
					if i%2 == 0 {
						err = p.Batch().SetConst(k, 1000).Arm(g).Commit()
					} else {
						err = k.SetConst(2000)
					}
					if err != nil {
						assert.ErrorIs(t, err, jit.ErrClosed)
						return
					}
				}
			}()
		}
		time.Sleep(time.Millisecond)
		require.NoError(t, prog.Close())
		wg.Wait()
	}
}

// TestSelfLoopDisarmOfShortGuard: the self-loop protocol on a 5-byte guard
// has an empty tail phase; the final head must still be written. (Before:
// Disarm returned nil, Value said 0, and the code stayed armed.) On ppc64le
// and arm64 a guard is one word (nop ↔ b) and has no self-loop; the same
// round trip runs with PatchClass there.
func TestSelfLoopDisarmOfShortGuard(t *testing.T) {
	proto := SelfLoop
	if host() != jit.ArchAMD64 {
		proto = PatchClass
	}
	prog, p := setup(t, jit.Options{}, Options{Protocol: proto})
	g, err := p.Site(prog, "g")
	require.NoError(t, err)
	require.Equal(t, proto, g.Protocol())
	for range 3 {
		require.NoError(t, g.Arm())
		assert.EqualValues(t, 20, call(t, prog, "guarded"))
		require.NoError(t, g.Disarm())
		assert.EqualValues(t, 0, g.Value())
		assert.EqualValues(t, 10, call(t, prog, "guarded"), "Disarm took effect")
	}
}

// sharedWord has a pconst site followed by a guard: with PConstCode on
// amd64 the movabs tail and the guard share an aligned qword.
const sharedWord = `
func f 0
    pconst k 0
    guard g armed
    ret
armed:
    push 1
    add
    ret
end
func main 0
    push 0
    ret
end
`

// twoPatchers compiles sharedWord and returns its const site from one
// Patcher and its guard from another, on one runtime.
func twoPatchers(t *testing.T) (prog *jit.Program, k, g *Site) {
	t.Helper()
	rt, err := jit.New(jit.Options{PConst: codeConsts()})
	require.NoError(t, err)
	t.Cleanup(func() { rt.Close() })
	prog, err = rt.Compile("shared.jasm", []byte(sharedWord))
	require.NoError(t, err)
	consts, err := New(rt, Options{})
	require.NoError(t, err)
	guards, err := New(rt, Options{})
	require.NoError(t, err)
	k, err = consts.Site(prog, "k")
	require.NoError(t, err)
	g, err = guards.Site(prog, "g")
	require.NoError(t, err)
	return prog, k, g
}

// TestTwoPatchersShareAWord: one patcher for constants, one for guards, as a
// VM would have, hammering sites that share a qword. (Before: the writer
// lock was per Patcher and each lost the other's bytes: the code returned a
// mixed constant for good.)
func TestTwoPatchersShareAWord(t *testing.T) {
	prog, k, g := twoPatchers(t)
	if host() == jit.ArchAMD64 {
		kc, gc := k.Code().Site, g.Code().Site
		require.Equal(t, (kc.Offset+kc.Size-1)/8, gc.Offset/8, "precondition: the movabs tail and the guard share a qword")
	}
	a, b := int64(0x2020202020202020), int64(0x3434343434343434)
	rounds := 3000
	if jit.Emulated() {
		rounds = 300
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range rounds {
			assert.NoError(t, k.SetConst([2]int64{a, b}[i%2]))
		}
	}()
	go func() {
		defer wg.Done()
		for i := range rounds {
			if i%2 == 0 {
				assert.NoError(t, g.Arm())
			} else {
				assert.NoError(t, g.Disarm())
			}
		}
	}()
	wg.Wait()
	v, err := prog.Func("f").Call()
	require.NoError(t, err)
	assert.Equal(t, k.Value()+g.Value(), v, "the code returns the state both patchers left (%#x)", v)
	// And each change on its own still lands.
	require.NoError(t, k.SetConst(5))
	require.NoError(t, g.Disarm())
	v, err = prog.Func("f").Call()
	require.NoError(t, err)
	assert.EqualValues(t, 5, v)
}

// TestWriterLockCoversReadModifyWrite makes the race of two patchers on one
// word happen every time: while the const patcher is between reading and
// writing the qword it shares with the guard, the guard patcher tries to
// arm the guard. With one writer lock per runtime the guard waits; with a
// lock per Patcher its bytes were written and then lost.
func TestWriterLockCoversReadModifyWrite(t *testing.T) {
	prog, k, g := twoPatchers(t)
	var once sync.Once
	armed := make(chan error, 1)
	storeHook = func(st store) {
		if st.s != k || int(st.off) != g.Code().Site.Offset&^int(st.size-1) {
			return // only the const's store into the word the guard is in
		}
		once.Do(func() {
			go func() { armed <- g.Arm() }()
			select {
			case err := <-armed: // it got in: the lock did not keep it out
				armed <- err
			case <-time.After(20 * time.Millisecond):
			}
		})
	}
	require.NoError(t, k.SetConst(0x20))
	var fired bool
	once.Do(func() { fired = true })
	switch host() {
	case jit.ArchAMD64:
		require.False(t, fired, "precondition: the const's protocol wrote the guard's word")
		require.NoError(t, <-armed)
	case jit.ArchPPC64LE, jit.ArchARM64:
		// The constant is an 8-byte data slot and the guard a 4-byte
		// instruction word; no store of one touches the other.
		require.True(t, fired, "on %s no site shares a word with another", host())
		require.NoError(t, g.Arm())
	default:
		t.Fatalf("no expectation for %s", host())
	}
	storeHook = nil
	v, err := prog.Func("f").Call()
	require.NoError(t, err)
	assert.EqualValues(t, 0x21, v, "the constant and the armed guard both hold")
	assert.EqualValues(t, 1, g.Value())
}

// failing is a barrier that fails its n-th Sync (counting from 1) and every
// one after, until healed.
type failing struct {
	n, calls int
	healed   bool
}

func (*failing) Name() string      { return "failing" }
func (*failing) Serialising() bool { return true }
func (f *failing) Sync() error {
	f.calls++
	if !f.healed && f.calls >= f.n {
		return errors.New("handshake timed out (test)")
	}
	return nil
}

// TestFailedBarrierLeavesSiteParked: a commit stops at a failed barrier. On
// amd64 the self-loop's tail is not written after a failed phase-1 barrier
// (before, it was: the torn immediate the protocol exists to prevent); the
// site stays parked, a thread that reaches it polls (so it can be
// interrupted), and the next change completes it. On ppc64le and arm64 (one
// phase, data slots) the data word is written and the error is reported.
func TestFailedBarrierLeavesSiteParked(t *testing.T) {
	prog, p := setup(t, jit.Options{PConst: codeConsts()}, Options{})
	k, err := p.Site(prog, "k")
	require.NoError(t, err)
	fb := &failing{n: 1}
	p.barrier = fb
	blk := prog.Block().RW
	c := k.Code().Site
	before := append([]byte(nil), blk[c.Offset:c.Offset+c.Size]...)

	err = k.SetConst(0x1111111111111111)
	require.ErrorIs(t, err, ErrBarrierFailed)
	assert.Equal(t, 1, fb.calls, "nothing after the failed barrier")
	if k.Protocol() == SelfLoop {
		assert.True(t, k.Parked())
		assert.EqualValues(t, 7, k.Value(), "the change did not complete")
		after := blk[c.Offset : c.Offset+c.Size]
		assert.NotEqual(t, before[:5], after[:5], "the head is parked")
		assert.Equal(t, before[5:], after[5:], "the tail was not written")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		_, err := prog.Func("konst").CallContext(ctx)
		assert.ErrorIs(t, err, jasm.ErrInterrupted, "a parked thread polls")
	} else {
		assert.False(t, k.Parked())
		assert.EqualValues(t, int64(0x1111111111111111), k.Value(), "one phase: the new word is in place")
	}
	fb.healed = true
	require.NoError(t, k.SetConst(5))
	assert.False(t, k.Parked())
	assert.EqualValues(t, 5, call(t, prog, "konst"))
	assert.EqualValues(t, 5, k.Value())
}

// TestTwoHandlesOneSiteInOneBatch: duplicates in a batch are found by code
// location, not by handle: only the last change of a site is planned.
// (Before, two handles for one self-loop site gave a window where head A
// ran with tail B.)
func TestTwoHandlesOneSiteInOneBatch(t *testing.T) {
	prog, p := setup(t, jit.Options{PConst: codeConsts()}, Options{})
	for _, name := range []string{"k", "g"} {
		t.Run(name, func(t *testing.T) {
			h1, err := p.Site(prog, name)
			require.NoError(t, err)
			h2, err := p.Site(prog, name)
			require.NoError(t, err)
			var stores int
			storeHook = func(st store) { stores++ }
			defer func() { storeHook = nil }()
			b := p.Batch()
			if name == "k" {
				b.SetConst(h1, 0x0a0a0a0a0a0a0a0a).SetConst(h2, 0x0b0b0b0b0b0b0b0b)
			} else {
				b.Arm(h1).Disarm(h2).Arm(h2)
			}
			require.NoError(t, b.Commit())
			storeHook = nil
			one := 1
			if h1.Protocol() == SelfLoop {
				one = 4 // park, two tail words, head
			}
			assert.Equal(t, one, stores, "one site's stores, not one per handle")
			if name == "k" {
				assert.EqualValues(t, int64(0x0b0b0b0b0b0b0b0b), call(t, prog, "konst"))
				assert.EqualValues(t, int64(0x0b0b0b0b0b0b0b0b), h1.Value(), "handles share the state")
			} else {
				assert.EqualValues(t, 20, call(t, prog, "guarded"))
				assert.EqualValues(t, 1, h1.Value())
			}
		})
	}
}

const dispatcher = `
func tier0 0
    push 0
    ret
end
func main 0
    pcall s tier0
    ret
end
`

func version(v int) string {
	return fmt.Sprintf("func main 0\n    locals 1\n    push 50\n    store 0\nloop:\n    load 0\n    push 1\n    sub\n    store 0\n    load 0\n    jnz loop\n    push %d\n    ret\nend\n", v)
}

// TestTieringAcrossPrograms: compile tier 2, retarget the live call site to
// it, close tier 1 while callers keep calling. Every result comes from a
// live version; a program that a site still calls into cannot be closed.
func TestTieringAcrossPrograms(t *testing.T) {
	rt, err := jit.New(jit.Options{Heap: jit.HeapOptions{ChunkBytes: 1 << 16, MaxBytes: 1 << 16}})
	require.NoError(t, err)
	defer rt.Close()
	p, err := New(rt, Options{})
	require.NoError(t, err)
	disp, err := rt.Compile("dispatch.jasm", []byte(dispatcher))
	require.NoError(t, err)
	s, err := p.Site(disp, "s")
	require.NoError(t, err)

	compile := func(v int) *jit.Program {
		prog, err := rt.Compile("v.jasm", []byte(version(v)))
		require.NoError(t, err)
		return prog
	}
	v1 := compile(1)
	require.NoError(t, s.RetargetFunc(v1.Func("main")))
	assert.Equal(t, v1.Func("main"), s.Target())
	assert.ErrorIs(t, v1.Close(), jit.ErrInUse, "the site still calls into it")
	assert.False(t, v1.Closed())

	var published atomic.Int64
	published.Store(1)
	var stop atomic.Bool
	var calls atomic.Uint64
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := disp.Func("main").NewCaller()
			if !assert.NoError(t, err) {
				return
			}
			defer c.Close()
			for !stop.Load() {
				before := published.Load()
				v, err := c.Call()
				if !assert.NoError(t, err) || !assert.GreaterOrEqual(t, v, before, "a retired version ran") ||
					!assert.LessOrEqual(t, v, published.Load()+1) {
					stop.Store(true)
					return
				}
				calls.Add(1)
			}
		}()
	}
	old := v1
	n := 400
	if jit.Emulated() {
		n = 100
	}
	for v := 2; v <= n && !stop.Load(); v++ {
		next := compile(v)
		require.NoError(t, s.RetargetFunc(next.Func("main")))
		published.Store(int64(v))
		require.NoError(t, old.Close())
		old = next
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d versions, %d calls, heap %+v, %d grace periods", n, calls.Load(), rt.Heap().Stats(), rt.GracePeriods())
	assert.Positive(t, calls.Load())
	// Closing the dispatcher releases its reference on the last version.
	require.NoError(t, disp.Close())
	require.NoError(t, old.Close())
	assert.ErrorIs(t, s.RetargetFunc(compile(0).Func("main")), jit.ErrClosed)
}

// TestRetargetFuncChecks: arity, kind and runtime of a cross-program target.
func TestRetargetFuncChecks(t *testing.T) {
	prog, p := setup(t, jit.Options{}, Options{})
	rt := prog.Runtime()
	c, err := p.Site(prog, "c")
	require.NoError(t, err)
	k, err := p.Site(prog, "k")
	require.NoError(t, err)
	other, err := rt.Compile("o.jasm", []byte("func two 1\n    arg 0\n    ret\nend\nfunc one 0\n    push 9\n    ret\nend\nfunc main 0\n    push 0\n    ret\nend\n"))
	require.NoError(t, err)
	assert.ErrorIs(t, c.RetargetFunc(other.Func("two")), ErrOtherTarget, "arity")
	assert.ErrorIs(t, c.RetargetFunc(nil), ErrOtherTarget)
	assert.ErrorIs(t, k.RetargetFunc(other.Func("one")), ErrSiteKind)
	require.NoError(t, c.RetargetFunc(other.Func("one")))
	assert.EqualValues(t, 9, call(t, prog, "call"))
	require.NoError(t, c.RetargetFunc(prog.Func("two")), "back into its own program")
	assert.EqualValues(t, 2, call(t, prog, "call"))
	require.NoError(t, other.Close(), "no site calls into it any more")
}

// TestRetargetFuncIntoDataSlots: amd64 code reads its data slots
// RIP-relative and arm64 code with LDR (literal), PC-relative: each from its
// own blob, so a call site may call into another program that has pconst
// sites, and the callee reads its own slots (a SetConst on the callee's
// site shows through the call, and the caller's own slot stays its own).
// ppc64le code addresses its slots from the entry program's blob
// (callCtx.base), so that retarget is refused there.
func TestRetargetFuncIntoDataSlots(t *testing.T) {
	prog, p := setup(t, jit.Options{}, Options{})
	c, err := p.Site(prog, "c")
	require.NoError(t, err)
	other, err := prog.Runtime().Compile("k.jasm", []byte("func main 0\n    pconst kk 41\n    ret\nend\n"))
	require.NoError(t, err)
	kk, err := p.Site(other, "kk")
	require.NoError(t, err)
	require.Equal(t, DataSlot, kk.Protocol())
	err = c.RetargetFunc(other.Func("main"))
	switch host() {
	case jit.ArchAMD64, jit.ArchARM64:
		require.NoError(t, err)
		assert.EqualValues(t, 41, call(t, prog, "call"), "the callee reads its own slot")
		require.NoError(t, kk.SetConst(42))
		assert.EqualValues(t, 42, call(t, prog, "call"))
		assert.EqualValues(t, 7, call(t, prog, "konst"), "the caller's slot is its own")
		one, _ := prog.Jasm().Func("one")
		require.NoError(t, c.Retarget(one))
		assert.EqualValues(t, 1, call(t, prog, "call"))
		require.NoError(t, other.Close(), "no site calls into it any more")
	case jit.ArchPPC64LE:
		assert.ErrorIs(t, err, ErrOtherTarget)
		assert.ErrorContains(t, err, "data slots")
	default:
		t.Fatalf("no expectation for %s", host())
	}
}

// countingBarrier is a barrier of a VM's own: it counts, then issues SYNC_CORE.
type countingBarrier struct{ n int }

func (*countingBarrier) Name() string      { return "counting" }
func (*countingBarrier) Serialising() bool { return true }
func (c *countingBarrier) Sync() error     { c.n++; return SyncCore{}.Sync() }

// TestBarrierAsValue: Options.Strategy takes a barrier of one's own, or a
// built-in value such as a handshake, reachable without a type assertion.
func TestBarrierAsValue(t *testing.T) {
	rt, err := jit.New(jit.Options{})
	require.NoError(t, err)
	defer rt.Close()
	prog, err := rt.Compile("sites.jasm", []byte(sitesProgram))
	require.NoError(t, err)

	cb := &countingBarrier{}
	p, err := New(rt, Options{Strategy: cb})
	require.NoError(t, err)
	assert.Same(t, cb, p.Barrier())
	assert.Nil(t, p.Handshake())
	k, err := p.Site(prog, "k")
	require.NoError(t, err)
	require.NoError(t, k.SetConst(9))
	assert.Equal(t, 1, cb.n, "one phase, one barrier of ours")
	assert.EqualValues(t, 9, call(t, prog, "konst"))

	h := NewHandshake()
	p, err = New(rt, Options{Strategy: h})
	require.NoError(t, err)
	assert.Same(t, h, p.Handshake())
	named, err := New(rt, Options{Barrier: "handshake"})
	require.NoError(t, err)
	assert.NotNil(t, named.Handshake())

	_, err = New(rt, Options{Barrier: "synccore", Strategy: cb})
	assert.ErrorIs(t, err, ErrBarrier, "both set")
	p, err = New(rt, Options{Strategy: None{}})
	require.NoError(t, err)
	assert.Contains(t, p.Reason(), "not core-serialising")
}

// gate is a barrier whose Sync blocks until the test releases it: a slow
// barrier held open for as long as a test needs.
type gate struct {
	entered chan int      // receives the number of each Sync as it begins
	release chan struct{} // closed: every Sync returns
	n       int
}

func newGate() *gate { return &gate{entered: make(chan int, maxPhases), release: make(chan struct{})} }

func (*gate) Name() string      { return "gate" }
func (*gate) Serialising() bool { return true }
func (g *gate) Sync() error {
	g.n++
	g.entered <- g.n
	<-g.release
	return nil
}

// TestParkedDuringASlowBarrier: Site.Parked does not wait for a commit,
// which holds the writer lock through its barriers. (Before, it took the
// lock and blocked until the barrier returned.)
func TestParkedDuringASlowBarrier(t *testing.T) {
	prog, p := setup(t, jit.Options{PConst: codeConsts()}, Options{})
	k, err := p.Site(prog, "k")
	require.NoError(t, err)
	g := newGate()
	p.barrier = g
	var commitErr error
	done := make(chan struct{})
	go func() { commitErr = k.SetConst(0x2222222222222222); close(done) }()
	released := false
	release := func() {
		if !released {
			released = true
			close(g.release)
		}
	}
	defer func() { release(); <-done }()
	require.Equal(t, 1, <-g.entered, "the commit waits in its first barrier")
	parked := make(chan bool, 1)
	go func() { parked <- k.Parked() }()
	select {
	case v := <-parked:
		assert.False(t, v, "no commit has stopped at a failed barrier")
	case <-time.After(5 * time.Second):
		t.Fatal("Parked waited for the commit's barrier")
	}
	assert.EqualValues(t, 7, k.Value(), "the change has not completed")
	release()
	<-done
	require.NoError(t, commitErr)
	assert.False(t, k.Parked())
	assert.EqualValues(t, int64(0x2222222222222222), call(t, prog, "konst"))
}

// TestParkedFromAHandshakeParticipant: a participant that asks whether a
// site is parked before it reaches its safepoint does not stall the
// commit whose handshake waits for it. (Before, Parked waited for the
// writer lock, which the commit held until its handshake timed out: the
// commit failed with ErrBarrierFailed.)
func TestParkedFromAHandshakeParticipant(t *testing.T) {
	h := NewHandshake()
	h.Timeout = 10 * time.Second
	prog, p := setup(t, jit.Options{PConst: codeConsts()}, Options{Strategy: h})
	k, err := p.Site(prog, "k")
	require.NoError(t, err)
	var stop atomic.Bool
	joined := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		part := h.Join()
		defer part.Leave()
		close(joined)
		for !stop.Load() {
			_ = k.Parked() // before every safepoint
			part.Safepoint()
			runtime.Gosched()
		}
	}()
	<-joined
	start := time.Now()
	for i := range 3 {
		require.NoError(t, k.SetConst(int64(i+1)))
	}
	stop.Store(true)
	wg.Wait()
	assert.Less(t, time.Since(start), h.Timeout, "no commit waited for the handshake's timeout")
	assert.EqualValues(t, 3, call(t, prog, "konst"))
}

// TestLateBarrierFailureReleasesOldCallee: a batch of a constant (three
// phases where it is a self-loop site) and a retarget to another tier (one
// phase) whose n-th barrier fails. The retarget is complete once its own
// barrier, the first, has returned: the old tier can be closed. (Before, a
// failure at any barrier kept the old tier referenced, and its Close said
// ErrInUse until the site changed again.) When the first barrier fails,
// threads may still run the old call: the old tier stays referenced until
// the site's next change completes.
func TestLateBarrierFailureReleasesOldCallee(t *testing.T) {
	for _, n := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("barrier%d", n), func(t *testing.T) {
			prog, p := setup(t, jit.Options{PConst: codeConsts()}, Options{})
			rt := prog.Runtime()
			k, err := p.Site(prog, "k")
			require.NoError(t, err)
			c, err := p.Site(prog, "c")
			require.NoError(t, err)
			tier := func(v int) *jit.Program {
				tp, err := rt.Compile("tier.jasm", []byte(version(v)))
				require.NoError(t, err)
				return tp
			}
			old, next := tier(1), tier(2)
			require.NoError(t, c.RetargetFunc(old.Func("main")))
			require.ErrorIs(t, old.Close(), jit.ErrInUse)

			fb := &failing{n: n}
			p.barrier = fb
			err = p.Batch().SetConst(k, 0x3333333333333333).RetargetFunc(c, next.Func("main")).Commit()
			barriers := 1
			if k.Protocol() == SelfLoop {
				barriers = maxPhases
			}
			if n > barriers {
				require.NoError(t, err, "%d barrier(s): the n-th is never issued", barriers)
			} else {
				require.ErrorIs(t, err, ErrBarrierFailed)
			}
			assert.Equal(t, min(n, barriers), fb.calls, "nothing after the failed barrier")
			assert.Same(t, next.Func("main"), c.Target())
			assert.EqualValues(t, 2, call(t, prog, "call"))
			if n == 1 {
				assert.ErrorIs(t, old.Close(), jit.ErrInUse, "the retarget's barrier failed: threads may still call the old tier")
			} else {
				require.NoError(t, old.Close(), "the retarget's barrier completed: nothing reaches the old tier through the site")
			}
			parked := k.Protocol() == SelfLoop && n < maxPhases
			assert.Equal(t, parked, k.Parked())
			if parked {
				assert.EqualValues(t, 7, k.Value(), "stopped before its last phase")
			} else {
				assert.EqualValues(t, int64(0x3333333333333333), k.Value())
				assert.EqualValues(t, int64(0x3333333333333333), call(t, prog, "konst"))
			}

			fb.healed = true
			require.NoError(t, k.SetConst(5))
			one, _ := prog.Jasm().Func("one")
			require.NoError(t, c.Retarget(one))
			assert.False(t, k.Parked())
			assert.EqualValues(t, 5, call(t, prog, "konst"))
			assert.EqualValues(t, 1, call(t, prog, "call"))
			if n == 1 {
				require.NoError(t, old.Close(), "the site's next change released the old tier")
			}
			require.NoError(t, next.Close(), "the site moved on")
		})
	}
}

// TestParkedHeadIsTheOneThatBelongs: a self-loop change stopped by a failed
// barrier records the head that belongs in place of its park, from which
// the next change starts (Site.bytes): the old head when the first barrier
// failed (the tail was never written), the new one when the second did (the
// tail was). (Before, it was always the new head: after a phase-1 failure
// the site's bytes read as the new head over the old tail, and a parked
// guard read as armed while Value said disarmed.)
func TestParkedHeadIsTheOneThatBelongs(t *testing.T) {
	if host() != jit.ArchAMD64 {
		// ppc64le and arm64 have no multi-phase protocol, so nothing can
		// park: the self-loop is refused on every site kind there.
		prog, p := setup(t, jit.Options{}, Options{Protocol: SelfLoop})
		for _, name := range []string{"k", "c", "g"} {
			_, err := p.Site(prog, name)
			assert.ErrorIs(t, err, ErrProtocol, name)
		}
		return
	}
	bytesOf := func(s *Site) []byte {
		s.p.rt.LockWrites()
		defer s.p.rt.UnlockWrites()
		return s.bytes(nil)
	}
	movabs := func(head []byte, v int64) []byte { // REX.W B8+r, imm64
		return binary.LittleEndian.AppendUint64(append([]byte(nil), head[:2]...), uint64(v))
	}
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprintf("const/barrier%d", n), func(t *testing.T) {
			prog, p := setup(t, jit.Options{PConst: jit.PConstCode}, Options{})
			k, err := p.Site(prog, "k")
			require.NoError(t, err)
			require.Equal(t, SelfLoop, k.Protocol())
			before := bytesOf(k)
			require.Equal(t, movabs(before, 7), before, "precondition: the site is a movabs of 7")
			fb := &failing{n: n}
			p.barrier = fb
			require.ErrorIs(t, k.SetConst(0x4444444444444444), ErrBarrierFailed)
			require.True(t, k.Parked())
			assert.EqualValues(t, 7, k.Value())
			if n == 1 {
				assert.Equal(t, before, bytesOf(k), "the tail was never written: the old bytes belong there")
			} else {
				assert.Equal(t, movabs(before, 0x4444444444444444), bytesOf(k), "the tail was written: the new bytes belong there")
			}
			fb.healed = true
			require.NoError(t, k.SetConst(6))
			assert.False(t, k.Parked())
			assert.EqualValues(t, 6, k.Value())
			assert.EqualValues(t, 6, call(t, prog, "konst"))
			assert.Equal(t, movabs(before, 6), bytesOf(k))
		})
	}
	t.Run("guard/barrier1", func(t *testing.T) {
		prog, p := setup(t, jit.Options{}, Options{Protocol: SelfLoop})
		g, err := p.Site(prog, "g")
		require.NoError(t, err)
		require.Equal(t, SelfLoop, g.Protocol())
		disarmed := bytesOf(g)
		fb := &failing{n: 1}
		p.barrier = fb
		require.ErrorIs(t, g.Arm(), ErrBarrierFailed)
		require.True(t, g.Parked())
		assert.EqualValues(t, 0, g.Value())
		assert.Equal(t, disarmed, bytesOf(g), "the site's bytes are the disarmed ones, as its Value says")
		assert.EqualValues(t, 20, call(t, prog, "guarded"), "the park takes the guard's jump")
		fb.healed = true
		require.NoError(t, g.Disarm())
		assert.False(t, g.Parked())
		assert.Equal(t, disarmed, bytesOf(g))
		assert.EqualValues(t, 10, call(t, prog, "guarded"))
	})
}

const twoCalls = `
func tier0 0
    push 0
    ret
end
func first 0
    pcall s1 tier0
    ret
end
func second 0
    pcall s2 tier0
    ret
end
func main 0
    push 0
    ret
end
`

// TestFailedBatchLetsGoOfItsReferences: a batch that retargets one site to
// an open program A and another to a closed program B fails with
// jit.ErrClosed and writes nothing; the reference it had taken on A is
// dropped, so A can be closed.
func TestFailedBatchLetsGoOfItsReferences(t *testing.T) {
	rt, err := jit.New(jit.Options{})
	require.NoError(t, err)
	defer rt.Close()
	p, err := New(rt, Options{})
	require.NoError(t, err)
	disp, err := rt.Compile("two.jasm", []byte(twoCalls))
	require.NoError(t, err)
	s1, err := p.Site(disp, "s1")
	require.NoError(t, err)
	s2, err := p.Site(disp, "s2")
	require.NoError(t, err)
	compile := func(v int) *jit.Program {
		prog, err := rt.Compile("v.jasm", []byte(version(v)))
		require.NoError(t, err)
		return prog
	}
	for _, aFirst := range []bool{true, false} {
		a, b := compile(1), compile(2)
		require.NoError(t, b.Close())
		batch := p.Batch()
		if aFirst {
			batch.RetargetFunc(s1, a.Func("main")).RetargetFunc(s2, b.Func("main"))
		} else {
			batch.RetargetFunc(s2, b.Func("main")).RetargetFunc(s1, a.Func("main"))
		}
		require.NoError(t, batch.Err())
		require.ErrorIs(t, batch.Commit(), jit.ErrClosed, "A first: %v", aFirst)
		assert.Same(t, disp.Func("tier0"), s1.Target(), "nothing changed")
		assert.Same(t, disp.Func("tier0"), s2.Target())
		assert.EqualValues(t, 0, call(t, disp, "first"))
		assert.EqualValues(t, 0, call(t, disp, "second"))
		require.NoError(t, a.Close(), "the failed batch dropped its reference on A (A first: %v)", aFirst)
	}
	// And a batch that succeeds holds its references.
	a := compile(3)
	require.NoError(t, p.Batch().RetargetFunc(s1, a.Func("main")).RetargetFunc(s2, a.Func("main")).Commit())
	assert.EqualValues(t, 3, call(t, disp, "first"))
	assert.EqualValues(t, 3, call(t, disp, "second"))
	assert.ErrorIs(t, a.Close(), jit.ErrInUse)
	require.NoError(t, p.Batch().Retarget(s1, 0).Retarget(s2, 0).Commit())
	require.NoError(t, a.Close())
}
