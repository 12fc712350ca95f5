//go:build linux

package membarrier_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/syncore/syncore/membarrier"
	"github.com/syncore/syncore/membarrier/selfexec"
)

// reportEnv makes the test binary print its registrations and exit: it is
// the exec'd child of TestForkExecInheritance.
const reportEnv = "SYNCORE_MEMBARRIER_REPORT_REGISTRATIONS"

func TestMain(m *testing.M) {
	if os.Getenv(reportEnv) == "1" {
		regs, err := membarrier.Registrations()
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Printf("registrations=%#x\n", uint32(regs))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// kernel returns the release as (major, minor) and the architecture of the
// kernel itself. Under qemu-user uname reports the emulated machine, so the
// architecture comes from /proc/sys/kernel/arch when it exists.
func kernel(t *testing.T) (major, minor int, arch string) {
	t.Helper()
	var u unix.Utsname
	require.NoError(t, unix.Uname(&u))
	rel := unix.ByteSliceToString(u.Release[:])
	arch = unix.ByteSliceToString(u.Machine[:])
	if b, err := os.ReadFile("/proc/sys/kernel/arch"); err == nil {
		arch = strings.TrimSpace(string(b))
	}
	f := strings.FieldsFunc(rel, func(r rune) bool { return r < '0' || r > '9' })
	require.GreaterOrEqual(t, len(f), 2, "kernel release %q", rel)
	major, _ = strconv.Atoi(f[0])
	minor, _ = strconv.Atoi(f[1])
	return major, minor, arch
}

// wantCommands is what QUERY must report on a kernel of this version and
// architecture, from the kernel's history of include/uapi/linux/membarrier.h.
func wantCommands(major, minor int, arch string) membarrier.CmdSet {
	at := func(ma, mi int) bool { return major > ma || major == ma && minor >= mi }
	var s membarrier.CmdSet
	add := func(cs ...membarrier.Cmd) {
		for _, c := range cs {
			s |= membarrier.CmdSet(c)
		}
	}
	if at(4, 14) {
		add(membarrier.CmdPrivateExpedited, membarrier.CmdRegisterPrivateExpedited)
	}
	if at(4, 16) {
		add(membarrier.CmdGlobalExpedited, membarrier.CmdRegisterGlobalExpedited)
		switch arch {
		case "x86_64", "i686", "aarch64", "ppc64le", "ppc64", "s390x", "riscv64":
			add(membarrier.CmdPrivateExpeditedSyncCore, membarrier.CmdRegisterPrivateExpeditedSyncCore)
		}
	}
	if at(5, 10) {
		add(membarrier.CmdPrivateExpeditedRseq, membarrier.CmdRegisterPrivateExpeditedRseq)
	}
	if at(6, 3) {
		add(membarrier.CmdGetRegistrations)
	}
	return s
}

func TestQueryReportsThisKernelsCommands(t *testing.T) {
	major, minor, arch := kernel(t)
	want := wantCommands(major, minor, arch)
	got, err := membarrier.Query()
	require.NoError(t, err)
	t.Logf("Linux %d.%d %s: QUERY = %#x (%v)", major, minor, arch, uint32(got), got)
	assert.Equal(t, want, got&want, "QUERY lacks commands this kernel has: %v", want&^got)
	assert.Zero(t, got&^membarrier.AllCmds, "QUERY reports bits outside the uapi")
	assert.False(t, got.Has(membarrier.CmdQuery), "QUERY is never a member of a set")
}

func TestInvalidCommandsAndFlags(t *testing.T) {
	tests := []struct {
		name  string
		cmd   membarrier.Cmd
		flags membarrier.Flags
	}{
		{"two bits", 3, 0},
		{"next unknown bit", 1 << 10, 0},
		{"high bit", 1 << 30, 0},
		{"negative", -1, 0},
		{"flag on QUERY", membarrier.CmdQuery, 1},
		{"flag on GLOBAL", membarrier.CmdGlobal, 1},
		{"CPU flag on SYNC_CORE", membarrier.CmdPrivateExpeditedSyncCore, membarrier.FlagCPU},
		{"unknown flag on RSEQ", membarrier.CmdPrivateExpeditedRseq, 2},
		{"top flag on GET_REGISTRATIONS", membarrier.CmdGetRegistrations, 1 << 31},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := membarrier.Call(tc.cmd, tc.flags, 0)
			require.Error(t, err)
			assert.ErrorIs(t, err, membarrier.ErrUnsupported)
			assert.ErrorIs(t, err, unix.EINVAL)
			assert.NotErrorIs(t, err, membarrier.ErrNotRegistered)
			var me *membarrier.Error
			require.ErrorAs(t, err, &me)
			assert.Equal(t, unix.EINVAL, me.Errno)
			assert.Contains(t, err.Error(), "EINVAL")
		})
	}
}

