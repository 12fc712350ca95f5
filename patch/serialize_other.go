//go:build !amd64 && !ppc64le && !arm64

package patch

// serialize does nothing where no JIT code runs.
func serialize() {}
