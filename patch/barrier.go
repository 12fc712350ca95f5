package patch

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

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
	// Power ISA Book II CMODX).
	Serialising() bool
}

// Barrier strategy names, in the order jitdemo lists them.
var BarrierNames = []string{"synccore", "expedited", "mprotect", "handshake", "global", "none"}

// ErrBarrier: a barrier strategy cannot be used here; the error says why.
var ErrBarrier = errors.New("patch: barrier unavailable")

// SyncCore is membarrier PRIVATE_EXPEDITED_SYNC_CORE: every running sibling
// thread executes a core-serialising instruction before Sync returns. It
// needs the process to be registered (jit.New does it once).
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
// every CPU has passed a quiescent state (a context switch or a return to
// user space, which is serialising on x86 and context-synchronising on
// Power). Milliseconds per call; needs no registration.
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
// the kernel must flush that page's TLB entry on every CPU that may cache
// it — every CPU running a thread of this process — with an IPI, and
// returning from the interrupt serialises those CPUs (x86 IRET). Permission
// is given back afterwards (an upgrade needs no shootdown). Serialising in
// practice, not by any architectural promise; needs no membarrier at all.
type MProtect struct {
	mu   sync.Mutex
	page []byte
}

// NewMProtect maps the dedicated page.
func NewMProtect() (*MProtect, error) {
	page, err := unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("%w: mprotect: map a page: %w", ErrBarrier, err)
	}
	return &MProtect{page: page}, nil
}

func (*MProtect) Name() string      { return "mprotect" }
func (*MProtect) Serialising() bool { return true }

func (m *MProtect) Sync() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	// The write makes the PTE present and dirty, so taking away write
	// permission requires a shootdown.
	atomic.AddUint32((*uint32)(unsafe.Pointer(&m.page[0])), 1)
	if err := unix.Mprotect(m.page, unix.PROT_READ); err != nil {
		return fmt.Errorf("patch: mprotect barrier: %w", err)
	}
	if err := unix.Mprotect(m.page, unix.PROT_READ|unix.PROT_WRITE); err != nil {
		return fmt.Errorf("patch: mprotect barrier: %w", err)
	}
	return nil
}

// Handshake is the cooperative barrier: every thread that runs JIT code
// joins it and calls [Participant.Safepoint] between calls; Sync advances an
// epoch and waits until every participant has executed a serialising
// instruction (cpuid on amd64, isync on ppc64le) and acknowledged it. Its
// cost depends on how long the participants' calls are, and a participant
// that stops calling Safepoint without leaving stalls it (Sync gives up
// after Timeout with an error).
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

// Participant is one thread taking part in a Handshake.
type Participant struct {
	h    *Handshake
	seen atomic.Uint64
}

// Join adds a participant. Call Safepoint from its thread between JIT calls
// and Leave when it stops calling.
func (h *Handshake) Join() *Participant {
	p := &Participant{h: h}
	p.seen.Store(h.epoch.Load())
	h.mu.Lock()
	h.members[p] = struct{}{}
	h.mu.Unlock()
	return p
}

// Safepoint acknowledges a pending handshake, after a serialising
// instruction. It costs one atomic load when none is pending.
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