func TestWrongFunctionForCommand(t *testing.T) {
	for _, c := range []membarrier.Cmd{membarrier.CmdQuery, membarrier.CmdGlobal, membarrier.CmdPrivateExpeditedSyncCore, membarrier.CmdGetRegistrations, 1 << 12} {
		err := membarrier.Register(c)
		assert.ErrorIs(t, err, membarrier.ErrInvalidCmd, "Register(%v)", c)
	}
	for _, c := range []membarrier.Cmd{membarrier.CmdQuery, membarrier.CmdRegisterPrivateExpeditedSyncCore, membarrier.CmdGetRegistrations, 1 << 12} {
		err := membarrier.Barrier(c)
		assert.ErrorIs(t, err, membarrier.ErrInvalidCmd, "Barrier(%v)", c)
	}
	err := membarrier.BarrierOnCPU(membarrier.CmdPrivateExpeditedRseq, -1)
	assert.ErrorIs(t, err, membarrier.ErrInvalidCmd)
	// No system call was made: the error carries no errno.
	var me *membarrier.Error
	require.ErrorAs(t, err, &me)
	assert.Zero(t, me.Errno)
}

func TestBarriersBeforeRegistration(t *testing.T) {
	if !selfexec.InFreshProcess(t) {
		return
	}
	regs, err := membarrier.Registrations()
	require.NoError(t, err)
	require.Equal(t, membarrier.CmdSet(0), regs, "a fresh process has no registrations")

	for _, c := range []membarrier.Cmd{membarrier.CmdPrivateExpedited, membarrier.CmdPrivateExpeditedSyncCore, membarrier.CmdPrivateExpeditedRseq} {
		err := membarrier.Barrier(c)
		require.Error(t, err, "%v before registration", c)
		assert.ErrorIs(t, err, membarrier.ErrNotRegistered, "%v", c)
		assert.ErrorIs(t, err, unix.EPERM, "%v", c)
		reg, _ := c.Registration()
		assert.Contains(t, err.Error(), reg.Name(), "the error names the registration to make")
	}
	assert.ErrorIs(t, membarrier.SyncCore(), membarrier.ErrNotRegistered)
	assert.ErrorIs(t, membarrier.BarrierOnCPU(membarrier.CmdPrivateExpeditedRseq, 0), membarrier.ErrNotRegistered)
	// GLOBAL and GLOBAL_EXPEDITED need no registration of the caller.
	assert.NoError(t, membarrier.Barrier(membarrier.CmdGlobalExpedited))
	assert.NoError(t, membarrier.Barrier(membarrier.CmdGlobal))
}

func TestRegistrationsTrackEachRegistration(t *testing.T) {
	const (
		gx  = membarrier.CmdSet(membarrier.CmdRegisterGlobalExpedited)
		px  = membarrier.CmdSet(membarrier.CmdRegisterPrivateExpedited)
		sc  = membarrier.CmdSet(membarrier.CmdRegisterPrivateExpeditedSyncCore)
		seq = membarrier.CmdSet(membarrier.CmdRegisterPrivateExpeditedRseq)
	)
	type step struct {
		reg  membarrier.Cmd
		want membarrier.CmdSet // registrations after this step
		now  []membarrier.Cmd  // barriers that must succeed after this step
		not  []membarrier.Cmd  // barriers that must still be refused
	}
	scenarios := []struct {
		name  string
		steps []step
	}{
		{"one by one", []step{
			{membarrier.CmdRegisterGlobalExpedited, gx, []membarrier.Cmd{membarrier.CmdGlobalExpedited},
				[]membarrier.Cmd{membarrier.CmdPrivateExpedited}},
			{membarrier.CmdRegisterPrivateExpedited, gx | px, []membarrier.Cmd{membarrier.CmdPrivateExpedited},
				[]membarrier.Cmd{membarrier.CmdPrivateExpeditedSyncCore}},
			{membarrier.CmdRegisterPrivateExpeditedSyncCore, gx | px | sc, []membarrier.Cmd{membarrier.CmdPrivateExpeditedSyncCore},
				[]membarrier.Cmd{membarrier.CmdPrivateExpeditedRseq}},
			{membarrier.CmdRegisterPrivateExpeditedRseq, gx | px | sc | seq, []membarrier.Cmd{membarrier.CmdPrivateExpeditedRseq}, nil},
			{membarrier.CmdRegisterPrivateExpeditedSyncCore, gx | px | sc | seq, nil, nil}, // twice is harmless
		}},
		// SYNC_CORE (or RSEQ) registration alone also reports
		// REGISTER_PRIVATE_EXPEDITED, yet plain PRIVATE_EXPEDITED is still
		// refused (the kernel sets the state bit, not its READY bit).
		{"sync core alone", []step{
			{membarrier.CmdRegisterPrivateExpeditedSyncCore, px | sc,
				[]membarrier.Cmd{membarrier.CmdPrivateExpeditedSyncCore},
				[]membarrier.Cmd{membarrier.CmdPrivateExpedited, membarrier.CmdPrivateExpeditedRseq}},
		}},
		{"rseq alone", []step{
			{membarrier.CmdRegisterPrivateExpeditedRseq, px | seq,
				[]membarrier.Cmd{membarrier.CmdPrivateExpeditedRseq},
				[]membarrier.Cmd{membarrier.CmdPrivateExpedited, membarrier.CmdPrivateExpeditedSyncCore}},
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if !selfexec.InFreshProcess(t) {
				return
			}
			regs, err := membarrier.Registrations()
			require.NoError(t, err)
			require.Equal(t, membarrier.CmdSet(0), regs)
			for _, st := range sc.steps {
				require.NoError(t, membarrier.Register(st.reg))
				regs, err := membarrier.Registrations()
				require.NoError(t, err)
				require.Equal(t, st.want, regs, "after %v: got %v, want %v", st.reg, regs, st.want)
				for _, b := range st.now {
					require.NoError(t, membarrier.Barrier(b), "%v after %v", b, st.reg)
				}
				for _, b := range st.not {
					require.ErrorIs(t, membarrier.Barrier(b), membarrier.ErrNotRegistered, "%v after %v", b, st.reg)
				}
			}
		})
	}
}

