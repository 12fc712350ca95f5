package jit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/syncore/syncore/membarrier"
)

// Reclaiming code: retire first, free after a grace period.
//
// A program's block may be freed (filled with traps, then reused by later
// programs) only when no thread can be running in it. syncore finds that
// moment without stopping the world, the way liburcu's membarrier flavour
// (urcu-memb) lets RCU readers run without fences of their own (on amd64;
// for what ppc64le pays, see the costs below):
//
//   - Every call context (the JIT stack a call runs on: a Caller's, or one
//     of the runtime's pooled stacks for Func.Call and CallContext) has a
//     mark word. An entry into machine code stores the runtime's current
//     phase, and the entry program's id in the low bits, in it with one
//     plain store, then loads the program's closed flag; the return to Go
//     stores 0. A call parked in a yield keeps its mark: it is still inside.
//   - Program.Close sets closed, interrupts the calls in flight, increments
//     the phase, and issues membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED):
//     every thread that runs now executes a full memory barrier, and one that
//     does not run passes through the scheduler (also a full barrier). So a
//     mark stored before that point is visible to the reclaimer, and a call
//     entering after it sees closed and leaves without running anything.
//   - The reclaimer then reads every mark once. A context whose mark is 0 is
//     outside; one whose mark is the new phase entered after closed was set
//     (the phase is loaded before closed, in order: on amd64 by TSO, which
//     keeps loads in order; on ppc64le by the SYNC that Go's atomic load of
//     closed begins with). A context that entered through a program that can
//     never reach the block (neither the program closed nor one whose call
//     sites called into it, directly or through others, and whose own Close
//     has not yet waited out its calls) is not waited for either: busy
//     callers of unrelated code do not hold up a Close.
//     Any other context may be running in the block: the reclaimer waits
//     until that mark changes, i.e. that call has returned.
//   - Only then are traps written (under the runtime's writer lock) and the
//     block handed back to the heap.
//
// What the marks cost depends on the ISA, because Go's sync/atomic loads
// and stores are sequentially consistent:
//
//   - amd64: an atomic load is a plain MOV and an atomic store an XCHG. The
//     entry costs one load (the phase) and one plain store (the mark) more
//     than a call without marks, the return one plain store: no atomic
//     read-modify-write and no fence. TSO may still perform the closed load
//     before the mark store is visible; the membarrier is what orders them.
//   - ppc64le: an atomic load is SYNC; ld; cmp; bne; isync, an atomic store
//     SYNC; st. The entry costs the phase load's SYNC on top of the plain
//     mark store, and leave's atomic store another SYNC. The SYNC that the
//     closed load begins with is a full barrier between the mark store and
//     that load, so on ppc64le the entry is ordered without the membarrier;
//     it is kept, one mechanism for both ISAs (it costs the reclaimer, not
//     the calls).
//
// Where membarrier PRIVATE_EXPEDITED cannot be used, the reclaimer falls
// back to SYNC_CORE (which is also a full barrier), then GLOBAL (an RCU
// grace period, milliseconds), and last to fenced marks: each entry then
// stores its mark with an atomic store (amd64: XCHG, a full barrier;
// ppc64le: SYNC then the store, with the closed load's SYNC after it),
// which orders it without any help. Info.Reclaim says which mechanism is
// in use.

// ReclaimMode says how Program.Close frees code.
type ReclaimMode int

const (
	// ReclaimGrace (the default) frees a closed program's code only after a
	// grace period in which no thread can be running it.
	ReclaimGrace ReclaimMode = iota
	// ReclaimUnsafe frees the code at once, even while calls run in it: the
	// negative control that the stress harness must catch (crashes, wrong
	// results). Never use it for anything else.
	ReclaimUnsafe
)

func (m ReclaimMode) String() string {
	switch m {
	case ReclaimGrace:
		return "grace"
	case ReclaimUnsafe:
		return "unsafe"
	}
	return fmt.Sprintf("ReclaimMode(%d)", int(m))
}

// ParseReclaimMode returns the mode called s ("grace" or "unsafe").
func ParseReclaimMode(s string) (ReclaimMode, error) {
	switch s {
	case "grace", "":
		return ReclaimGrace, nil
	case "unsafe":
		return ReclaimUnsafe, nil
	}
	return 0, fmt.Errorf("jit: unknown reclaim mode %q (want grace or unsafe)", s)
}

// ErrInUse: the program cannot be closed yet: call sites of other programs
// still call into it (retarget them first).
var ErrInUse = errors.New("jit: program in use")

// A mark is phase<<idBits | the entry program's id (its low idBits bits;
// ids that collide only make a Close wait for more calls than it must).
const (
	idBits = 24
	idMask = 1<<idBits - 1
)

// markStride is the distance between two mark words: a cache line on both
// ISAs (128 bytes on POWER), so that threads marking their entries do not
// share lines.
const markStride = 128

// readers holds the mark word of every call context of a runtime.
type readers struct {
	phase atomic.Uint64 // starts at 1; Close increments it

	// fence: entries store their marks with an atomic store (amd64: XCHG)
	// because no membarrier can order plain stores here.
	fence   bool
	barrier func() error // orders the marks before the reclaimer reads them; nil with fence
	mech    string       // the mechanism, in words (Info.Reclaim)

	mu    sync.Mutex
	pages [][]byte  // mmap'd: marks live outside the Go heap
	all   []*uint64 // every mark handed out
	free  []*uint64 // marks of contexts that are gone

	graces atomic.Uint64 // grace periods completed (for tests and reports)
}

