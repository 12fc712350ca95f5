//go:build linux && (amd64 || arm64 || ppc64le)

package litmus

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/membarrier"
)

// engine runs a test's iterations in this process.
type engine struct {
	t     *Test
	sp    *space
	rt    *jit.Runtime
	sites []*liveSite
	// data holds the data words, each on a block of its own (128 bytes:
	// a cache line on every ISA here).
	data     []uint64
	threads  []*liveThread
	start    spinBarrier
	end      spinBarrier
	maxDelay uint64
	seed     uint64
	syncCore bool // membarrier SYNC_CORE works (else each thread serialises itself after the reset)
	info     childInfo
	halt     atomic.Bool  // set by thread 0 at a reset: every thread stops after the next barrier
	fault    func(it int) // a test hook run by thread 0 before each iteration (faultEnv), or nil
	// parkWords holds the sites' park words, each on a block of its own.
	parkWords []uint64
}

// counters is where a run counts: the outcome histogram, the finished
// iterations, and the iterations in which an exec reached a parked site.
type counters struct {
	outcomes     []uint64
	done, parked *uint64
}

// dataStride is the distance between two data words, in words.
const dataStride = 16

// liveSite is a site loaded into the code heap.
type liveSite struct {
	s      *Site
	sc     *siteCode
	prog   *jit.Program
	block  jit.Block
	rw, rx uintptr // addresses of the block's first byte in each view
	// lo, hi: the bytes a reset restores (the changed bytes, and the head
	// when a write parks the site); init: the initial version's.
	lo, hi int
	init   []byte
	// parked is the word the site's park stub sets (nil when no write
	// parks the site): thread 0 reads and clears it after each iteration.
	parked *uint64
}

// liveOp is an operation ready to run.
type liveOp struct {
	kind   OpKind
	stores []store
	base   uintptr // OpWrite: the view's address of the block
	word   *uint64 // OpStore, OpLoad
	value  uint64  // OpStore
	site   *liveSite
	caller *jit.Caller // OpExec
	slot   int         // OpLoad, OpExec: the register's index in the outcome, or -1
}

// liveThread is one thread's operations and registers.
type liveThread struct {
	id  int
	ops []liveOp
	// raw holds the registers of the outcome that this thread writes, by
	// outcome index; padded so that threads do not share a cache line.
	raw []int64
}

// newEngine loads t's sites into a fresh runtime with heap mode.
func newEngine(t *Test, sp *space, mode jit.HeapMode, maxDelay int, seed uint64, pin bool) (*engine, error) {
	host, _ := jit.HostArch()
	codes, plans, err := assembleTest(t, string(host))
	if err != nil {
		return nil, err
	}
	rt, err := jit.New(jit.Options{Heap: jit.HeapOptions{Mode: mode}})
	if err != nil {
		return nil, err
	}
	e := &engine{t: t, sp: sp, rt: rt, maxDelay: uint64(maxDelay), seed: seed}
	ok := false
	defer func() {
		if !ok {
			e.close()
		}
	}()
	info := rt.Info()
	e.info.Heap = info.HeapMode.String()
	e.syncCore = info.SyncCore == nil
	if !e.syncCore {
		if t.Uses(OpMembarrier, 0) {
			return nil, fmt.Errorf("litmus: test %s uses membarrier, but SYNC_CORE is unavailable here: %v", t.Name, info.SyncCore)
		}
		e.info.Notes = append(e.info.Notes, fmt.Sprintf("membarrier SYNC_CORE unavailable (%v): after each reset every thread executes its own serialising instruction instead", info.SyncCore))
	}
	if info.HeapMode == jit.HeapRWX && t.Uses(OpWrite, RW) {
		note := "heap rwx: a write through rw uses the executable mapping itself (there is no alias on this heap)"
		if mode == jit.HeapAuto {
			note += "; " + info.HeapReason
		}
		e.info.Notes = append(e.info.Notes, note)
	}
	byName := map[string]*liveSite{}
	e.parkWords = make([]uint64, dataStride*len(t.Sites))
	for i, s := range t.Sites {
		sc := codes[s.Name]
		code := sc.code[s.Init]
		bl := &codegen.Blob{Arch: string(host), Code: append([]byte(nil), code...)}
		lo, hi := sc.win, sc.winEnd
		var parked *uint64
		if t.Parks(s.Name) {
			lo, hi = min(lo, sc.entry), max(hi, sc.entry+len(sc.park))
			parked = &e.parkWords[dataStride*i]
			binary.LittleEndian.PutUint64(bl.Code[sc.lit:], uint64(uintptr(unsafe.Pointer(parked))))
		}
		prog, err := rt.LoadAsm("litmus:"+t.Name+":"+s.Name, bl, []jit.Entry{{Name: s.Name, Offset: sc.entry}})
		if err != nil {
			return nil, err
		}
		blk := prog.Block()
		ls := &liveSite{s: s, sc: sc, prog: prog, block: blk, rx: blk.RX,
			rw: uintptr(unsafe.Pointer(&blk.RW[0])), lo: lo, hi: hi, init: code[lo:hi], parked: parked}
		e.sites = append(e.sites, ls)
		byName[s.Name] = ls
	}
	e.data = make([]uint64, dataStride*(len(t.Data)+1))
	word := func(name string) *uint64 {
		for i, d := range t.Data {
			if d.Name == name {
				return &e.data[dataStride*(i+1)]
			}
		}
		panic("BUG: litmus: no data word " + name)
	}
	slotOf := func(th int, reg string) int {
		for j, r := range sp.regs {
			if r.thread == th && r.reg == reg {
				return j
			}
		}
		return -1
	}
	for _, th := range t.Threads {
		lt := &liveThread{id: th.ID, raw: make([]int64, len(sp.regs)+16)}
		for _, op := range th.Ops {
			lo := liveOp{kind: op.Kind, slot: -1}
			switch op.Kind {
			case OpWrite:
				ls := byName[op.Site]
				lo.site = ls
				lo.stores = plans[op]
				lo.base = ls.rw
				if op.Via == Same {
					lo.base = ls.rx
				}
			case OpStore:
				lo.word, lo.value = word(op.Data), uint64(op.Value)
			case OpLoad:
				lo.word, lo.slot = word(op.Data), slotOf(th.ID, op.Reg)
			case OpExec:
				ls := byName[op.Site]
				lo.site, lo.slot = ls, slotOf(th.ID, op.Reg)
				if lo.caller, err = ls.prog.Func(ls.s.Name).NewCaller(); err != nil {
					return nil, err
				}
			case OpSyncICache:
				lo.site = byName[op.Site]
			}
			lt.ops = append(lt.ops, lo)
		}
		e.threads = append(e.threads, lt)
	}
	if pin {
		e.pinPlan()
	} else {
		e.info.Notes = append(e.info.Notes, "threads not pinned (asked not to)")
	}
	e.start.n, e.end.n = int32(len(e.threads)), int32(len(e.threads))
	ok = true
	return e, nil
}

