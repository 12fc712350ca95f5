package patch

import (
	"encoding/binary"

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

// ppc64leBytes is the ppc64le isaBytes.
type ppc64leBytes struct{}

// callBytes: bl to, I-form, ±32 MiB.
func (ppc64leBytes) callBytes(s *Site, dst []byte, to uint64) ([]byte, error) {
	w, err := ppc.EncodeB(s.rx(s.code.Site.Offset), to, true)
	return binary.LittleEndian.AppendUint32(dst, w), err
}

// guardBytes: b label when armed, the preferred nop when not.
func (ppc64leBytes) guardBytes(s *Site, dst []byte, armed bool, to uint64) ([]byte, error) {
	if !armed {
		return binary.LittleEndian.AppendUint32(dst, ppc.NopWord), nil
	}
	w, err := ppc.EncodeB(s.rx(s.code.Site.Offset), to, false)
	return binary.LittleEndian.AppendUint32(dst, w), err
}

// constBytes: the 8-byte value of a data slot, the only place a ppc64le
// constant that changes may live (no immediate is in the patch class).
func (ppc64leBytes) constBytes(s *Site, dst []byte, v int64) ([]byte, error) {
	return dataSlotConstBytes(s, dst, v)
}

// selfLoop: ppc64le has no multi-phase protocol (every site is one
// patch-class word or a data slot), so nothing parks.
func (ppc64leBytes) selfLoop() bool { return false }

// parkHead is never called on ppc64le (selfLoop is false).
func (ppc64leBytes) parkHead(*Site, []byte) []byte {
	panic("BUG: a self-loop park on ppc64le")
}

// entryData: ppc64le code addresses its data slots from callCtx.base, the
// entry program's blob (R14), not its own.
func (ppc64leBytes) entryData() bool { return true }
