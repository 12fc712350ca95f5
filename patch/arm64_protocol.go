package patch

import (
	"encoding/binary"

	a64 "github.com/syncore/syncore/codegen/arm64"
)

// arm64 sites (codegen/arm64/sites.go), patched through the RW view:
//
//	pcall   bl target        one word: PatchClass
//	guard   nop ↔ b label    one word: PatchClass
//	pconst  an aligned 8-byte data slot that the code loads (LDR literal,
//	        PC-relative, from the code's own blob): DataSlot
//
// PatchClass on arm64 means the Arm ARM's set, not Power's: Arm ARM (DDI
// 0487) B2.2.5, "Concurrent modification and execution of instructions",
// defines the result of replacing an instruction that another PE may be
// executing only when the old and the new instruction are both one of B,
// BL, NOP, BRK, SVC, HVC, SMC or ISB (recent versions of the manual add a
// few more; syncore writes only B, BL and NOP), and the replacement is a
// single aligned 32-bit store of the whole word. Any other change (a MOVZ
// or MOVK immediate, an ADD) has no defined result while it may run:
// pconst changes data, not code.
//
// The store alone does not make the new word visible to instruction fetch:
// the I-cache is not coherent with data writes. The writer then runs, per
// line, DC CVAU on the RW view, DSB ISH, IC IVAU on the RX view, DSB ISH,
// ISB (jit.SyncICache; CTR_EL0.IDC and DIC say which steps a CPU does not
// need), and every other PE needs a context synchronization event (the
// barrier: membarrier SYNC_CORE, whose arm64 implementation relies on the
// exception return from the IPI, or from the kernel entry of a thread that
// was not running, being context-synchronizing).
//
// Until that event B2.2.5 promises only that each execution of the word by
// another PE behaves as the old or as the new instruction: a thread that
// runs the site repeatedly while the patch is under way may see old, new
// and old again, as on Power. Only when the barrier has returned does every
// thread execute the new word from then on (the contract's first clause).

// arm64Bytes is the arm64 isaBytes.
type arm64Bytes struct{}

// callBytes: BL to, ±128 MiB.
func (arm64Bytes) callBytes(s *Site, dst []byte, to uint64) ([]byte, error) {
	return arm64Branch(dst, s.rx(s.code.Site.Offset), to, true)
}

// guardBytes: B label when armed, NOP when not.
func (arm64Bytes) guardBytes(s *Site, dst []byte, armed bool, to uint64) ([]byte, error) {
	if !armed {
		return binary.LittleEndian.AppendUint32(dst, a64.NopWord), nil
	}
	return arm64Branch(dst, s.rx(s.code.Site.Offset), to, false)
}

// arm64Branch appends B (BL when link is set) at address from to address
// to, as a little-endian word.
func arm64Branch(dst []byte, from, to uint64, link bool) ([]byte, error) {
	w, err := a64.EncodeB(from, to, link)
	if err != nil {
		return dst, err
	}
	return binary.LittleEndian.AppendUint32(dst, w), nil
}

// constBytes: the 8-byte value of a data slot, the only place an arm64
// constant that changes may live (no immediate-carrying instruction is in
// the B2.2.5 set).
func (arm64Bytes) constBytes(s *Site, dst []byte, v int64) ([]byte, error) {
	return dataSlotConstBytes(s, dst, v)
}

// selfLoop: arm64 has no multi-phase protocol (every site is one B2.2.5
// word or a data slot), so nothing parks.
func (arm64Bytes) selfLoop() bool { return false }

// parkHead is never called on arm64 (selfLoop is false).
func (arm64Bytes) parkHead(*Site, []byte) []byte {
	panic("BUG: a self-loop park on arm64")
}

// entryData: arm64 code reads its data slots with LDR (literal), relative
// to its own PC, from its own blob, not from the entry program's
// callCtx.base.
func (arm64Bytes) entryData() bool { return false }
