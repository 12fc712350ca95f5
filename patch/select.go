package patch

import (
	"fmt"
	"runtime"
	"slices"

	"github.com/syncore/syncore/membarrier"
)

// FallbackOrder is the order in which New tries barrier strategies on this
// GOARCH when none is named: FallbackOrderFor(runtime.GOARCH). New reads it
// each time it chooses, so a program may set it before calling New.
var FallbackOrder = FallbackOrderFor(runtime.GOARCH)

// FallbackOrderFor returns, as a new slice, the order in which New tries
// barrier strategies on goarch when none is named. PRIVATE_EXPEDITED is
// never chosen on its own: it is not core-serialising.
//
//   - amd64, 386: synccore, mprotect, global. SYNC_CORE has the
//     architectural guarantee; the mprotect shootdown is an IPI whose
//     interrupt return (IRET) serialises every CPU running the process —
//     in practice, not architecturally — at microseconds, so it comes
//     before membarrier GLOBAL (an RCU grace period: milliseconds).
//   - every other GOARCH (ppc64le, ppc64 and arm64 in particular):
//     synccore, global, mprotect. Book3S64 Linux invalidates TLBs with
//     broadcast tlbie, and arm64 Linux with broadcast TLBI instructions,
//     both without an IPI, so the mprotect shootdown gives the other CPUs
//     no context-synchronising event (MProtect.Serialising is false there);
//     it is the last resort, chosen only when GLOBAL is unavailable too,
//     and the reason New gives says that it is not serialising. SYNC_CORE
//     comes first everywhere: arm64 Linux implements it too
//     (ARCH_HAS_MEMBARRIER_SYNC_CORE), relying on exception return being
//     context-synchronising.
func FallbackOrderFor(goarch string) []string {
	if mprotectSerialises(goarch) {
		return []string{"synccore", "mprotect", "global"}
	}
	return []string{"synccore", "global", "mprotect"}
}

// chooseBarrier returns the strategy called name ("" or "auto": the first
// of FallbackOrder that works), with a sentence saying why it is the one.
// syncCore is the result of registering for SYNC_CORE (jit.New does it);
// query reports the commands membarrier supports (nil: membarrier.Query).
func chooseBarrier(name string, syncCore error, query func() (membarrier.CmdSet, error)) (Barrier, string, error) {
	return chooseBarrierFor(runtime.GOARCH, FallbackOrder, name, syncCore, query)
}

// chooseBarrierFor is chooseBarrier as it runs on goarch, trying order when
// no strategy is named; the reasons it gives describe goarch's kernel.
func chooseBarrierFor(goarch string, order []string, name string, syncCore error, query func() (membarrier.CmdSet, error)) (Barrier, string, error) {
	if query == nil {
		query = membarrier.Query
	}
	make1 := func(n string) (Barrier, string, error) {
		switch n {
		case "synccore":
			if syncCore != nil {
				return nil, "", fmt.Errorf("%w: synccore: registering for SYNC_CORE failed: %w", ErrBarrier, syncCore)
			}
			return SyncCore{}, "membarrier PRIVATE_EXPEDITED_SYNC_CORE, registered once at start-up", nil
		case "expedited":
			if err := membarrier.Register(membarrier.CmdRegisterPrivateExpedited); err != nil {
				return nil, "", fmt.Errorf("%w: expedited: %w", ErrBarrier, err)
			}
			return Expedited{}, "membarrier PRIVATE_EXPEDITED (a memory barrier, not core-serialising)", nil
		case "mprotect":
			m, err := newMProtect(goarch)
			if err != nil {
				return nil, "", err
			}
			if m.Serialising() {
				return m, "mprotect TLB shootdown on a dedicated page (serialising in practice via IPI and interrupt return, not architecturally)", nil
			}
			return m, "mprotect TLB shootdown on a dedicated page (NOT core-serialising on " + goarch + ": " + mprotectWhyNot(goarch) + ")", nil
		case "handshake":
			return NewHandshake(), "cooperative handshake: workers locked to their OS threads acknowledge at safepoints after a serialising instruction", nil
		case "global":
			set, err := query()
			if err != nil {
				return nil, "", fmt.Errorf("%w: global: %w", ErrBarrier, err)
			}
			if !set.Has(membarrier.CmdGlobal) {
				return nil, "", fmt.Errorf("%w: global: the kernel does not offer MEMBARRIER_CMD_GLOBAL (QUERY = %v)", ErrBarrier, set)
			}
			return Global{}, "membarrier GLOBAL (an RCU grace period per barrier)", nil
		case "none":
			return None{}, "no barrier (unsafe: a negative control)", nil
		}
		return nil, "", fmt.Errorf("%w: unknown strategy %q (want one of %v)", ErrBarrier, n, BarrierNames)
	}
	if name != "" && name != "auto" {
		return make1(name)
	}
	var why string
	for i, n := range order {
		b, reason, err := make1(n)
		if err == nil {
			if n == "global" && !mprotectSerialises(goarch) && slices.Contains(order[i+1:], "mprotect") {
				reason += ", tried before mprotect because on " + goarch + " the mprotect shootdown is not serialising: " + mprotectWhyNot(goarch)
			}
			if why != "" {
				reason = why + "; chose " + n + ": " + reason
			}
			return b, reason, nil
		}
		if why != "" {
			why += "; "
		}
		why += err.Error()
	}
	return nil, "", fmt.Errorf("%w: no strategy works here: %s", ErrBarrier, why)
}

// mprotectWhyNot says why the mprotect shootdown does not serialise the
// other CPUs on goarch.
func mprotectWhyNot(goarch string) string {
	switch goarch {
	case "ppc64le", "ppc64":
		return "Book3S64 Linux flushes TLBs with broadcast tlbie, no IPI, so other CPUs get no context-synchronising event"
	case "arm64":
		return "arm64 Linux flushes TLBs with broadcast TLBI instructions, no IPI, so other CPUs get no context synchronization event"
	}
	return "the kernel is not known to flush TLBs with IPIs here"
}
