//go:build !ppc64le && !arm64

package jit

// syncICache does nothing: on amd64 instruction caches are coherent with
// data writes (Intel SDM Vol. 3 §8.1.3); elsewhere no code runs.
func syncICache(b Block, off, n int) {}
