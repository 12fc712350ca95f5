package litmus

import (
	"strings"
	"syscall"
	"testing"

	"github.com/syncore/syncore/membarrier"
)

// TestSyncCoreNA: a test that issues membarrier is not applicable where
// QUERY fails or does not offer SYNC_CORE, and the reason says which; a test
// that does not is applicable whatever QUERY says (and is not asked).
func TestSyncCoreNA(t *testing.T) {
	uses, err := ParseFile("m.litmus", []byte("litmus m\nsite f branch old new\nthread 0\n    write f new\n    membarrier\nthread 1\n    r = exec f\nexists (1:r=torn)\n"))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := ParseFile("p.litmus", []byte("litmus p\nsite f branch old new\nthread 0\n    write f new\nthread 1\n    r = exec f\nexists (1:r=torn)\n"))
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "not applicable: membarrier SYNC_CORE is unavailable here: "
	enosys := func() (membarrier.CmdSet, error) { return 0, syscall.ENOSYS }
	noSyncCore := func() (membarrier.CmdSet, error) {
		return membarrier.CmdSet(membarrier.CmdGlobal | membarrier.CmdPrivateExpedited | membarrier.CmdRegisterPrivateExpedited), nil
	}
	all := func() (membarrier.CmdSet, error) { return membarrier.AllCmds, nil }
	asked := false
	never := func() (membarrier.CmdSet, error) { asked = true; return 0, syscall.ENOSYS }

	if na := syncCoreNA(uses, enosys); na != prefix+syscall.ENOSYS.Error() {
		t.Errorf("QUERY failing: %q", na)
	}
	if na := syncCoreNA(uses, noSyncCore); !strings.HasPrefix(na, prefix) || !strings.Contains(na, "PRIVATE_EXPEDITED_SYNC_CORE") {
		t.Errorf("no SYNC_CORE in QUERY: %q", na)
	}
	if na := syncCoreNA(uses, all); na != "" {
		t.Errorf("SYNC_CORE offered: %q", na)
	}
	if na := syncCoreNA(plain, never); na != "" || asked {
		t.Errorf("a test without membarrier: %q (QUERY asked: %v)", na, asked)
	}
	r := &Result{NotApplicable: syncCoreNA(uses, noSyncCore)}
	if got := r.status(); got != "not applicable" {
		t.Errorf("status %q", got)
	}
	r.NotApplicable = "not applicable on this heap: x"
	if got := r.status(); got != "not applicable on this heap" {
		t.Errorf("status %q", got)
	}
}
