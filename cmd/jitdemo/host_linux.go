package main

import "golang.org/x/sys/unix"

// uname returns the kernel's release and machine as uname(2) reports them
// (under qemu-user the machine is the emulated one; jit.KernelArch is the
// kernel's own). Empty strings when it fails.
func uname() (release, machine string) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", ""
	}
	return unix.ByteSliceToString(u.Release[:]), unix.ByteSliceToString(u.Machine[:])
}
