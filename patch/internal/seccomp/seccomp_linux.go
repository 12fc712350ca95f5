package seccomp

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Offsets of the fields of struct seccomp_data (include/uapi/linux/seccomp.h)
// that the filter loads; x/sys/unix has no constants for them.
const (
	offsetNr   = 0 // int nr: the system call number
	offsetArch = 4 // __u32 arch: an AUDIT_ARCH_* value (include/uapi/linux/audit.h)
)

// maxErrno is MAX_ERRNO (include/linux/err.h): the kernel caps the data of
// SECCOMP_RET_ERRNO at it, so larger values cannot be delivered as asked.
const maxErrno = 4095

// auditArch returns the AUDIT_ARCH_* value with which the kernel tags system
// calls made through the native ABI of this binary's GOARCH.
func auditArch() (uint32, bool) {
	switch runtime.GOARCH {
	case "amd64":
		return unix.AUDIT_ARCH_X86_64, true
	case "arm64":
		return unix.AUDIT_ARCH_AARCH64, true
	case "ppc64le":
		return unix.AUDIT_ARCH_PPC64LE, true
	case "ppc64":
		return unix.AUDIT_ARCH_PPC64, true
	case "riscv64":
		return unix.AUDIT_ARCH_RISCV64, true
	case "s390x":
		return unix.AUDIT_ARCH_S390X, true
	}
	return 0, false
}

// program returns the filter described in the package documentation: errno
// for membarrier through the ABI tagged arch, ALLOW for everything else.
func program(arch uint32, errno unix.Errno) []unix.SockFilter {
	stmt := func(code uint16, k uint32) unix.SockFilter {
		return unix.SockFilter{Code: code, K: k}
	}
	jump := func(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
		return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
	}
	return []unix.SockFilter{
		/* 0 */ stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, offsetArch),
		/* 1 */ jump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, arch, 0, 3),
		/* 2 */ stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, offsetNr),
		/* 3 */ jump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, unix.SYS_MEMBARRIER, 0, 1),
		/* 4 */ stmt(unix.BPF_RET|unix.BPF_K, unix.SECCOMP_RET_ERRNO|(uint32(errno)&unix.SECCOMP_RET_DATA)),
		/* 5 */ stmt(unix.BPF_RET|unix.BPF_K, unix.SECCOMP_RET_ALLOW),
	}
}

// DenyMembarrier installs, on every thread of the calling process, a seccomp
// filter under which every membarrier system call fails with errno and every
// other system call runs as before (see the package documentation for the
// program). errno must lie in 1..4095 (MAX_ERRNO); typical values are
// unix.ENOSYS (no membarrier) and unix.EPERM (denied by a sandbox).
//
// It cannot be undone: call it only in a process of its own
// (selfexec.InFreshProcess). It sets no_new_privs on every thread, and leaves
// it set when the filter cannot be installed. Where the system does not allow
// filters (qemu-user among others) the error matches [ErrUnavailable] and the
// errno; an out-of-range errno is refused before anything is changed.
func DenyMembarrier(errno unix.Errno) error {
	if errno < 1 || errno > maxErrno {
		return fmt.Errorf("seccomp: deny membarrier: errno %d outside 1..%d", int(errno), maxErrno)
	}
	arch, ok := auditArch()
	if !ok {
		return fmt.Errorf("seccomp: deny membarrier: %w (no audit architecture known for GOARCH=%s)", ErrUnavailable, runtime.GOARCH)
	}
	if err := install(program(arch, errno), unix.SECCOMP_FILTER_FLAG_TSYNC); err != nil {
		return fmt.Errorf("seccomp: deny membarrier with %s: %w", unix.ErrnoName(errno), err)
	}
	return nil
}

// install sets no_new_privs and attaches filter with seccomp(2) flags, both
// on one OS thread (no_new_privs is per thread and the kernel checks the
// caller's). Without SECCOMP_FILTER_FLAG_TSYNC in flags only that thread (and
// threads it creates later) is filtered, which the tests use to show what
// TSYNC adds.
func install(filter []unix.SockFilter, flags uintptr) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", classify(err))
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(filter)
	if errno != 0 {
		return fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER, %#x): %w", flags, classify(errno))
	}
	if r != 0 {
		// TSYNC: the id of a thread that could not take the filter; none did.
		return fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER, %#x): thread %d could not be synchronised, no thread was filtered", flags, r)
	}
	return nil
}

// classify wraps the errnos that mean "no filters on this system" with
// [ErrUnavailable]; any other error is returned as it is.
func classify(err error) error {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return err
	}
	switch errno {
	case unix.ENOSYS: // no seccomp(2): qemu-user, or a kernel without CONFIG_SECCOMP
		return fmt.Errorf("%w: %w (no seccomp system call; qemu-user refuses it)", ErrUnavailable, errno)
	case unix.EINVAL: // a kernel without CONFIG_SECCOMP_FILTER (or, for prctl, without no_new_privs)
		return fmt.Errorf("%w: %w (kernel without seccomp filters)", ErrUnavailable, errno)
	case unix.EPERM: // a sandbox's own filter forbids the call
		return fmt.Errorf("%w: %w (forbidden, likely by a sandbox)", ErrUnavailable, errno)
	}
	return err
}
