//go:build !linux

package membarrier_test

import (
	"errors"
	"testing"

	"github.com/syncore/syncore/membarrier"
)

// Off Linux every call fails with ErrUnsupported, after the same argument
// checks as on Linux (ErrInvalidCmd without a system call).
func TestUnsupportedOffLinux(t *testing.T) {
	calls := map[string]error{
		"Register":      membarrier.Register(membarrier.CmdRegisterPrivateExpeditedSyncCore),
		"Barrier":       membarrier.Barrier(membarrier.CmdGlobal),
		"SyncCore":      membarrier.SyncCore(),
		"BarrierOnCPU":  membarrier.BarrierOnCPU(membarrier.CmdPrivateExpeditedRseq, 0),
		"Query":         func() error { _, err := membarrier.Query(); return err }(),
		"Registrations": func() error { _, err := membarrier.Registrations(); return err }(),
	}
	for name, err := range calls {
		var me *membarrier.Error
		if !errors.Is(err, membarrier.ErrUnsupported) || !errors.As(err, &me) {
			t.Errorf("%s: got %v, want a *membarrier.Error matching ErrUnsupported", name, err)
		}
	}
	if err := membarrier.Register(membarrier.CmdGlobal); !errors.Is(err, membarrier.ErrInvalidCmd) {
		t.Errorf("Register(GLOBAL): got %v, want ErrInvalidCmd", err)
	}
}
