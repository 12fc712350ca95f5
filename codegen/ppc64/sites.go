package ppc64

import (
	"fmt"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/internal/wordsite"
)

// Patching primitives.
//
// Power ISA Book II, "Concurrent Modification and Execution of Instructions"
// (CMODX): while other threads may be executing it, an instruction may be
// replaced only if it is word-aligned and both the old and the new
// instruction are in the patch class — I-form b, ba, bl, bla and the
// preferred no-op ori 0,0,0. Each execution of the site then runs either
// the old or the new word, never a mix. The writer stores the word with one
// stw, then runs dcbst; sync; icbi; sync; isync, and every other thread
// needs a context-synchronising event (isync, or the return from a
// membarrier SYNC_CORE interrupt: the barrier) before it is guaranteed to
// see the new word. Until then a thread may run the old word, the new, and
// the old again on successive executions.
//
// Every ppc64 instruction is a 4-byte word at a 4-aligned offset, so a site
// word is always word-aligned and lies inside one aligned 8-byte word of
// the blob (given a blob loaded at an 8-aligned address).
//
// JumpSite, CallSite, GuardSite, DataSlot and BindDataSlot are the
// [codegen.SiteEmitter] every ISA has.

var _ codegen.SiteEmitter = (*Asm)(nil)

// siteGuarantee is what every instruction site here provides.
const siteGuarantee = codegen.WordAligned | codegen.PatchClass | codegen.InAlignedQword

// JumpSite emits b target as a patch site named name: one word-aligned
// I-form branch ([codegen.SiteBranch], Size 4, the whole word changes,
// guarantee WordAligned|PatchClass|InAlignedQword). A patcher may replace it
// with another b (see [EncodeB]) or with [NopWord] while other threads run
// it (CMODX). Its form is fixed: a target beyond ±32 MiB is an
// [codegen.ErrOutOfRange] at Finish.
func (a *Asm) JumpSite(name string, target codegen.Label) { a.branchSite(name, target, false) }

// CallSite is [Asm.JumpSite] with bl: a call whose callee a patcher may
// change.
func (a *Asm) CallSite(name string, target codegen.Label) { a.branchSite(name, target, true) }

func (a *Asm) branchSite(name string, target codegen.Label, link bool) {
	var aux uint32
	if link {
		aux = auxLink
	}
	wordsite.Emit(a.Buffer, name, codegen.SiteBranch, siteGuarantee, codegen.Ref{Kind: RefB, Aux: aux}, target)
}

// GuardSite emits a guard site named name: the preferred nop ori 0,0,0
// ([codegen.SiteGuard], Size 4, guarantee WordAligned|PatchClass|
// InAlignedQword) whose armed form is b target. Arming and disarming swap
// two patch-class words (CMODX). Finish checks that the armed branch would
// reach target (±32 MiB), so a patcher can always encode it.
func (a *Asm) GuardSite(name string, target codegen.Label) {
	wordsite.Emit(a.Buffer, name, codegen.SiteGuard, siteGuarantee, codegen.Ref{Kind: RefGuard}, target)
}

// DataSlot pads to an 8-byte boundary, emits init as a little-endian
// doubleword and records it as a data site named name ([codegen.SiteData],
// Size 8, guarantee DataAligned8). It returns the slot's label, for
// [Asm.LdRel]; use [Asm.BindDataSlot] to place a slot that code above
// already refers to.
//
// A constant that must change while code runs lives here, not in the
// instruction stream: the immediates of li, addi, lis and ori are not in the
// CMODX patch class, and a lis;ori pair could not change atomically anyway.
// An aligned doubleword is read by ld with single-copy atomicity (Power ISA
// Book II, "Single-Copy Atomicity"), so a thread sees the old or the new
// value; a writer that needs others to see it promptly issues sync after the
// store. Keep code from falling through into the slot: place slots after
// an unconditional branch or return.
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

// EncodeB returns the I-form branch at address from to address to: b, or
// bl when link is set. Both addresses must be 4-aligned and to - from must
// lie in [-2^25, 2^25-4] (±32 MiB); otherwise it returns an error matching
// [codegen.ErrBadOperand] or [codegen.ErrOutOfRange]. The result is in the
// CMODX patch class.
func EncodeB(from, to uint64, link bool) (uint32, error) {
	if from%4 != 0 || to%4 != 0 {
		return 0, fmt.Errorf("ppc64le: branch %#x -> %#x: %w: address not 4-byte aligned", from, to, codegen.ErrBadOperand)
	}
	d := int64(to - from)
	if !fitsB(d) {
		return 0, fmt.Errorf("ppc64le: branch %#x -> %#x: %w: distance %d beyond ±32 MiB", from, to, codegen.ErrOutOfRange, d)
	}
	return bWord(int32(d), link), nil
}

// IsPatchClass reports whether w is in the CMODX patch class: an I-form
// branch (primary opcode 18: b, ba, bl, bla) or the preferred no-op
// ori 0,0,0. Other no-ops (e.g. ori 1,1,0, or r0,r0,r0) are not.
func IsPatchClass(w uint32) bool {
	return w>>26 == 18 || w == NopWord
}

// BranchTarget decodes w as an I-form branch placed at address at and
// returns its target and whether it links; ok is false when w is not an
// I-form branch. An absolute form (ba, bla) returns its absolute target.
func BranchTarget(w uint32, at uint64) (to uint64, link, ok bool) {
	if w>>26 != 18 {
		return 0, false, false
	}
	d := int64(int32(w<<6) >> 6 &^ 3) // sign-extend LI||0b00
	if w&2 != 0 {
		return uint64(d), w&1 != 0, true
	}
	return at + uint64(d), w&1 != 0, true
}
