//go:build !amd64 && !ppc64le

package patch

// serialize does nothing where no JIT code runs.
func serialize() {}