// TestSyncCoreWithBusySiblings issues the SYNC_CORE command itself (the
// kernel selftest's "sync core success" case issues PRIVATE_EXPEDITED
// instead) while other threads of the process spin on other CPUs.
func TestSyncCoreWithBusySiblings(t *testing.T) {
	if !selfexec.InFreshProcess(t) {
		return
	}
	require.NoError(t, membarrier.Register(membarrier.CmdRegisterPrivateExpeditedSyncCore))
	var stop atomic.Bool
	var wg sync.WaitGroup
	var spins, running atomic.Int64
	n := max(2, runtime.NumCPU())
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			running.Add(1)
			for !stop.Load() {
				spins.Add(1)
			}
		}()
	}
	for running.Load() < int64(n) {
		runtime.Gosched() // barriers below must meet running siblings
	}
	for range 200 {
		require.NoError(t, membarrier.SyncCore())
	}
	stop.Store(true)
	wg.Wait()
	assert.Positive(t, spins.Load())
}

// TestForkExecInheritance checks the rule that registrations are inherited by
// a child created by fork() and cleared by exec().
//
// How it can fail: a forked child reports what its own process holds (the
// probe makes GET_REGISTRATIONS in the child and hands the value back through
// a shared page). Two controls show that the value is the child's: forked
// before the parent registers, the child reports none — which is exactly what
// a kernel that did not inherit registrations would report after registering,
// and the equality check below would fail; and a child that registers RSEQ
// itself reports RSEQ while the parent still does not have it. The exec'd
// child is the same test binary started anew (through the emulator under
// qemu), which reports its own registrations on stdout.
func TestForkExecInheritance(t *testing.T) {
	if !selfexec.InFreshProcess(t) {
		return
	}
	none, err := forkRegistrations(0)
	require.NoError(t, err)
	require.Equal(t, membarrier.CmdSet(0), none, "control: a child forked before registration")

	require.NoError(t, membarrier.Register(membarrier.CmdRegisterPrivateExpeditedSyncCore))
	parent, err := membarrier.Registrations()
	require.NoError(t, err)
	require.True(t, parent.Has(membarrier.CmdRegisterPrivateExpeditedSyncCore), "parent: %v", parent)

	forked, err := forkRegistrations(0)
	require.NoError(t, err)
	assert.Equal(t, parent, forked, "a child created by fork inherits the registrations")

	own, err := forkRegistrations(membarrier.CmdRegisterPrivateExpeditedRseq)
	require.NoError(t, err)
	assert.Equal(t, parent|membarrier.CmdSet(membarrier.CmdRegisterPrivateExpeditedRseq), own,
		"control: the forked child reports its own process's registrations")
	after, err := membarrier.Registrations()
	require.NoError(t, err)
	assert.Equal(t, parent, after, "a child's registration does not reach the parent")

	cmd, err := selfexec.Command()
	require.NoError(t, err)
	cmd.Env = append(os.Environ(), reportEnv+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, selfexec.Explain(err), "exec'd child: %s", out)
	assert.Equal(t, "registrations=0x0", strings.TrimSpace(string(out)), "a child created by exec starts with none")
}

func TestErrorsAreComparable(t *testing.T) {
	err := membarrier.Barrier(membarrier.CmdQuery)
	assert.True(t, errors.Is(err, membarrier.ErrInvalidCmd))
	assert.False(t, errors.Is(err, membarrier.ErrUnsupported))
}
