package patch

import (
	"fmt"

	"github.com/syncore/syncore/membarrier"
)

// FallbackOrder is the order in which New tries barrier strategies when
// none is named: SYNC_CORE (architectural guarantee), then the mprotect
// shootdown (serialising in practice, needs no membarrier), then membarrier
// GLOBAL (an RCU grace period: slow but serialising). PRIVATE_EXPEDITED is
// never chosen on its own: it is not core-serialising.
var FallbackOrder = []string{"synccore", "mprotect", "global"}

// chooseBarrier returns the strategy called name ("" or "auto": the first
// of FallbackOrder that works), with a sentence saying why it is the one.
// syncCore is the result of registering for SYNC_CORE (jit.New does it);
// query reports the commands membarrier supports (nil: membarrier.Query).
func chooseBarrier(name string, syncCore error, query func() (membarrier.CmdSet, error)) (Barrier, string, error) {
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
			m, err := NewMProtect()
			if err != nil {
				return nil, "", err
			}
			return m, "mprotect TLB shootdown on a dedicated page (serialising in practice via IPI and interrupt return)", nil
		case "handshake":
			return NewHandshake(), "cooperative handshake: workers acknowledge at safepoints after a serialising instruction", nil
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
	for _, n := range FallbackOrder {
		b, reason, err := make1(n)
		if err == nil {
			if why != "" {
				reason = why + "; chose " + reason
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
