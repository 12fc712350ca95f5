package jit

import (
	"runtime"
	"unsafe"
)

// ctr is CTR_EL0, the cache type register, read once at start-up on Linux
// (EL0 may read it: Linux sets SCTLR_EL1.UCT; on a kernel that traps it,
// the kernel emulates the read). Elsewhere no JIT code runs (Supported),
// and the read is not made: another kernel may not allow it, and importing
// jit must not crash there. 0 is the conservative value: clean and
// invalidate every 4-byte line.
var ctr = func() uint64 {
	if runtime.GOOS != "linux" {
		return 0
	}
	return readCTR()
}()

// CTR_EL0 fields (Arm ARM, "CTR_EL0, Cache Type Register").
const (
	ctrIDC = 1 << 28 // data cleaning to the point of unification is not needed
	ctrDIC = 1 << 29 // instruction invalidation to the point of unification is not needed
)

// dcacheLine and icacheLine are the smallest data and instruction cache
// line sizes in bytes: 4 << CTR_EL0.DminLine and 4 << CTR_EL0.IminLine.
var (
	dcacheLine = uintptr(4) << (ctr >> 16 & 0xf)
	icacheLine = uintptr(4) << (ctr & 0xf)
)

func syncICache(b Block, off, n int) {
	maintain(uintptr(unsafe.Pointer(&b.RW[0]))+uintptr(off), b.RX+uintptr(off), uintptr(n), ctr)
}

// maintain runs the writer's cache maintenance for n bytes written at rw
// and executed at rx, as CTR_EL0 value c asks, and returns how many data
// and instruction cache lines it cleaned and invalidated (0 for a step c
// says is not needed).
func maintain(rw, rx, n uintptr, c uint64) (dlines, ilines uintptr) {
	switch {
	case c&ctrIDC == 0:
		dlines = cleanDCache(rw&^(dcacheLine-1), rw+n, dcacheLine)
	case c&ctrDIC == 0:
		dsbISH() // the stores must still complete before the invalidation
	}
	if c&ctrDIC == 0 {
		ilines = invalidateICache(rx&^(icacheLine-1), rx+n, icacheLine)
	} else {
		dsbISHISB() // (with IDC too, this DSB is the one the stores need)
	}
	return dlines, ilines
}

// readCTR returns CTR_EL0 (cache_arm64.s).
func readCTR() uint64

// cleanDCache runs DC CVAU on every line from start below end, then DSB
// ISH, and returns how many lines it cleaned (cache_arm64.s).
//
//go:noescape
func cleanDCache(start, end, line uintptr) uintptr

// invalidateICache runs IC IVAU on every line from start below end, then
// DSB ISH and ISB, and returns how many lines it invalidated
// (cache_arm64.s).
//
//go:noescape
func invalidateICache(start, end, line uintptr) uintptr

// dsbISH is DSB ISH; dsbISHISB is DSB ISH then ISB (cache_arm64.s).
func dsbISH()
func dsbISHISB()
