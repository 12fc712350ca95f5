package patch

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/syncore/syncore/membarrier"
)

// Barrier makes the other threads of the process catch up with code the
// patcher has just written: when Sync returns nil, the guarantee its Name
// stands for holds (see the strategies below). A protocol calls Sync once
// per phase.
type Barrier interface {
	// Name is the strategy's name as jitdemo spells it, e.g. "synccore".
	Name() string
	// Sync issues the barrier.
	Sync() error
	// Serialising reports whether, after Sync, every running thread has
	// executed a core-serialising instruction (or context-synchronising
	// event), which cross-modifying code needs (Intel SDM Vol. 3 §8.1.3,
	// Power ISA Book II CMODX, Arm ARM DDI 0487 B2.2.5).
	Serialising() bool
}

// Barrier strategy names, in the order jitdemo lists them.
var BarrierNames = []string{"synccore", "expedited", "mprotect", "handshake", "global", "none"}

// ErrBarrier: a barrier strategy cannot be used here; the error says why.
var ErrBarrier = errors.New("patch: barrier unavailable")

// SyncCore is membarrier PRIVATE_EXPEDITED_SYNC_CORE: every running sibling
// thread executes a core-serialising instruction (x86) or a
// context-synchronising event (Power, arm64: the kernel relies on the
// return from the IPI, an exception return, being context-synchronising)
// before Sync returns. It needs the process to be registered (jit.New does
// it once).
type SyncCore struct{}

func (SyncCore) Name() string      { return "synccore" }
func (SyncCore) Sync() error       { return membarrier.SyncCore() }
func (SyncCore) Serialising() bool { return true }

// Expedited is membarrier PRIVATE_EXPEDITED: a full memory barrier on every
// running sibling thread — not core-serialising, so not enough for
// cross-modified code on paper. Measured beside SyncCore for comparison.
type Expedited struct{}

func (Expedited) Name() string      { return "expedited" }
func (Expedited) Sync() error       { return membarrier.Barrier(membarrier.CmdPrivateExpedited) }
func (Expedited) Serialising() bool { return false }

// Global is membarrier GLOBAL: waits for an RCU grace period, after which
// every CPU has passed a quiescent state (a context switch, idle, or user
// mode seen from a timer interrupt). membarrier(2) promises a memory barrier
// only; the kernel entries and exits involved are context-synchronising on
// Power and arm64 (exception entry and return) and serialising in practice
// on x86 (an interrupt returns with IRET), which is what Serialising
// reports. A CPU running user code in nohz_full mode is in an extended
// quiescent state and is not interrupted at all: there it guarantees no
// serialisation. Milliseconds per call; needs no registration.
type Global struct{}

func (Global) Name() string      { return "global" }
func (Global) Sync() error       { return membarrier.Barrier(membarrier.CmdGlobal) }
func (Global) Serialising() bool { return true }

// None does nothing: the negative control of the stress harness.
type None struct{}

func (None) Name() string      { return "none" }
func (None) Sync() error       { return nil }
func (None) Serialising() bool { return false }

// MProtect is the TLB-shootdown trick (.NET's FlushProcessWriteBuffers on
// Linux): write to a dedicated page, then remove write permission from it;
// the kernel must invalidate that page's TLB entry on every CPU that may
// cache it — every CPU running a thread of this process. Permission is
// given back afterwards (an upgrade needs no shootdown). It needs no
// membarrier at all.
//
// Whether that serialises the other CPUs depends on how the kernel
// invalidates, not on any architectural promise:
//
//   - x86 (amd64, 386): Linux sends an IPI to each such CPU, and the return
//     from the interrupt (IRET) is serialising. Serialising in practice,
//     not architecturally: Serialising reports true.
//   - ppc64le, ppc64 (Book3S64): Linux invalidates with broadcast tlbie —
//     no IPI, so no interrupt and no context-synchronising event on the
//     other CPUs. The TLB entry is gone, but a CPU may go on executing
//     instructions it fetched before the patch: Serialising reports false.
//   - arm64: Linux invalidates with broadcast TLBI instructions (TLBI
//     VALE1IS and the like, then DSB ISH) — no IPI either, so no exception
//     and no context synchronization event on the other CPUs: as on Power,
//     a CPU may go on executing instructions it fetched before the patch.
//     Serialising reports false.
//   - everywhere else: not known to be serialising; Serialising reports
//     false.
//
// The automatic choice (FallbackOrder) therefore tries it before GLOBAL only
// on x86.
type MProtect struct {
	mu     sync.Mutex
	page   []byte
	goarch string // whose kernel's shootdown Serialising describes
}

// NewMProtect maps the dedicated page.
func NewMProtect() (*MProtect, error) { return newMProtect(runtime.GOARCH) }

// newMProtect is NewMProtect for a barrier whose Serialising describes
// goarch (tests select the strategy as another GOARCH would).
func newMProtect(goarch string) (*MProtect, error) {
	page, err := mapPage()
	if err != nil {
		return nil, fmt.Errorf("%w: mprotect: map a page: %w", ErrBarrier, err)
	}
	return &MProtect{page: page, goarch: goarch}, nil
}

