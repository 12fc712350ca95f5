package patch

import (
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/membarrier"
)

// TestFallbackOrderPerGOARCH: the automatic order tries the mprotect
// shootdown before membarrier GLOBAL only where the shootdown serialises the
// other CPUs (x86: IPI + IRET); on Power, where Book3S64 Linux flushes with
// broadcast tlbie and sends no IPI, and on arm64, where Linux flushes with
// broadcast TLBI and sends none either, GLOBAL comes first.
func TestFallbackOrderPerGOARCH(t *testing.T) {
	for _, tc := range []struct {
		goarch      string
		want        []string
		serialising bool // MProtect.Serialising on that GOARCH
	}{
		{"amd64", []string{"synccore", "mprotect", "global"}, true},
		{"386", []string{"synccore", "mprotect", "global"}, true},
		{"ppc64le", []string{"synccore", "global", "mprotect"}, false},
		{"ppc64", []string{"synccore", "global", "mprotect"}, false},
		{"arm64", []string{"synccore", "global", "mprotect"}, false},
	} {
		t.Run(tc.goarch, func(t *testing.T) {
			assert.Equal(t, tc.want, FallbackOrderFor(tc.goarch))
			assert.Equal(t, tc.serialising, mprotectSerialises(tc.goarch))
			m, err := newMProtect(tc.goarch)
			require.NoError(t, err)
			assert.Equal(t, tc.serialising, m.Serialising(), "MProtect.Serialising as %s", tc.goarch)
			assert.NotContains(t, FallbackOrderFor(tc.goarch), "expedited", "PRIVATE_EXPEDITED is not core-serialising")
		})
	}

	t.Run("this GOARCH", func(t *testing.T) {
		assert.Equal(t, FallbackOrderFor(runtime.GOARCH), FallbackOrder)
		m, err := NewMProtect()
		require.NoError(t, err)
		onX86 := runtime.GOARCH == "amd64" || runtime.GOARCH == "386"
		assert.Equal(t, onX86, m.Serialising(), "NewMProtect on %s", runtime.GOARCH)
	})

	t.Run("a fresh slice", func(t *testing.T) {
		o := FallbackOrderFor("amd64")
		o[0] = "none"
		assert.Equal(t, "synccore", FallbackOrderFor("amd64")[0])
	})
}

