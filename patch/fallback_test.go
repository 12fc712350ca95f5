//go:build linux

package patch

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/membarrier"
	"github.com/syncore/syncore/membarrier/selfexec"
	"github.com/syncore/syncore/patch/internal/seccomp"
)

// TestFallbackUnderSeccomp runs a process in which membarrier fails as it
// does in a container without it (ENOSYS) or under a profile that denies it
// (EPERM): the runtime must come up, the patcher must fall back to the next
// strategy, say why, and patch correctly.
//
// Natively the failure is real: a seccomp filter (patch/internal/seccomp)
// makes every membarrier call fail. qemu-user refuses seccomp filters (it
// answers ENOSYS), so under emulation the test asserts that refusal and
// covers the same selection logic with the registration error injected
// (chooseBarrier), as TestBarrierFallback does; TestSelectBarrierPerGOARCH
// covers the order and the reasons of each GOARCH.
func TestFallbackUnderSeccomp(t *testing.T) {
	for _, errno := range []unix.Errno{unix.ENOSYS, unix.EPERM} {
		t.Run(unix.ErrnoName(errno), func(t *testing.T) {
			if !selfexec.InFreshProcess(t) {
				return
			}
			err := seccomp.DenyMembarrier(errno)
			if jit.Emulated() {
				require.ErrorIs(t, err, seccomp.ErrUnavailable, "qemu-user refuses seccomp filters")
				injected := &membarrier.Error{Op: "register", Cmd: membarrier.CmdRegisterPrivateExpeditedSyncCore,
					Errno: errno, Kind: membarrier.ErrUnsupported}
				b, why, err := chooseBarrier("", injected, nil)
				require.NoError(t, err)
				// qemu passes membarrier through, so GLOBAL works: it is the
				// choice where it comes before mprotect (ppc64le and
				// arm64: FallbackOrderFor says why).
				assert.Equal(t, FallbackOrder[1], b.Name(), "injected %v (emulated: no seccomp): %s", errno, why)
				assert.Contains(t, why, unix.ErrnoName(errno))
				assert.Contains(t, why, "chose "+FallbackOrder[1])
				assert.True(t, b.Serialising(), why)
				return
			}
			require.NoError(t, err)
			_, qerr := membarrier.Query()
			require.ErrorIs(t, qerr, errno, "the filter is in force")

			rt, err := jit.New(jit.Options{})
			require.NoError(t, err, "the runtime comes up without membarrier")
			defer rt.Close()
			require.ErrorIs(t, rt.Info().SyncCore, errno)
			prog, err := rt.Compile("sites.jasm", []byte(sitesProgram))
			require.NoError(t, err)
			p, err := New(rt, Options{})
			require.NoError(t, err)
			// Every membarrier call fails, GLOBAL included, so mprotect is
			// the choice on every GOARCH; only on x86 is it serialising.
			assert.Equal(t, "mprotect", p.Barrier().Name())
			assert.Contains(t, p.Reason(), unix.ErrnoName(errno), "the reason names what failed")
			assert.Contains(t, p.Reason(), "chose mprotect")
			assert.Equal(t, mprotectSerialises(""), p.Barrier().Serialising())
			if !mprotectSerialises("") {
				assert.Contains(t, p.Reason(), "NOT core-serialising", "the reason warns")
			}
			t.Logf("barrier %s: %s", p.Barrier().Name(), p.Reason())
			_, err = New(rt, Options{Barrier: "synccore"})
			assert.ErrorIs(t, err, ErrBarrier, "asking for synccore explicitly fails with the reason")

			cs, err := p.Site(prog, "c")
			require.NoError(t, err)
			two, _ := prog.Jasm().Func("two")
			for i := range 100 {
				want := int64(1)
				fn, _ := prog.Jasm().Func("one")
				if i%2 == 1 {
					fn, want = two, 2
				}
				require.NoError(t, cs.Retarget(fn))
				v, err := prog.Func("call").Call()
				require.NoError(t, err)
				require.Equal(t, want, v, fmt.Sprintf("patch %d", i))
			}
		})
	}
}