func (*MProtect) Name() string { return "mprotect" }

// Serialising reports true on x86 only, where the shootdown is an IPI whose
// interrupt return serialises each CPU (in practice, not architecturally);
// false on ppc64le and ppc64 (broadcast tlbie, no IPI), arm64 (broadcast
// TLBI, no IPI) and elsewhere.
func (m *MProtect) Serialising() bool { return mprotectSerialises(m.goarch) }

// mprotectSerialises reports whether the mprotect shootdown serialises the
// other CPUs on goarch ("" means runtime.GOARCH).
func mprotectSerialises(goarch string) bool {
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	switch goarch {
	case "amd64", "386":
		return true // IPI + IRET: serialising in practice, not architecturally
	}
	return false // ppc64le/ppc64: broadcast tlbie; arm64: broadcast TLBI; no IPI. Others: not known
}

func (m *MProtect) Sync() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	// The write makes the PTE present and dirty, so taking away write
	// permission requires a shootdown.
	atomic.AddUint32((*uint32)(unsafe.Pointer(&m.page[0])), 1)
	if err := protect(m.page, false); err != nil {
		return fmt.Errorf("patch: mprotect barrier: %w", err)
	}
	if err := protect(m.page, true); err != nil {
		return fmt.Errorf("patch: mprotect barrier: %w", err)
	}
	return nil
}

// Handshake is the cooperative barrier: every thread that runs JIT code
// joins it and calls [Participant.Safepoint] between calls; Sync advances an
// epoch and waits until every participant has executed a serialising
// instruction (cpuid on amd64, isync on ppc64le, ISB on arm64) and
// acknowledged it. Its cost depends on how long the participants' calls
// are, and a participant that stops calling Safepoint without leaving
// stalls it (Sync gives up after Timeout with an error).
//
// A participant is an OS thread, not a goroutine: the serialising
// instruction serialises only the core that executes it. A goroutine that
// takes part must call runtime.LockOSThread before Join and stay locked
// until after Leave, and run its JIT calls and its Safepoint calls on that
// thread. Otherwise the Go scheduler may move it to another thread after
// Safepoint — one that never serialised — and it would run patched code
// there with nothing to show for the acknowledgement. Threads that never
// joined get no guarantee at all.
type Handshake struct {
	epoch   atomic.Uint64
	mu      sync.Mutex
	members map[*Participant]struct{}
	Timeout time.Duration // default 1s
}

// NewHandshake returns a handshake barrier with no participants.
func NewHandshake() *Handshake {
	return &Handshake{members: map[*Participant]struct{}{}, Timeout: time.Second}
}

func (*Handshake) Name() string      { return "handshake" }
func (*Handshake) Serialising() bool { return true }

// Participant is one OS thread taking part in a Handshake: the goroutine
// that holds it must be locked to its thread (runtime.LockOSThread) from
// Join until Leave, and is the only one that may call its Safepoint.
type Participant struct {
	h    *Handshake
	seen atomic.Uint64
}

// Join adds a participant for the calling OS thread. Call it after
// runtime.LockOSThread, from the goroutine that will run the JIT calls; call
// Safepoint from that goroutine between JIT calls, and Leave when it stops
// calling, before it unlocks its thread. The serialising instruction in
// Safepoint serialises only the core the thread runs on, so an unlocked
// goroutine could migrate to a thread that never serialised.
func (h *Handshake) Join() *Participant {
	p := &Participant{h: h}
	p.seen.Store(h.epoch.Load())
	h.mu.Lock()
	h.members[p] = struct{}{}
	h.mu.Unlock()
	return p
}

// Safepoint acknowledges a pending handshake, after a serialising
// instruction on the calling thread. It costs one atomic load when none is
// pending. Call it only from the participant's own goroutine, locked to its
// OS thread (see Join): the acknowledgement stands for that thread alone.
func (p *Participant) Safepoint() {
	if e := p.h.epoch.Load(); e != p.seen.Load() {
		serialize()
		p.seen.Store(e)
	}
}

// Leave removes the participant; Sync no longer waits for it.
func (p *Participant) Leave() {
	p.h.mu.Lock()
	delete(p.h.members, p)
	p.h.mu.Unlock()
}

func (h *Handshake) Sync() error {
	e := h.epoch.Add(1)
	deadline := time.Now().Add(h.Timeout)
	for spins := 0; ; spins++ {
		h.mu.Lock()
		waiting := 0
		for p := range h.members {
			if p.seen.Load() < e {
				waiting++
			}
		}
		h.mu.Unlock()
		if waiting == 0 {
			return nil
		}
		if spins%64 == 63 && time.Now().After(deadline) {
			return fmt.Errorf("patch: handshake: %d participant(s) did not reach a safepoint within %v", waiting, h.Timeout)
		}
		if spins > 16 {
			runtime.Gosched() // a sleep would round up to tens of µs
		}
	}
}
