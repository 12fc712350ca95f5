package membarrier

import (
	"errors"
	"fmt"
	"syscall"
)

// Sentinel errors. Every error this package returns is an [*Error] that
// matches one of them with errors.Is, and also matches its errno (e.g.
// errors.Is(err, syscall.EPERM), which is unix.EPERM) when the kernel gave one.
var (
	// ErrNotRegistered: a private expedited barrier was issued before the
	// process registered for it (EPERM).
	ErrNotRegistered = errors.New("process not registered for this command")
	// ErrUnsupported: the kernel or architecture does not know the command or
	// the flags (EINVAL), or there is no membarrier system call at all or a
	// seccomp filter hides it (ENOSYS), or the OS is not Linux.
	ErrUnsupported = errors.New("not supported")
	// ErrDenied: the kernel refused a command that needs no registration
	// (EPERM), which in practice means a seccomp filter.
	ErrDenied = errors.New("not permitted")
	// ErrInvalidCmd: a command was passed to a function that does not take it
	// (e.g. a barrier command to Register), or an argument is out of range. No
	// system call was made.
	ErrInvalidCmd = errors.New("invalid command for this call")
)

// Error describes a failed membarrier call.
type Error struct {
	Op    string        // "query", "registrations", "register" or "barrier"
	Cmd   Cmd           // the command
	Flags Flags         // the flags argument
	CPU   int           // the cpu_id argument when Flags has FlagCPU
	Errno syscall.Errno // the kernel's errno; 0 when no system call was made
	Kind  error         // the sentinel: ErrNotRegistered, ErrUnsupported, ErrDenied, ErrInvalidCmd, or the errno itself when unexpected
	Why   string        // a plain-words explanation of the likely cause
}

func (e *Error) Error() string {
	s := fmt.Sprintf("membarrier %s %s: %v", e.Op, e.Cmd.Name(), e.Kind)
	if e.Why != "" {
		s += ": " + e.Why
	}
	if e.Errno != 0 {
		s += fmt.Sprintf(" (%s)", errnoName(e.Errno))
	}
	return s
}

// Unwrap returns the sentinel and, when there is one, the errno.
func (e *Error) Unwrap() []error {
	if e.Errno != 0 && e.Kind != e.Errno {
		return []error{e.Kind, e.Errno}
	}
	return []error{e.Kind}
}

// classify turns the kernel's errno for (op, cmd, flags) into an *Error whose
// Why says what most likely went wrong.
func classify(op string, cmd Cmd, flags Flags, cpu int, errno syscall.Errno) *Error {
	e := &Error{Op: op, Cmd: cmd, Flags: flags, CPU: cpu, Errno: errno}
	switch errno {
	case syscall.EPERM:
		if reg, ok := cmd.Registration(); ok {
			e.Kind = ErrNotRegistered
			e.Why = fmt.Sprintf("register once with %s first", reg.Name())
		} else {
			e.Kind = ErrDenied
			e.Why = "refused by the kernel; a seccomp filter is the usual cause"
		}
	case syscall.EINVAL:
		e.Kind = ErrUnsupported
		switch {
		case flags&^FlagCPU != 0 || (flags != 0 && cmd != CmdPrivateExpeditedRseq):
			e.Why = fmt.Sprintf("flags %#x not accepted with this command", uint32(flags))
		case !cmd.known():
			e.Why = "unknown command"
		case cmd == CmdGetRegistrations:
			e.Why = "GET_REGISTRATIONS needs Linux 6.3 or later"
		case cmd == CmdPrivateExpeditedSyncCore || cmd == CmdRegisterPrivateExpeditedSyncCore:
			e.Why = "this kernel or architecture has no SYNC_CORE (needs Linux 4.16+ and ARCH_HAS_MEMBARRIER_SYNC_CORE)"
		case cmd == CmdPrivateExpeditedRseq || cmd == CmdRegisterPrivateExpeditedRseq:
			e.Why = "this kernel has no RSEQ barrier (needs Linux 5.10+ with CONFIG_RSEQ)"
		default:
			e.Why = "this kernel does not support the command (see Query)"
		}
	case syscall.ENOSYS:
		e.Kind = ErrUnsupported
		e.Why = "no membarrier system call: a kernel without CONFIG_MEMBARRIER, or a seccomp filter (as in some containers) that hides it"
	default:
		e.Kind = errno
		e.Why = "unexpected error from the kernel"
	}
	return e
}