// pinPlan picks a distinct CPU for each thread from the process's affinity
// mask, when there are enough.
func (e *engine) pinPlan() {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		e.info.Notes = append(e.info.Notes, fmt.Sprintf("threads not pinned: sched_getaffinity: %v", err))
		return
	}
	var cpus []int
	for c := 0; c < len(set)*64 && len(cpus) < len(e.threads); c++ {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) < len(e.threads) {
		e.info.Notes = append(e.info.Notes, fmt.Sprintf("threads not pinned: %d threads, %d CPU(s) allowed; "+
			"the threads cannot all run at once, so outcomes that need them to overlap may not appear (a Never says little here)", len(e.threads), set.Count()))
		return
	}
	e.info.CPUs = cpus
}

// close closes the callers, the programs and the runtime.
func (e *engine) close() {
	for _, th := range e.threads {
		for _, op := range th.ops {
			if op.caller != nil {
				op.caller.Close()
			}
		}
	}
	for _, s := range e.sites {
		s.prog.Close()
	}
	e.rt.Close()
}

// reset puts every site and data word back in its initial state and makes
// that visible to every thread: the changed bytes through the RW view, the
// writer's cache maintenance, then one SYNC_CORE (every running thread of
// the process serialises before it returns).
func (e *engine) reset() {
	for _, s := range e.sites {
		copy(s.block.RW[s.lo:s.hi], s.init)
		jit.SyncICache(s.block, s.lo, s.hi-s.lo)
	}
	for i, d := range e.t.Data {
		storeRelease(&e.data[dataStride*(i+1)], uint64(d.Init))
	}
	if e.syncCore {
		membarrier.SyncCore()
	}
}

// record adds the outcome of the iteration that just ended to c, and
// counts it as parked when a park stub ran in it.
func (e *engine) record(c counters) {
	idx := 0
	for j, r := range e.sp.regs {
		idx = idx*r.radix + r.index(e.threads[r.thread].raw[j])
	}
	atomic.AddUint64(&c.outcomes[idx], 1)
	parked := false
	for _, s := range e.sites {
		if s.parked != nil && atomic.SwapUint64(s.parked, 0) != 0 {
			parked = true
		}
	}
	if parked {
		atomic.AddUint64(c.parked, 1)
	}
}

// runOps runs one thread's operations once.
func (e *engine) runOps(th *liveThread) {
	for i := range th.ops {
		e.runOp(th, &th.ops[i])
	}
}