// registerFn registers the process for a membarrier command; a variable so
// that tests can make registrations fail.
var registerFn = membarrier.Register

// queryFn reports the membarrier commands; a variable for tests.
var queryFn = membarrier.Query

// choose picks how marks are ordered: PRIVATE_EXPEDITED, else SYNC_CORE
// (registered already when syncCore is nil), else GLOBAL (global: the
// kernel offers it, as New found), else fenced marks. It registers
// PRIVATE_EXPEDITED (once, at start-up: a registration waits for an RCU
// grace period).
func (r *readers) choose(syncCore error, global bool) {
	r.phase.Store(1)
	err := registerFn(membarrier.CmdRegisterPrivateExpedited)
	if err == nil {
		r.barrier = func() error { return membarrier.Barrier(membarrier.CmdPrivateExpedited) }
		r.mech = "membarrier PRIVATE_EXPEDITED (registered at start-up)"
		return
	}
	why := "PRIVATE_EXPEDITED: " + err.Error()
	if syncCore == nil {
		r.barrier = membarrier.SyncCore
		r.mech = "membarrier PRIVATE_EXPEDITED_SYNC_CORE (" + why + ")"
		return
	}
	if global {
		r.barrier = func() error { return membarrier.Barrier(membarrier.CmdGlobal) }
		r.mech = "membarrier GLOBAL, an RCU grace period per reclamation (" + why + "; SYNC_CORE: " + syncCore.Error() + ")"
		return
	}
	r.fence = true
	r.mech = "fenced entry marks, an atomic store per call (no usable membarrier: " + why + ")"
}

// mark returns a zeroed mark word for a new call context.
func (r *readers) mark() (*uint64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.free); n > 0 {
		m := r.free[n-1]
		r.free = r.free[:n-1]
		return m, nil
	}
	pg := os.Getpagesize()
	page, err := mapData(pg)
	if err != nil {
		return nil, fmt.Errorf("jit: map a page of entry marks: %w", err)
	}
	r.pages = append(r.pages, page)
	for off := pg - markStride; off >= 0; off -= markStride {
		r.free = append(r.free, (*uint64)(unsafe.Pointer(&page[off])))
	}
	for off := 0; off < pg; off += markStride {
		r.all = append(r.all, (*uint64)(unsafe.Pointer(&page[off])))
	}
	m := r.free[len(r.free)-1]
	r.free = r.free[:len(r.free)-1]
	return m, nil
}

// release gives back the mark of a context that no call uses any more.
func (r *readers) release(m *uint64) {
	r.mu.Lock()
	atomic.StoreUint64(m, 0)
	r.free = append(r.free, m)
	r.mu.Unlock()
}

// enter marks a call context as inside JIT code entered through the
// program whose id is id: a plain store of the current phase and the id (an
// atomic store where no membarrier orders it). The caller loads the closed
// flag of the program it calls afterwards.
func (r *readers) enter(m *uint64, id uint64) {
	// amd64: a plain MOV; ppc64le: SYNC, ld, cmp; bne; isync. id < 1<<idBits.
	v := r.phase.Load()<<idBits | id
	if r.fence {
		atomic.StoreUint64(m, v)
		return
	}
	*m = v
}

// leave marks a call context as outside JIT code. On amd64 a plain store
// (TSO keeps it after every load the call made); elsewhere an atomic store,
// so that no load from the code being reclaimed (a data slot) is performed
// after the reclaimer can see the 0: on ppc64le Go compiles it to SYNC then
// the store, a full barrier where a release (lwsync) would do, but
// sync/atomic offers no release-only store.
func leave(m *uint64) {
	if runtime.GOARCH == "amd64" {
		*m = 0
		return
	}
	atomic.StoreUint64(m, 0)
}

// waiter is a context that may be running in code being reclaimed.
type waiter struct {
	m    *uint64
	seen uint64
}

// synchronize waits for a grace period: until every call that may have
// entered before it began through a program whose id is in ids (nil: any
// program) has returned. See the comment at the top of the file for why
// this is enough.
func (r *readers) synchronize(ctx context.Context, ids []uint64) error {
	next := r.phase.Add(1)
	if r.barrier != nil {
		if err := r.barrier(); err != nil {
			return fmt.Errorf("grace period: %s: %w", r.mech, err)
		}
	}
	var wait []waiter
	r.mu.Lock()
	for _, m := range r.all {
		v := atomic.LoadUint64(m)
		if v != 0 && v>>idBits < next && (ids == nil || slices.Contains(ids, v&idMask)) {
			wait = append(wait, waiter{m, v})
		}
	}
	r.mu.Unlock()
	for spins := 0; ; spins++ {
		n := 0
		for _, w := range wait {
			if atomic.LoadUint64(w.m) == w.seen {
				wait[n] = w
				n++
			}
		}
		wait = wait[:n]
		if n == 0 {
			r.graces.Add(1)
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("grace period: %d call(s) still running: %w", n, err)
		}
		switch {
		case spins < 64:
			// most calls are short: look again soon
		case spins < 256:
			runtime.Gosched()
		default:
			time.Sleep(50 * time.Microsecond)
		}
	}
}
