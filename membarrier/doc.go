// Package membarrier is a typed wrapper of the Linux membarrier(2) system call.
//
// It knows nothing of JITs; it is the library every Go runtime that changes code
// or data under other threads' feet wants, and which golang.org/x/sys/unix lacks
// (x/sys has only SYS_MEMBARRIER, no constants and no wrapper).
//
// # The commands and what they guarantee
//
// Every command of include/uapi/linux/membarrier.h has a [Cmd] constant:
//
//   - [CmdQuery] returns the set of commands this kernel supports ([Query]).
//   - [CmdGlobal]: when the call returns, every thread of every process on the
//     system has passed through a full memory barrier (it waits for an RCU
//     grace period: milliseconds).
//   - [CmdGlobalExpedited]: the same, but only for processes that registered
//     with [CmdRegisterGlobalExpedited]; the caller itself needs no registration.
//     Fast (IPIs).
//   - [CmdPrivateExpedited]: every running thread of the calling process has
//     executed a full memory barrier before the call returns. Needs
//     [CmdRegisterPrivateExpedited] first.
//   - [CmdPrivateExpeditedSyncCore]: as PrivateExpedited, and in addition every
//     running sibling thread has executed a core-serialising instruction before
//     the call returns, so none of them goes back to user space with a stale
//     instruction stream. This is the step Intel SDM Vol. 3 §8.1.3 ("Handling
//     Self- and Cross-Modifying Code") asks of each executing processor, and
//     the context-synchronising event Power ISA Book II ("Concurrent Modification
//     and Execution of Instructions") asks for. Needs
//     [CmdRegisterPrivateExpeditedSyncCore] first. Only architectures that select
//     ARCH_HAS_MEMBARRIER_SYNC_CORE have it (x86, arm, arm64, powerpc, s390,
//     riscv); elsewhere it is EINVAL ([ErrUnsupported]).
//   - [CmdPrivateExpeditedRseq]: restarts the rseq critical sections of running
//     threads of the process (optionally on one CPU, see [BarrierOnCPU]). Needs
//     [CmdRegisterPrivateExpeditedRseq].
//   - [CmdGetRegistrations] (Linux 6.3+) returns the registrations of the
//     process as a set of REGISTER_* commands ([Registrations]).
//
// SYNC_CORE serialises cores; it does nothing to caches. On an architecture
// without coherent instruction caches (ppc64) the writer must still push the
// modified bytes out of the data cache and invalidate the instruction cache
// itself (dcbst; sync; icbi; sync; isync) before it issues the barrier.
//
// # Registration
//
// Registration belongs to the process (the mm), not to a thread, and cannot be
// undone. In a multi-threaded process (every Go program is one) a registration
// waits for an RCU grace period, so it costs milliseconds: register once, early,
// never on a hot path. A child created by fork() inherits the registrations of
// its parent; exec() clears them.
//
// # Errors
//
// Every failure is an [*Error] that carries the command, the errno and a
// sentinel, so callers test it with errors.Is: [ErrNotRegistered] (EPERM from a
// private expedited command before its registration), [ErrUnsupported] (EINVAL:
// a command or flags this kernel or architecture does not know; ENOSYS: no
// membarrier at all, or a seccomp filter that hides it), [ErrDenied] (EPERM
// where registration is not the reason, e.g. a seccomp filter), and
// [ErrInvalidCmd] for a command passed to the wrong function (no system call is
// made). errors.Is(err, unix.EINVAL) and friends work too.
package membarrier
