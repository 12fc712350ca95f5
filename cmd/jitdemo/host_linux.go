package main

import (
	"golang.org/x/sys/unix"

	"github.com/syncore/syncore/jit"
)

// hostKernel returns the kernel's release and machine as uname(2) reports
// them — under qemu-user the machine is the emulated one — and the kernel's
// own architecture: jit.KernelArch (/proc/sys/kernel/arch), or the machine
// where that is missing. The reports (info, bench) name the kernel with it.
func hostKernel() (release, machine, arch string) {
	var u unix.Utsname
	if err := unix.Uname(&u); err == nil {
		release, machine = unix.ByteSliceToString(u.Release[:]), unix.ByteSliceToString(u.Machine[:])
	}
	arch = jit.KernelArch()
	if arch == "" {
		arch = machine
	}
	return release, machine, arch
}
