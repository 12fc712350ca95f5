//go:build !linux || !(amd64 || ppc64le || arm64)

package jit

// jitfloor is never called on this platform (canExecute is false).
func jitfloor(fn, sp uintptr, x int64) int64 {
	panic("BUG: jitfloor on a platform without a trampoline")
}