// runOp runs one operation of th.
func (e *engine) runOp(th *liveThread, op *liveOp) {
	switch op.kind {
	case OpWrite:
		for _, st := range op.stores {
			addr := op.base + uintptr(st.off)
			switch st.width {
			case 1:
				store8(addr, uint8(st.bits))
			case 4:
				store32(addr, load32(addr)&^uint32(st.mask)|uint32(st.bits))
			case 8:
				store64(addr, load64(addr)&^st.mask|st.bits)
			}
		}
	case OpStore:
		storeRelease(op.word, op.value)
	case OpLoad:
		v := loadAcquire(op.word)
		if op.slot >= 0 {
			th.raw[op.slot] = int64(v)
		}
	case OpExec:
		v, err := op.caller.Call()
		k := -1
		if err == nil {
			k = op.site.sc.versionOf(v)
		}
		if op.slot >= 0 {
			th.raw[op.slot] = int64(k)
		}
	case OpSerialise:
		serialise()
	case OpMembarrier:
		membarrier.SyncCore()
	case OpSyncICache:
		s := op.site
		jit.SyncICache(s.block, s.lo, s.hi-s.lo) // the changed bytes, and the head of a parked site
	}
}

// run runs n iterations, counting into c. stop, when not nil, is polled at
// each reset.
//
// A thread parked in a site's stub spins in machine code, where Go cannot
// preempt it: a stop-the-world (a garbage collection) that began while the
// writer was between park and head would wait for it for good, and the
// writer would never resume to release it. The caller therefore runs the
// iterations with the collector off (they allocate nothing); syncore's own
// park stubs poll and yield instead (docs/protocols.md, SelfLoop).
func (e *engine) run(n int, c counters, stop func() bool) {
	if p := runtime.GOMAXPROCS(0); p < len(e.threads)+1 {
		runtime.GOMAXPROCS(len(e.threads) + 1)
		defer runtime.GOMAXPROCS(p)
	}
	var wg sync.WaitGroup
	for _, th := range e.threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.thread(th, n, c, stop)
		}()
	}
	wg.Wait()
}

// thread is one thread's loop: it is locked to its OS thread (and pinned)
// for good, so the OS thread ends with it.
func (e *engine) thread(th *liveThread, n int, c counters, stop func() bool) {
	runtime.LockOSThread()
	if e.info.CPUs != nil {
		var one unix.CPUSet
		one.Set(e.info.CPUs[th.id])
		unix.SchedSetaffinity(0, &one) // the calling thread; a failure leaves it unpinned
	}
	rng := rand.New(rand.NewPCG(e.seed, uint64(th.id)))
	for it := 0; ; it++ {
		e.end.wait()
		if th.id == 0 {
			if it > 0 {
				e.record(c)
				atomic.AddUint64(c.done, 1)
			}
			if it == n || stop != nil && stop() {
				e.halt.Store(true)
			} else {
				if e.fault != nil {
					e.fault(it)
				}
				e.reset()
			}
		}
		e.start.wait()
		if e.halt.Load() {
			return
		}
		if !e.syncCore {
			serialise()
		}
		if e.maxDelay > 0 {
			spin(delay(rng, e.maxDelay))
		}
		e.runOps(th)
	}
}

// delay draws a delay in [0, max] whose magnitude is log-uniform: each
// power of two up to max is as likely as any other, so that windows of a
// few instructions and of a system call (a membarrier takes microseconds)
// are all hit.
func delay(rng *rand.Rand, max uint64) uint64 {
	e := rng.IntN(bits.Len64(max) + 1)
	return rng.Uint64N(min(uint64(1)<<e, max+1))
}

// spinBarrier is a reusable barrier for a fixed number of threads that
// spins (and after a while yields the CPU, for when threads outnumber CPUs).
type spinBarrier struct {
	n     int32
	_     [60]byte
	count atomic.Int32
	_     [60]byte
	gen   atomic.Uint32
	_     [60]byte
}

func (b *spinBarrier) wait() {
	g := b.gen.Load()
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		b.gen.Add(1)
		return
	}
	for i := 0; b.gen.Load() == g; i++ {
		if i == 1<<12 {
			unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
			i = 0
		}
	}
}

// runInProcess runs all of r's iterations in this process.
func runInProcess(ctx context.Context, t *Test, sp *space, r *Result, mode jit.HeapMode, opts Options) error {
	e, err := newEngine(t, sp, mode, opts.MaxDelay, opts.Seed, !opts.NoPin)
	if err != nil {
		return err
	}
	defer e.close()
	r.addInfo(e.info)
	if t.Parks("") {
		defer debug.SetGCPercent(debug.SetGCPercent(-1)) // see engine.run
	}
	counts := make([]uint64, sp.size)
	var done, parked uint64
	e.run(opts.Iterations, counters{counts, &done, &parked}, func() bool { return ctx.Err() != nil })
	r.tally(sp, counts, 0)
	r.tallyParked(t, parked)
	if ctx.Err() != nil {
		r.Stopped = "stopped: " + ctx.Err().Error()
	}
	return ctx.Err()
}
