package membarrier_test

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/syncore/syncore/membarrier"
)

// forkRegistrations creates a child with a raw fork (clone with SIGCHLD and
// nothing shared, as fork(2) does) and returns the membarrier registrations
// that the child reads in its own process. When reg is not zero the child
// first registers reg itself.
//
// The child is a copy of this multi-threaded Go process with one thread, so it
// may only make raw system calls: it runs rawForkChild, which is nosplit (no
// stack growth), norace (no race instrumentation), allocates nothing and
// writes its result into a MAP_SHARED page before exit_group. This is how the
// syscall package's forkAndExecInChild works too.
func forkRegistrations(reg membarrier.Cmd) (membarrier.CmdSet, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	page, err := unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS)
	if err != nil {
		return 0, fmt.Errorf("mmap shared page: %w", err)
	}
	defer unix.Munmap(page)
	res := (*forkResult)(unsafe.Pointer(&page[0]))
	res.done = 0
	pid, errno := rawFork(reg, res)
	if errno != 0 {
		return 0, fmt.Errorf("clone: %w", errno)
	}
	var ws unix.WaitStatus
	for {
		_, err = unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return 0, fmt.Errorf("wait4: %w", err)
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return 0, fmt.Errorf("forked child ended badly: status %#x", uint32(ws))
	}
	if res.done != 1 {
		return 0, fmt.Errorf("forked child exited without writing its result")
	}
	if res.regErrno != 0 {
		return 0, fmt.Errorf("child: register %v: %w", reg, unix.Errno(res.regErrno))
	}
	if res.getErrno != 0 {
		return 0, fmt.Errorf("child: get registrations: %w", unix.Errno(res.getErrno))
	}
	return membarrier.CmdSet(res.regs), nil
}

type forkResult struct {
	regs, regErrno, getErrno, done uint64
}

//go:norace
//go:nosplit
func rawFork(reg membarrier.Cmd, res *forkResult) (int, unix.Errno) {
	pid, _, errno := unix.RawSyscall6(unix.SYS_CLONE, uintptr(unix.SIGCHLD), 0, 0, 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	if pid == 0 {
		rawForkChild(reg, res)
	}
	return int(pid), 0
}

//go:norace
//go:nosplit
func rawForkChild(reg membarrier.Cmd, res *forkResult) {
	if reg != 0 {
		_, _, e := unix.RawSyscall(unix.SYS_MEMBARRIER, uintptr(reg), 0, 0)
		res.regErrno = uint64(e)
	}
	r, _, e := unix.RawSyscall(unix.SYS_MEMBARRIER, uintptr(membarrier.CmdGetRegistrations), 0, 0)
	res.regs, res.getErrno, res.done = uint64(r), uint64(e), 1
	for {
		unix.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
	}
}
