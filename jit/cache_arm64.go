package jit

import "unsafe"

// ctr is CTR_EL0, the cache type register, read once (EL0 may read it:
// Linux sets SCTLR_EL1.UCT; on a kernel that traps it, the kernel emulates
// the read).
var ctr = readCTR()

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
	rw := uintptr(unsafe.Pointer(&b.RW[0])) + uintptr(off)
	rx := b.RX + uintptr(off)
	if ctr&ctrIDC == 0 {
		cleanDCache(rw&^(dcacheLine-1), rw+uintptr(n), dcacheLine)
	} else {
		dsbISH() // the stores must still complete before the invalidation
	}
	if ctr&ctrDIC == 0 {
		invalidateICache(rx&^(icacheLine-1), rx+uintptr(n), icacheLine)
	} else {
		dsbISHISB()
	}
}

// readCTR returns CTR_EL0 (cache_arm64.s).
func readCTR() uint64

// cleanDCache runs DC CVAU on every line from start below end, then DSB
// ISH (cache_arm64.s).
//
//go:noescape
func cleanDCache(start, end, line uintptr)

// invalidateICache runs IC IVAU on every line from start below end, then
// DSB ISH and ISB (cache_arm64.s).
//
//go:noescape
func invalidateICache(start, end, line uintptr)

// dsbISH is DSB ISH; dsbISHISB is DSB ISH then ISB (cache_arm64.s).
func dsbISH()
func dsbISHISB()
