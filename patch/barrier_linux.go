package patch

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapPage maps the MProtect barrier's dedicated page (read-write, private).
func mapPage() ([]byte, error) {
	return unix.Mmap(-1, 0, os.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
}

// protect makes page read-only (a downgrade: the kernel shoots down its TLB
// entry on every CPU that may cache it) or read-write again.
func protect(page []byte, writable bool) error {
	prot := unix.PROT_READ
	if writable {
		prot |= unix.PROT_WRITE
	}
	return unix.Mprotect(page, prot)
}
