package jit

import (
	"os"
	"runtime"
	"slices"
	"strings"
)

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
