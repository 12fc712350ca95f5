package arm64

import (
	"fmt"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/internal/wordsite"
)

// Patching primitives.
//
// Arm ARM (DDI 0487) B2.2.5, "Concurrent modification and execution of
// instructions": when one thread modifies an instruction that another
// thread may be executing, the result may be any behaviour reachable at the
// same exception level — except when both the instruction before and the
// instruction after the modification are one of B, BL, BRK, HVC, ISB, NOP,
// SMC or SVC. Then each execution behaves as either the old or the new
// instruction, provided the modification is a single aligned 32-bit store
// of the whole word. New code becomes visible to instruction fetch only
// after the writer's cache maintenance — DC CVAU on the line, DSB ISH,
// IC IVAU on the line, DSB ISH (Arm ARM, "Synchronization and coherency
// issues between data and instruction accesses"; CTR_EL0.IDC and DIC say
// which steps a CPU does not need) — and a context synchronization event
// on each executing thread: ISB, an exception return, or the IPI of a
// membarrier SYNC_CORE. Until then a thread may run the old word, the new,
// and the old again.
//
// Every A64 instruction is a 4-byte word at a 4-aligned offset, so a site
// word is always word-aligned and lies inside one aligned 8-byte word of
// the blob (given a blob loaded at an 8-aligned address).
//
// JumpSite, CallSite, GuardSite, DataSlot and BindDataSlot are the
// [codegen.SiteEmitter] every ISA has.

var _ codegen.SiteEmitter = (*Asm)(nil)

// siteGuarantee is what every instruction site here provides. PatchClass
// here means "in the B2.2.5 set" (B, BL, NOP as emitted; BRK and ISB are
// also allowed as replacements).
const siteGuarantee = codegen.WordAligned | codegen.PatchClass | codegen.InAlignedQword

// JumpSite emits B target as a patch site named name: one word-aligned
// branch ([codegen.SiteBranch], Size 4, the whole word changes, guarantee
// WordAligned|PatchClass|InAlignedQword). A patcher may replace it with
// another B (see [EncodeB]), [NopWord] or a BRK while other threads run it
// (B2.2.5). Its form is fixed: a target beyond ±128 MiB is an
// [codegen.ErrOutOfRange] at Finish.
func (a *Asm) JumpSite(name string, target codegen.Label) { a.branchSite(name, target, false) }

// CallSite is [Asm.JumpSite] with BL: a call whose callee a patcher may
// change.
func (a *Asm) CallSite(name string, target codegen.Label) { a.branchSite(name, target, true) }

func (a *Asm) branchSite(name string, target codegen.Label, link bool) {
	var aux uint32
	if link {
		aux = auxLink
	}
	wordsite.Emit(a.Buffer, name, codegen.SiteBranch, siteGuarantee, codegen.Ref{Kind: RefB, Aux: aux}, target)
}

// GuardSite emits a guard site named name: NOP ([codegen.SiteGuard],
// Size 4, guarantee WordAligned|PatchClass|InAlignedQword) whose armed form
// is B target. Arming and disarming swap two words of the B2.2.5 set.
// Finish checks that the armed branch would reach target (±128 MiB), so a
// patcher can always encode it.
func (a *Asm) GuardSite(name string, target codegen.Label) {
	wordsite.Emit(a.Buffer, name, codegen.SiteGuard, siteGuarantee, codegen.Ref{Kind: RefGuard}, target)
}

// DataSlot pads to an 8-byte boundary, emits init as a little-endian
// doubleword and records it as a data site named name ([codegen.SiteData],
// Size 8, guarantee DataAligned8). It returns the slot's label, for
// [Asm.LdrLit]; use [Asm.BindDataSlot] to place a slot that code above
// already refers to.
//
// A constant that must change while code runs lives here, not in the
// instruction stream: MOVZ, MOVK and ADD immediates are not in the B2.2.5
// set, and a MOVZ;MOVK sequence could not change atomically anyway. An
// aligned 8-byte LDR is single-copy atomic (Arm ARM B2.2.1, "Requirements
// for single-copy atomicity"), so a thread sees the old or the new value.
// Keep code from falling through into the slot: place slots after an
// unconditional branch or return, within ±1 MiB of the loads.
func (a *Asm) DataSlot(name string, init uint64) codegen.Label {
	l := a.NewLabel()
	a.BindDataSlot(l, name, init)
	return l
}

// BindDataSlot is [Asm.DataSlot] for a label made earlier (with NewLabel),
// so that loads emitted before the slot can refer to it: it pads to 8
// bytes, binds l there and emits init as a data site.
func (a *Asm) BindDataSlot(l codegen.Label, name string, init uint64) {
	a.Buffer.BindDataSlot(l, name, init)
}

// Run-time helpers for a patcher.

// EncodeB returns the branch at address from to address to: B, or BL when
// link is set. Both addresses must be 4-aligned and to - from must lie in
// [-2^27, 2^27-4] (±128 MiB); otherwise it returns an error matching
// [codegen.ErrBadOperand] or [codegen.ErrOutOfRange]. The result is in the
// B2.2.5 set.
func EncodeB(from, to uint64, link bool) (uint32, error) {
	if from%4 != 0 || to%4 != 0 {
		return 0, fmt.Errorf("arm64: branch %#x -> %#x: %w: address not 4-byte aligned", from, to, codegen.ErrBadOperand)
	}
	d := int64(to - from)
	if !fitsB(d) {
		return 0, fmt.Errorf("arm64: branch %#x -> %#x: %w: distance %d beyond ±128 MiB", from, to, codegen.ErrOutOfRange, d)
	}
	return bWord(int32(d), link), nil
}

// IsPatchClass reports whether w is one of the instructions Arm ARM B2.2.5
// allows to be replaced by another of them while other threads execute it:
// B, BL, BRK, HVC, ISB, NOP, SMC or SVC (the set every version of the rule
// allows). Only the preferred encodings count: ISB is ISB SY and NOP the
// NOP hint itself, not another hint that behaves as one.
func IsPatchClass(w uint32) bool {
	switch {
	case w&0x7c000000 == opB: // B, BL
		return true
	case w&0xffe0001f == opBRK:
		return true
	case w&0xffe0001c == 0xd4000000 && w&3 != 0: // SVC (01), HVC (10), SMC (11)
		return true
	}
	return w == NopWord || w == IsbWord
}

// BranchTarget decodes w as B or BL placed at address at and returns its
// target and whether it links; ok is false when w is neither.
func BranchTarget(w uint32, at uint64) (to uint64, link, ok bool) {
	if w&0x7c000000 != opB {
		return 0, false, false
	}
	d := int64(int32(w<<6) >> 4) // sign-extend imm26, times 4
	return at + uint64(d), w&opBL == opBL, true
}
