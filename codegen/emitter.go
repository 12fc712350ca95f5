package codegen

// SiteEmitter is the part of an ISA's assembler that emits patch sites: the
// same five methods, with the same names and meaning, on every ISA
// (codegen/amd64, codegen/ppc64 and codegen/arm64 implement it, and are
// pinned to it by a compile-time check). Each method pads as its ISA needs
// so that the [Guarantee] it records holds at every offset, records a
// [Site] (its final Offset is filled in by [Buffer.Finish]) and emits the
// site's initial bytes. Alignment guarantees are offsets within the blob:
// they hold in memory only when the loader places the blob at an 8-byte (or
// coarser) aligned address.
//
// What a patcher may then write into each site, and with which store, is
// the ISA's rule: on amd64 one aligned 8-byte store for an InAlignedQword
// site (Intel SDM Vol. 3 §8.1.1 makes it atomic for data accesses; that
// instruction fetch sees it whole is the behaviour V8's jump slot and
// HotSpot's verified entry also rely on, not an architectural promise); on
// ppc64 one aligned word store of another patch-class instruction (Power ISA
// Book II, "Concurrent Modification and Execution of Instructions"); on
// arm64 one aligned 32-bit store of another instruction of the Arm ARM's
// set, B, BL, NOP, BRK, SVC, HVC, SMC or ISB (DDI 0487 B2.2.5, "Concurrent
// modification and execution of instructions"). A data slot, on every ISA,
// is an aligned 8-byte word that code reads with one single-copy-atomic
// load (amd64 mov, ppc64 ld, arm64 LDR), changed by one aligned 8-byte data
// store. After an instruction store the writer makes it visible to
// instruction fetch (ppc64 and arm64 need explicit cache maintenance), and
// every executing thread must then pass a serialising (amd64, SDM §8.1.3)
// or context-synchronising (ppc64, arm64) event before it is guaranteed to
// run the new bytes.
type SiteEmitter interface {
	// JumpSite emits an unconditional jump to target whose target a patcher
	// may change while other threads run it: a [SiteBranch] site whose
	// changed bytes a single aligned store replaces (amd64: E9 rel32 in an
	// aligned qword; ppc64: an I-form b, patch class; arm64: B, one aligned
	// word in the B2.2.5 set). Finish fails with [ErrOutOfRange] when
	// target is beyond the fixed form's reach and with [ErrUndefinedLabel]
	// when it is never bound.
	JumpSite(name string, target Label)
	// CallSite is JumpSite for a call (amd64: E8 rel32 ending an aligned
	// qword; ppc64: bl; arm64: BL): a [SiteBranch] site whose callee a
	// patcher may change; the return address is the instruction after the
	// site.
	CallSite(name string, target Label)
	// GuardSite emits a no-op that a patcher may turn into a jump to target
	// of the same size, and back, while other threads run it: a [SiteGuard]
	// site (amd64: the 5-byte nop, armed as jmp rel32, inside one aligned
	// qword; ppc64: the preferred nop ori 0,0,0, armed as b; arm64: NOP,
	// armed as B, both in the B2.2.5 set). Finish checks that the armed form
	// reaches target, so a patcher can always encode it.
	GuardSite(name string, target Label)
	// DataSlot emits an 8-byte data word holding init at an 8-byte aligned
	// offset and returns a new label bound to it: a [SiteData] site with
	// [DataAligned8], read by code with one single-copy-atomic 8-byte load
	// (amd64: mov from RIP-relative memory; ppc64: ld at a distance from an
	// anchor; arm64: LDR (literal)), so changing it is a data store, not
	// code modification. Emit it where it is never executed (after an
	// unconditional branch or return).
	DataSlot(name string, init uint64) Label
	// BindDataSlot is DataSlot binding the caller's label l (made earlier
	// with NewLabel, so that loads emitted before the slot can refer to it)
	// instead of a new one.
	BindDataSlot(l Label, name string, init uint64)
}
