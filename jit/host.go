package jit

import (
	"os"
	"runtime"
	"slices"
	"strings"
)

// Supported reports whether this process can run the machine code syncore
// emits: nil on linux/amd64 and linux/ppc64le, else an error matching
// [ErrUnsupported] that names this platform. [New] fails with it where it is
// not nil. Compiling and listing code for every ISA ([Compile],
// [Code.WriteListing]) needs no support and works on every platform.
func Supported() error {
	if canExecute {
		return nil
	}
	return hostError{}
}

// hostError is Supported's error: ErrUnsupported, in words that name the
// platform (ErrUnsupported's own text speaks of GOARCH alone).
type hostError struct{}

func (hostError) Error() string {
	return "jit: running machine code needs linux/amd64, linux/ppc64le or linux/arm64; this is " +
		runtime.GOOS + "/" + runtime.GOARCH + " (compiling and listing code for every ISA works here)"
}

func (hostError) Unwrap() error { return ErrUnsupported }

// kernelArchFor maps GOARCH to the machine names the kernel uses for it.
var kernelArchFor = map[string][]string{
	"amd64": {"x86_64"}, "386": {"i386", "i686", "x86_64"}, "arm64": {"aarch64"},
	"arm": {"armv7l", "armv6l", "aarch64"}, "ppc64le": {"ppc64le"}, "ppc64": {"ppc64"},
	"s390x": {"s390x"}, "riscv64": {"riscv64"}, "loong64": {"loongarch64"},
}

// KernelArch returns the running kernel's own architecture: the contents
// of /proc/sys/kernel/arch, which qemu-user does not rewrite (uname's
// machine field it does), or "" when unknown.
func KernelArch() string {
	b, err := os.ReadFile("/proc/sys/kernel/arch")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Emulated reports whether this process runs under an emulator such as
// qemu-user: the kernel's architecture is not GOARCH's. Results measured in
// such a process are emulated and say so.
func Emulated() bool {
	k := KernelArch()
	want, ok := kernelArchFor[runtime.GOARCH]
	return ok && k != "" && !slices.Contains(want, k)
}
