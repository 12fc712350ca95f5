package membarrier

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// errnoName is the errno's C name, e.g. "EPERM" ("" when unknown).
func errnoName(e syscall.Errno) string { return unix.ErrnoName(e) }

// Call issues membarrier(cmd, flags, cpuID) as it is and returns the kernel's
// result, with a failure classified as an [*Error]. It is the escape hatch for
// callers (and tests) that need an exact system call; [Query], [Register],
// [Barrier] and friends are the typed API.
//
// QUERY, GET_REGISTRATIONS and the expedited barriers are issued without
// telling the Go scheduler (a raw system call: no entersyscall/exitsyscall
// cost on the patch path). That is a trade-off, not a promise that they never
// sleep: QUERY and GET_REGISTRATIONS do not, but an expedited barrier can
// block in the kernel — it may allocate its cpumask with GFP_KERNEL (where
// cpumasks are off-stack), takes cpus_read_lock (held for writing while a CPU
// goes on- or offline), and recent kernels serialise IPI-sending membarrier
// calls with a mutex. It usually returns in microseconds; while it is blocked
// its thread keeps its P, so no other goroutine runs on that P and a
// stop-the-world waits for it. GLOBAL and every registration wait for an RCU
// grace period (milliseconds) and go through the scheduler-aware path so the
// runtime can run other goroutines meanwhile.
func Call(cmd Cmd, flags Flags, cpuID int) (int, error) {
	var r uintptr
	var errno unix.Errno
	if mayBlock(cmd) {
		r, _, errno = unix.Syscall(unix.SYS_MEMBARRIER, uintptr(cmd), uintptr(flags), uintptr(cpuID))
	} else {
		r, _, errno = unix.RawSyscall(unix.SYS_MEMBARRIER, uintptr(cmd), uintptr(flags), uintptr(cpuID))
	}
	if errno != 0 {
		return -1, classify(opOf(cmd), cmd, flags, cpuID, errno)
	}
	return int(r), nil
}

// mayBlock reports whether cmd goes through the scheduler-aware path: the
// commands that wait for an RCU grace period. (The expedited barriers may
// block briefly too; see Call for why they are issued raw.)
func mayBlock(cmd Cmd) bool {
	switch cmd {
	case CmdQuery, CmdGetRegistrations, CmdGlobalExpedited, CmdPrivateExpedited,
		CmdPrivateExpeditedSyncCore, CmdPrivateExpeditedRseq:
		return false
	}
	return true
}
