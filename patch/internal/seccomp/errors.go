package seccomp

import "errors"

// ErrUnavailable reports that a seccomp filter cannot be installed in this
// process: the system refuses it (qemu-user, a kernel without
// CONFIG_SECCOMP_FILTER, a sandbox that forbids seccomp) or this package does
// not know the audit architecture of GOARCH. When the kernel gave an errno the
// returned error matches it too (errors.Is(err, unix.ENOSYS)).
var ErrUnavailable = errors.New("seccomp filters unavailable")
