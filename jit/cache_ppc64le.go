package jit

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Auxiliary-vector keys (include/uapi/linux/auxvec.h, arch/powerpc); x/sys
// has no constants for them.
const (
	atDCacheBSize = 19
	atICacheBSize = 20
)

// cacheLine is the smallest of the data- and instruction-cache block sizes
// the kernel reports (AT_DCACHEBSIZE, AT_ICACHEBSIZE); stepping by the
// smallest covers every line. 32 when the auxiliary vector does not say.
var cacheLine = func() uintptr {
	line := uintptr(0)
	if av, err := unix.Auxv(); err == nil {
		for _, kv := range av {
			if (kv[0] == atDCacheBSize || kv[0] == atICacheBSize) && kv[1] >= 16 && kv[1]&(kv[1]-1) == 0 {
				if line == 0 || kv[1] < line {
					line = kv[1]
				}
			}
		}
	}
	if line == 0 {
		line = 32
	}
	return line
}()

func syncICache(b Block, off, n int) {
	rw := uintptr(unsafe.Pointer(&b.RW[0])) + uintptr(off)
	rx := b.RX + uintptr(off)
	start := rw &^ (cacheLine - 1)
	lines := (rw + uintptr(n) - start + cacheLine - 1) / cacheLine
	// RW and RX views are page aligned at the same offset: same line phase.
	flushICache(start, rx&^(cacheLine-1), lines, cacheLine)
}

// flushICache runs dcbst over lines lines from rw, sync, icbi over the same
// lines from rx, sync, isync (cache_ppc64le.s).
//
//go:noescape
func flushICache(rw, rx, lines, line uintptr)
