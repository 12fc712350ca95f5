package patch

import (
	ppc "github.com/syncore/syncore/codegen/ppc64"
)

// ppc64le sites (codegen/ppc64/sites.go), patched through the RW view:
//
//	pcall   bl target        one word: PatchClass
//	guard   nop ↔ b label    one word: PatchClass
//	pconst  an aligned 8-byte data slot that the code loads: DataSlot
//
// PatchClass relies on Power ISA Book II "Concurrent Modification and
// Execution of Instructions": a word-aligned b, bl or ori 0,0,0 may be
// replaced by another of them while other processors may execute it; the
// writer then runs dcbst; sync; icbi; sync; isync (jit.SyncICache) and the
// other processors need a context-synchronising event (the barrier).
// Immediates (li, addi, lis+ori) are not in the patch class, so pconst
// changes data, not code.
//
// Until that event, CMODX promises only that a processor executes the old
// or the new instruction, each time it runs the word: Power makes no
// multi-copy-atomicity promise for instruction fetch of a patched word, so
// a thread that runs the site repeatedly while the patch is under way may
// see old, new and old again. Only when the barrier has returned does every
// thread execute the new word from then on (the contract's first clause).

// ppc64CallBytes: bl to, I-form, ±32 MiB.
func (s *Site) ppc64CallBytes(dst []byte, to uintptr) ([]byte, error) {
	w, err := ppc.EncodeB(s.rx(s.code.Site.Offset), uint64(to), true)
	return le32(dst, w), err
}

// ppc64GuardBytes: b label when armed, the preferred nop when not.
func (s *Site) ppc64GuardBytes(dst []byte, armed bool, to uint64) ([]byte, error) {
	if !armed {
		return le32(dst, ppc.NopWord), nil
	}
	w, err := ppc.EncodeB(s.rx(s.code.Site.Offset), to, false)
	return le32(dst, w), err
}

func le32(dst []byte, w uint32) []byte {
	return append(dst, byte(w), byte(w>>8), byte(w>>16), byte(w>>24))
}
