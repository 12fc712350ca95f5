//go:build linux && (amd64 || ppc64le || arm64)

package jit

// jitfloor is the floor under the cost of a Go→JIT call, for
// BenchmarkCallFloor: an ABI0 assembly function (floor_amd64.s,
// floor_ppc64le.s) that keeps Go's stack pointer (and link register) in
// registers, switches to the stack whose top is sp, calls fn with x as its
// first argument (amd64 RDI, ppc64le R3), switches back and returns fn's
// result (RAX, R3). It does nothing else: no call context, no interrupt
// word, no entry mark. fn must preserve the registers that hold the saved
// state (amd64 R12 and RBP, ppc64le R14 and R15) and must not call.
//
//go:noescape
func jitfloor(fn, sp uintptr, x int64) int64
