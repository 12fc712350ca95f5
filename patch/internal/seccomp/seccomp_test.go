//go:build linux

package seccomp

import (
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/syncore/syncore/membarrier"
	"github.com/syncore/syncore/membarrier/selfexec"
)

// kernelMachine maps GOARCH to the machine name that the kernel writes in
// /proc/sys/kernel/arch for that architecture's native ABI.
var kernelMachine = map[string]string{
	"amd64":   "x86_64",
	"arm64":   "aarch64",
	"ppc64le": "ppc64le",
	"ppc64":   "ppc64",
	"riscv64": "riscv64",
	"s390x":   "s390x",
}

// emulated reports whether this binary runs under qemu-user: the kernel's
// own architecture (/proc/sys/kernel/arch, which qemu-user does not rewrite,
// unlike uname) differs from GOARCH.
func emulated(t *testing.T) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/kernel/arch")
	require.NoError(t, err)
	want, ok := kernelMachine[runtime.GOARCH]
	require.True(t, ok, "no kernel machine name known for GOARCH=%s", runtime.GOARCH)
	return strings.TrimSpace(string(b)) != want
}

// probe is what one OS thread sees: its id, its seccomp state from
// /proc/thread-self/status, and the outcome of membarrier and of ordinary
// system calls made on it.
type probe struct {
	tid         int
	noNewPrivs  string // NoNewPrivs: "0" or "1"
	seccomp     string // Seccomp: "0" disabled, "2" filter
	filters     string // Seccomp_filters: how many filters the thread has
	statusErr   error  // reading /proc/thread-self/status (an ordinary file read)
	pid         int
	queryErr    error
	query       membarrier.CmdSet
	registerErr error
}

// probeThisThread fills a probe on the calling OS thread; the caller must
// have locked it (runtime.LockOSThread) for the result to mean anything.
func probeThisThread() probe {
	p := probe{tid: unix.Gettid(), pid: unix.Getpid()}
	b, err := os.ReadFile("/proc/thread-self/status")
	p.statusErr = err
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch k {
		case "NoNewPrivs":
			p.noNewPrivs = v
		case "Seccomp":
			p.seccomp = v
		case "Seccomp_filters":
			p.filters = v
		}
	}
	p.query, p.queryErr = membarrier.Query()
	p.registerErr = membarrier.Register(membarrier.CmdRegisterPrivateExpeditedSyncCore)
	return p
}

// lockedThread is a goroutine locked to its own OS thread that runs probes
// on that thread when asked.
type lockedThread struct {
	tid  int
	ask  chan struct{}
	resp chan probe
}

// startThreads starts n goroutines, each locked to an OS thread of its own,
// and returns once every one is running; they end when the test does.
func startThreads(t *testing.T, n int) []*lockedThread {
	t.Helper()
	threads := make([]*lockedThread, n)
	ready := make(chan int)
	for i := range threads {
		th := &lockedThread{ask: make(chan struct{}), resp: make(chan probe)}
		threads[i] = th
		go func() {
			runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
			ready <- unix.Gettid()
			for range th.ask {
				th.resp <- probeThisThread()
			}
		}()
		th.tid = <-ready
		t.Cleanup(func() { close(th.ask) })
	}
	return threads
}

func (th *lockedThread) probe() probe {
	th.ask <- struct{}{}
	return <-th.resp
}

// requireDistinctThreads checks that the threads and the caller's (locked)
// thread are different OS threads, so that a filter seen on one of them can
// only have come there through TSYNC.
func requireDistinctThreads(t *testing.T, caller int, threads []*lockedThread) {
	t.Helper()
	seen := map[int]bool{caller: true}
	for _, th := range threads {
		require.False(t, seen[th.tid], "thread %d appears twice", th.tid)
		seen[th.tid] = true
	}
}

// assertDenied checks a probe taken after DenyMembarrier(errno): membarrier
// fails with errno classified as kind, the thread has the filter, and
// ordinary system calls still work.
func assertDenied(t *testing.T, who string, p probe, errno unix.Errno, kind error) {
	t.Helper()
	assert.Equal(t, os.Getpid(), p.pid, "%s: getpid", who)
	assert.NoError(t, p.statusErr, "%s: reading a file", who)
	assert.Equal(t, "2", p.seccomp, "%s: Seccomp mode (2 = filter)", who)
	assert.Equal(t, "1", p.filters, "%s: Seccomp_filters", who)
	assert.Equal(t, "1", p.noNewPrivs, "%s: NoNewPrivs", who)
	for name, err := range map[string]error{"Query": p.queryErr, "Register(SYNC_CORE)": p.registerErr} {
		if assert.Error(t, err, "%s: %s", who, name) {
			assert.ErrorIs(t, err, kind, "%s: %s", who, name)
			assert.ErrorIs(t, err, errno, "%s: %s", who, name)
		}
	}
}