// TestSelectBarrierPerGOARCH runs the automatic choice as each GOARCH would,
// with SYNC_CORE registration and membarrier QUERY injected, and checks the
// strategy chosen and that the reason says why.
func TestSelectBarrierPerGOARCH(t *testing.T) {
	denied := &membarrier.Error{Op: "register", Cmd: membarrier.CmdRegisterPrivateExpeditedSyncCore,
		Kind: membarrier.ErrUnsupported}
	withGlobal := func() (membarrier.CmdSet, error) {
		return membarrier.CmdSet(membarrier.CmdQuery | membarrier.CmdGlobal), nil
	}
	noGlobal := func() (membarrier.CmdSet, error) { return 0, errors.New("no membarrier here") }

	for _, tc := range []struct {
		name        string
		goarch      string
		strategy    string // "" : automatic
		syncCore    error
		query       func() (membarrier.CmdSet, error)
		want        string
		serialising bool
		why         []string // substrings of the reason
		whyNot      []string // must not appear in the reason
	}{
		{name: "amd64/synccore", goarch: "amd64", query: withGlobal,
			want: "synccore", serialising: true, why: []string{"PRIVATE_EXPEDITED_SYNC_CORE"}},
		{name: "ppc64le/synccore", goarch: "ppc64le", query: withGlobal,
			want: "synccore", serialising: true, why: []string{"PRIVATE_EXPEDITED_SYNC_CORE"}},
		{name: "arm64/synccore", goarch: "arm64", query: withGlobal,
			want: "synccore", serialising: true, why: []string{"PRIVATE_EXPEDITED_SYNC_CORE"}},

		{name: "amd64/no synccore", goarch: "amd64", syncCore: denied, query: withGlobal,
			want: "mprotect", serialising: true,
			why:    []string{"synccore: registering for SYNC_CORE failed", "chose mprotect", "serialising in practice via IPI", "not architecturally"},
			whyNot: []string{"NOT core-serialising", "chose global"}},
		{name: "ppc64le/no synccore", goarch: "ppc64le", syncCore: denied, query: withGlobal,
			want: "global", serialising: true,
			why:    []string{"synccore: registering for SYNC_CORE failed", "chose global", "tried before mprotect", "on ppc64le the mprotect shootdown is not serialising", "broadcast tlbie", "no IPI"},
			whyNot: []string{"chose mprotect"}},
		{name: "arm64/no synccore", goarch: "arm64", syncCore: denied, query: withGlobal,
			want: "global", serialising: true,
			why:    []string{"synccore: registering for SYNC_CORE failed", "chose global", "tried before mprotect", "on arm64 the mprotect shootdown is not serialising", "broadcast TLBI", "no IPI"},
			whyNot: []string{"chose mprotect", "tlbie"}},
		{name: "ppc64/no synccore", goarch: "ppc64", syncCore: denied, query: withGlobal,
			want: "global", serialising: true,
			why: []string{"chose global", "on ppc64 the mprotect shootdown is not serialising", "broadcast tlbie"}},

		{name: "amd64/no synccore, no global", goarch: "amd64", syncCore: denied, query: noGlobal,
			want: "mprotect", serialising: true,
			why:    []string{"chose mprotect", "serialising in practice"},
			whyNot: []string{"global"}}, // mprotect works before GLOBAL is ever asked
		{name: "ppc64le/no synccore, no global", goarch: "ppc64le", syncCore: denied, query: noGlobal,
			want: "mprotect", serialising: false,
			why: []string{"synccore: registering for SYNC_CORE failed", "global: no membarrier here",
				"chose mprotect", "NOT core-serialising on ppc64le", "broadcast tlbie", "no IPI"}},

		{name: "arm64/no synccore, no global", goarch: "arm64", syncCore: denied, query: noGlobal,
			want: "mprotect", serialising: false,
			why: []string{"global: no membarrier here", "chose mprotect", "NOT core-serialising on arm64", "broadcast TLBI",
				"no context synchronization event"}},
		{name: "arm64/mprotect named", goarch: "arm64", strategy: "mprotect", query: withGlobal, want: "mprotect", serialising: false,
			why: []string{"NOT core-serialising on arm64", "broadcast TLBI"}},
		{name: "ppc64le/mprotect named", goarch: "ppc64le", strategy: "mprotect", query: withGlobal, want: "mprotect", serialising: false,
			why: []string{"NOT core-serialising on ppc64le", "broadcast tlbie"}},
		{name: "amd64/mprotect named", goarch: "amd64", strategy: "mprotect", query: withGlobal, want: "mprotect", serialising: true,
			why: []string{"serialising in practice via IPI", "not architecturally"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, why, err := chooseBarrierFor(tc.goarch, FallbackOrderFor(tc.goarch), tc.strategy, tc.syncCore, tc.query)
			require.NoError(t, err)
			t.Log(why)
			assert.Equal(t, tc.want, b.Name())
			assert.Equal(t, tc.serialising, b.Serialising())
			for _, s := range tc.why {
				assert.Contains(t, why, s)
			}
			for _, s := range tc.whyNot {
				assert.NotContains(t, why, s)
			}
		})
	}

	t.Run("nothing works", func(t *testing.T) {
		// An order without mprotect (a program may set FallbackOrder).
		_, _, err := chooseBarrierFor("ppc64le", []string{"synccore", "global"}, "", denied, noGlobal)
		assert.ErrorIs(t, err, ErrBarrier)
		assert.ErrorContains(t, err, "synccore")
		assert.ErrorContains(t, err, "global")
	})
}

// TestSelectBarrierHere: chooseBarrier (what New calls) follows FallbackOrder
// for this GOARCH: with SYNC_CORE denied it picks the second strategy of the
// order when that one works.
func TestSelectBarrierHere(t *testing.T) {
	denied := &membarrier.Error{Op: "register", Cmd: membarrier.CmdRegisterPrivateExpeditedSyncCore,
		Kind: membarrier.ErrUnsupported}
	withGlobal := func() (membarrier.CmdSet, error) { return membarrier.CmdSet(membarrier.CmdGlobal), nil }
	b, why, err := chooseBarrier("", denied, withGlobal)
	require.NoError(t, err)
	assert.Equal(t, FallbackOrder[1], b.Name(), "on %s: %s", runtime.GOARCH, why)
	assert.Contains(t, why, "chose "+FallbackOrder[1])
}
