// Package seccomp makes the membarrier(2) system call fail with a chosen errno,
// so that tests can check how syncore chooses its barrier when membarrier is
// missing (ENOSYS, as in some containers and on kernels without
// CONFIG_MEMBARRIER) or denied (EPERM, as Docker's default seccomp profile
// answers).
//
// [DenyMembarrier] installs a seccomp filter on every thread of the calling
// process. Every membarrier call made through the native system call ABI then
// fails with the errno; every other system call is untouched.
//
// # Irreversible: use a child process
//
// A seccomp filter cannot be removed, and neither can the no_new_privs bit that
// comes with it; both are inherited by every thread and child the process
// creates later. Call DenyMembarrier only in a process made for the purpose,
// e.g. a test body run through selfexec.InFreshProcess:
//
//	func TestFallback(t *testing.T) {
//		if !selfexec.InFreshProcess(t) {
//			return
//		}
//		require.NoError(t, seccomp.DenyMembarrier(unix.ENOSYS))
//		// membarrier now fails with ENOSYS on every thread
//	}
//
// Calling it again stacks a second filter; when several filters return
// SECCOMP_RET_ERRNO for the same call the kernel reports the data of the most
// recently installed one, so the latest errno wins.
//
// # Why NO_NEW_PRIVS
//
// An unprivileged process may install a filter only after
// prctl(PR_SET_NO_NEW_PRIVS, 1): without it a filter could make a set-user-ID
// program that the process executes misbehave with that program's privileges,
// so the kernel refuses with EACCES unless the caller has CAP_SYS_ADMIN. The
// bit belongs to a thread, not to the process, so DenyMembarrier sets it and
// installs the filter on one locked OS thread (runtime.LockOSThread); TSYNC
// then copies the bit to every other thread along with the filter. It stays set
// even when the filter cannot be installed.
//
// # Why TSYNC
//
// seccomp(SECCOMP_SET_MODE_FILTER) attaches a filter to the calling thread
// only (and to the threads it creates afterwards). A Go process has many OS
// threads from its start, and any goroutine may issue membarrier from any of
// them, so a filter on one thread would leave the others free to succeed.
// SECCOMP_FILTER_FLAG_TSYNC makes the kernel attach the filter to every thread
// of the process in the same call, or to none: when some thread cannot take it
// (its filter tree has diverged from the caller's) the call returns that
// thread's id as a positive value instead of 0, and DenyMembarrier reports it
// as an error.
//
// # The filter
//
// A classic BPF program that the kernel runs on struct seccomp_data
// (include/uapi/linux/seccomp.h: int nr at offset 0, __u32 arch at offset 4)
// for every system call. Instruction by instruction:
//
//	0: ld  [4]                            A = seccomp_data.arch
//	1: jeq #AUDIT_ARCH_<GOARCH>, 0, 3     not this binary's ABI: go to 5
//	2: ld  [0]                            A = seccomp_data.nr
//	3: jeq #SYS_MEMBARRIER, 0, 1          not membarrier: go to 5
//	4: ret #SECCOMP_RET_ERRNO | errno     membarrier fails with errno
//	5: ret #SECCOMP_RET_ALLOW             everything else runs
//
// The architecture check comes first because a system call number means
// nothing without its ABI: on x86-64, a process can also enter the kernel
// through the i386 ABI (int $0x80), whose table gives number 324 (amd64's
// membarrier) to a different call. A call through a foreign ABI is allowed,
// not killed: this filter injects one fault for tests, it is not a sandbox,
// and a Go binary makes system calls through its own ABI only, so killing
// would add a way for the process to die without making any test more exact.
// For the same reason the x32 ABI (arch AUDIT_ARCH_X86_64, nr with bit
// 0x40000000 set) is let through: its numbers never equal SYS_MEMBARRIER. A
// sandbox would have to kill both.
//
// # Where it cannot work
//
// [ErrUnavailable] says this system does not let the process install a
// filter: qemu-user refuses seccomp(SECCOMP_SET_MODE_FILTER) with ENOSYS (a
// filter would apply to the emulator's own system calls), a kernel without
// CONFIG_SECCOMP gives ENOSYS and one without CONFIG_SECCOMP_FILTER gives
// EINVAL, and a sandbox may forbid the call (EPERM). The error also matches the
// errno with errors.Is. Tests that run under qemu-user must expect it.
package seccomp