// assertAllowed checks a probe taken on a thread without a filter:
// membarrier works and offers SYNC_CORE (this host and qemu's, which passes
// membarrier through to it, are x86-64 kernels that have it).
func assertAllowed(t *testing.T, who string, p probe) {
	t.Helper()
	assert.Equal(t, os.Getpid(), p.pid, "%s: getpid", who)
	assert.NoError(t, p.statusErr, "%s: reading a file", who)
	assert.Equal(t, "0", p.seccomp, "%s: Seccomp mode", who)
	if assert.NoError(t, p.queryErr, "%s: Query", who) {
		assert.True(t, p.query.Has(membarrier.CmdPrivateExpeditedSyncCore), "%s: Query = %v", who, p.query)
	}
	assert.NoError(t, p.registerErr, "%s: Register(SYNC_CORE)", who)
}

// testDeny installs the filter with errno on the calling thread while four
// other locked threads, started before, wait; then every one of them must see
// membarrier fail with errno, as kind.
//
// Under qemu-user (emulated: GOARCH differs from /proc/sys/kernel/arch)
// qemu refuses seccomp filters, so there DenyMembarrier must fail with
// ErrUnavailable and ENOSYS, leave membarrier working, and leave
// no_new_privs set on the calling thread as documented.
func testDeny(t *testing.T, errno unix.Errno, kind error) {
	threads := startThreads(t, 4)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	caller := unix.Gettid()
	requireDistinctThreads(t, caller, threads)
	for _, th := range threads {
		require.Equal(t, "0", th.probe().seccomp, "thread %d filtered before the test", th.tid)
	}

	err := DenyMembarrier(errno)

	if emulated(t) {
		t.Logf("GOARCH=%s emulated by qemu-user: expecting its refusal: %v", runtime.GOARCH, err)
		require.Error(t, err)
		require.ErrorIs(t, err, ErrUnavailable)
		require.ErrorIs(t, err, unix.ENOSYS)
		p := probeThisThread()
		assert.Equal(t, "1", p.noNewPrivs, "no_new_privs stays set on the calling thread")
		assertAllowed(t, "caller", p)
		assertAllowed(t, "thread", threads[0].probe())
		return
	}
	require.NoError(t, err)
	assertDenied(t, "caller", probeThisThread(), errno, kind)
	for _, th := range threads {
		p := th.probe()
		require.Equal(t, th.tid, p.tid, "probe ran on another thread")
		assertDenied(t, "thread started before the filter", p, errno, kind)
	}
	// A thread created after the filter inherits it.
	late := startThreads(t, 1)[0]
	assertDenied(t, "thread started after the filter", late.probe(), errno, kind)
}

// TestDenyMembarrierENOSYS: membarrier then looks absent (ErrUnsupported,
// ENOSYS) on every thread. Natively the real filter is checked; under
// qemu-user its refusal (ErrUnavailable), see testDeny.
func TestDenyMembarrierENOSYS(t *testing.T) {
	if !selfexec.InFreshProcess(t) {
		return
	}
	testDeny(t, unix.ENOSYS, membarrier.ErrUnsupported)
}

// TestDenyMembarrierEPERM: membarrier then looks forbidden (ErrDenied, EPERM),
// as under Docker's default seccomp profile. Natively the real filter is
// checked; under qemu-user its refusal (ErrUnavailable), see testDeny.
func TestDenyMembarrierEPERM(t *testing.T) {
	if !selfexec.InFreshProcess(t) {
		return
	}
	testDeny(t, unix.EPERM, membarrier.ErrDenied)
}

// TestControlWithoutFilter is the control for the tests above: a fresh
// process without the filter, with the same locked threads, has a working
// membarrier on every thread, so their failures are the filter's doing.
func TestControlWithoutFilter(t *testing.T) {
	if !selfexec.InFreshProcess(t) {
		return
	}
	threads := startThreads(t, 4)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	requireDistinctThreads(t, unix.Gettid(), threads)
	assertAllowed(t, "caller", probeThisThread())
	for _, th := range threads {
		assertAllowed(t, "thread", th.probe())
	}
}

// TestWithoutTSyncOnlyCallerIsFiltered shows what TSYNC adds, and that the
// per-thread checks of testDeny can tell: the same filter installed without
// SECCOMP_FILTER_FLAG_TSYNC reaches the calling thread only, and membarrier
// keeps working on threads that existed before. Under qemu-user the install
// must be refused instead (ErrUnavailable).
func TestWithoutTSyncOnlyCallerIsFiltered(t *testing.T) {
	if !selfexec.InFreshProcess(t) {
		return
	}
	threads := startThreads(t, 2)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	requireDistinctThreads(t, unix.Gettid(), threads)
	arch, ok := auditArch()
	require.True(t, ok)

	err := install(program(arch, unix.ENOSYS), 0)

	if emulated(t) {
		require.ErrorIs(t, err, ErrUnavailable)
		require.ErrorIs(t, err, unix.ENOSYS)
		return
	}
	require.NoError(t, err)
	assertDenied(t, "caller", probeThisThread(), unix.ENOSYS, membarrier.ErrUnsupported)
	for _, th := range threads {
		p := th.probe()
		assert.Equal(t, "0", p.noNewPrivs, "thread %d: NoNewPrivs without TSYNC", th.tid)
		assertAllowed(t, "thread without TSYNC", p)
	}
}

// TestDenyMembarrierBadErrno: errno 0 (which would make membarrier "succeed"
// without running), values above MAX_ERRNO, and values that SECCOMP_RET_DATA
// would silently truncate are refused before the process is changed: no
// no_new_privs, no filter, membarrier still works.
func TestDenyMembarrierBadErrno(t *testing.T) {
	if !selfexec.InFreshProcess(t) {
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, errno := range []unix.Errno{0, maxErrno + 1, 0x10000 | unix.EPERM} {
		err := DenyMembarrier(errno)
		require.Error(t, err, "errno %#x", uintptr(errno))
		assert.NotErrorIs(t, err, ErrUnavailable, "errno %#x", uintptr(errno))
		assert.Contains(t, err.Error(), "outside 1..4095")
	}
	p := probeThisThread()
	assert.Equal(t, "0", p.noNewPrivs, "NoNewPrivs")
	assertAllowed(t, "caller", p)
}

// TestAuditArch pins the audit architecture of the two ISAs syncore targets
// to the values of include/uapi/linux/audit.h.
func TestAuditArch(t *testing.T) {
	arch, ok := auditArch()
	switch runtime.GOARCH {
	case "amd64":
		require.True(t, ok)
		assert.Equal(t, uint32(0xc000003e), arch)
	case "ppc64le":
		require.True(t, ok)
		assert.Equal(t, uint32(0xc0000015), arch)
	default:
		t.Logf("GOARCH=%s: auditArch() = %#x, %v", runtime.GOARCH, arch, ok)
	}
}

// runFilter interprets the classic BPF subset that program uses (ld [k]
// word, jeq #k, ret #k) on a struct seccomp_data with nr and arch, as the
// kernel would, and fails the test on anything else: an unknown opcode, an
// unaligned or out-of-range load, a jump out of the program, or falling off
// its end.
func runFilter(t *testing.T, prog []unix.SockFilter, arch uint32, nr int32) uint32 {
	t.Helper()
	var data [64]byte // sizeof(struct seccomp_data)
	binary.NativeEndian.PutUint32(data[offsetNr:], uint32(nr))
	binary.NativeEndian.PutUint32(data[offsetArch:], arch)
	var a uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			require.True(t, in.K%4 == 0 && int(in.K)+4 <= len(data), "pc %d: load at %d", pc, in.K)
			a = binary.NativeEndian.Uint32(data[in.K:])
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
			if a == in.K {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
			require.Less(t, pc+1, len(prog), "pc %d: jump past the end", pc)
		case unix.BPF_RET | unix.BPF_K:
			return in.K
		default:
			require.Failf(t, "unexpected instruction", "pc %d: code %#x", pc, in.Code)
		}
	}
	require.Fail(t, "program fell off its end")
	return 0
}

// TestProgram runs the filter in a BPF interpreter: only membarrier through
// this binary's ABI gets SECCOMP_RET_ERRNO with the errno; other calls, the
// x32 form of the number and foreign ABIs are allowed. It needs no kernel
// support, so it checks the program under qemu-user too.
func TestProgram(t *testing.T) {
	native, ok := auditArch()
	require.True(t, ok)
	for _, errno := range []unix.Errno{unix.ENOSYS, unix.EPERM, 1, maxErrno} {
		prog := program(native, errno)
		require.Len(t, prog, 6)
		got := runFilter(t, prog, native, unix.SYS_MEMBARRIER)
		assert.Equal(t, uint32(unix.SECCOMP_RET_ERRNO), got&unix.SECCOMP_RET_ACTION_FULL, "action for membarrier")
		assert.Equal(t, uint32(errno), got&unix.SECCOMP_RET_DATA, "errno for membarrier")

		for _, c := range []struct {
			why  string
			arch uint32
			nr   int32
		}{
			{"getpid", native, unix.SYS_GETPID},
			{"seccomp", native, unix.SYS_SECCOMP},
			{"nr 0", native, 0},
			{"membarrier+1", native, unix.SYS_MEMBARRIER + 1},
			{"x32 membarrier", native, 0x40000000 | unix.SYS_MEMBARRIER},
			{"i386 ABI", unix.AUDIT_ARCH_I386, unix.SYS_MEMBARRIER},
			{"ppc ABI", unix.AUDIT_ARCH_PPC, unix.SYS_MEMBARRIER},
			{"arch 0", 0, unix.SYS_MEMBARRIER},
		} {
			assert.Equal(t, uint32(unix.SECCOMP_RET_ALLOW), runFilter(t, prog, c.arch, c.nr), "%s, errno %d", c.why, errno)
		}
	}
}

// TestClassify: the errnos that mean "no filters here" match ErrUnavailable
// and keep their errno; others pass through unchanged.
func TestClassify(t *testing.T) {
	for _, e := range []unix.Errno{unix.ENOSYS, unix.EINVAL, unix.EPERM} {
		err := classify(e)
		assert.ErrorIs(t, err, ErrUnavailable, "%v", e)
		assert.ErrorIs(t, err, e)
	}
	for _, e := range []error{unix.EACCES, unix.EFAULT, errors.New("other")} {
		assert.True(t, classify(e) == e, "%v changed to %v", e, classify(e))
	}
}
