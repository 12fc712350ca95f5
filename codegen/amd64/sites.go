package amd64

import (
	"fmt"

	"github.com/syncore/syncore/codegen"
)

// Patch sites. Each primitive pads so that its guarantee holds at every
// offset, records a [codegen.Site] (final offsets are filled in by Finish)
// and emits the site's initial bytes. JumpSite, CallSite, GuardSite,
// DataSlot and BindDataSlot are the [codegen.SiteEmitter] every ISA has;
// GuardSite8, MovImm32Site and MovAbsSite are amd64's own. The byte helpers at the end compute,
// at run time, what a patcher writes into a site.
//
// Architecture rules relied on:
//
//   - Intel SDM Vol. 3A §8.1.1 "Guaranteed Atomic Operations": a read or
//     write of a quadword aligned on a 64-bit boundary is atomic — for data
//     accesses. A patcher replaces the bytes [Change, Change+ChangeLen) of
//     an InAlignedQword site with one aligned 8-byte store (re-writing the
//     qword's other bytes with their current, unchanged values). That an
//     instruction fetch then sees the whole old or the whole new qword,
//     never a mix, is not an architectural promise: no manual makes it. It
//     is the behaviour V8's x64 jump-table slots and HotSpot's LP64
//     verified-entry patch (NativeInstruction::replace_mt_safe) also rely
//     on. Intel's errata "Unsynchronized Cross-Modifying Code Operations Can
//     Cause Unexpected Instruction Execution Results" are why Linux's
//     text_poke_bp patches with int3 and three IPI rounds instead.
//   - Intel SDM Vol. 3A §8.1.3 "Handling Self- and Cross-Modifying Code"
//     prescribes the synchronous algorithm: the writer writes, then a
//     thread is only guaranteed to execute the new bytes after it executes
//     a serialising instruction; the patcher forces one on every thread
//     (membarrier SYNC_CORE) after each store.
//   - Sites wider than a qword are MultiWord: only HotSpot's self-loop
//     protocol may patch them (see [SelfLoop]).
//
// Writers must serialise among themselves: two sites may share a qword (a
// guard and its neighbours), and the 8-byte store is a read-modify-write of
// that qword.

var _ codegen.SiteEmitter = (*Asm)(nil)

// JumpSite emits a patchable jump to target: E9 rel32 followed by three int3
// bytes (never executed: the jmp is unconditional), starting at an 8-byte
// aligned offset, so the whole 8-byte slot is one naturally aligned qword
// (padding before it with nops). It records
//
//	Site{Kind: SiteBranch, Size: 8, Change: 0, ChangeLen: 5, Guarantee: InAlignedQword, Target: target}
//
// A patcher retargets it with one 8-byte store of [EncodeJmpRel32] followed
// by the three padding bytes (V8's x64 jump-table slot).
func (a *Asm) JumpSite(name string, target codegen.Label) {
	a.Align(8)
	a.AddSite(codegen.Site{Name: name, Kind: codegen.SiteBranch, Size: 8, Change: 0, ChangeLen: 5,
		Guarantee: codegen.InAlignedQword, Target: target})
	a.Ref(codegen.Ref{Kind: refJmpSlot, Long: true, Site: true}, target)
}

// CallSite emits a patchable call to target: an aligned qword holding a
// 3-byte nop (0F 1F 00) and then E8 rel32, so the call ends exactly at the
// qword's end. Nothing follows the call inside the slot — the return address
// is the next instruction after the slot, 8-byte aligned — and the slot
// shares its qword with no other instruction, so the patcher's 8-byte store
// rewrites only the nop (unchanged) and the call. It records
//
//	Site{Kind: SiteBranch, Size: 8, Change: 3, ChangeLen: 5, Guarantee: InAlignedQword, Target: target}
//
// (Offset is the qword, i.e. the nop; the call is at Offset+3.) New bytes:
// [EncodeCallRel32] with from = Offset+3.
func (a *Asm) CallSite(name string, target codegen.Label) {
	a.Align(8)
	a.AddSite(codegen.Site{Name: name, Kind: codegen.SiteBranch, Size: 8, Change: 3, ChangeLen: 5,
		Guarantee: codegen.InAlignedQword, Target: target})
	a.Commit(append(a.Grow(3), nops[3]...))
	a.Ref(codegen.Ref{Kind: refCall, Long: true, Site: true}, target)
}

// GuardSite emits a patchable 5-byte guard: the canonical 5-byte nop
// (0F 1F 44 00 00), placed (with as little nop padding before it as needed)
// inside one naturally aligned qword. A patcher arms it by writing jmp
// target (E9 rel32, [EncodeJmpRel32]) over it and disarms it by writing the
// nop back ([NopBytes](5)), each with one aligned 8-byte store. It records
//
//	Site{Kind: SiteGuard, Size: 5, Change: 0, ChangeLen: 5, Guarantee: InAlignedQword, Target: target}
//
// Finish fails with [codegen.ErrOutOfRange] when target is not within rel32
// reach (so the armed form is always encodable) and with
// [codegen.ErrUndefinedLabel] when target is never bound.
func (a *Asm) GuardSite(name string, target codegen.Label) { a.guard(name, target, 5, refGuard5) }

// GuardSite8 is [Asm.GuardSite] in the 2-byte form (amd64 only): the nop
// 66 90, armed as jmp rel8 (EB rel8, [EncodeJmpRel8]) and disarmed with
// [NopBytes](2). It records
//
//	Site{Kind: SiteGuard, Size: 2, Change: 0, ChangeLen: 2, Guarantee: InAlignedQword, Target: target}
//
// Finish fails with [codegen.ErrOutOfRange] when target is not within rel8
// reach of the guard (−128…+127 from its end).
func (a *Asm) GuardSite8(name string, target codegen.Label) { a.guard(name, target, 2, refGuard2) }

func (a *Asm) guard(name string, target codegen.Label, size int, kind codegen.RefKind) {
	a.AlignWindow(0, size, 8)
	a.AddSite(codegen.Site{Name: name, Kind: codegen.SiteGuard, Size: size, Change: 0, ChangeLen: size,
		Guarantee: codegen.InAlignedQword, Target: target})
	a.Ref(codegen.Ref{Kind: kind, Long: true, Site: true}, target)
}

// MovImm32Site emits mov dst, imm32 sign-extended (REX.W C7 /0 id, 7 bytes)
// with its four immediate bytes (instruction offset 3) inside one naturally
// aligned qword, padding before it with nops as needed. It records
//
//	Site{Kind: SiteImm, Size: 7, Change: 3, ChangeLen: 4, Guarantee: InAlignedQword}
//
// New bytes: [MovImm32Bytes][3:7].
func (a *Asm) MovImm32Site(name string, dst Reg, imm int32) {
	if dst >= NumRegs {
		a.badReg("mov", dst)
		return
	}
	a.AlignWindow(3, 4, 8)
	a.AddSite(codegen.Site{Name: name, Kind: codegen.SiteImm, Size: 7, Change: 3, ChangeLen: 4,
		Guarantee: codegen.InAlignedQword})
	a.MovRI32(dst, imm)
}

// MovAbsSite emits movabs dst, imm64 (REX.W B8+r io, 10 bytes) starting at
// an 8-byte aligned offset. Its ten bytes span two qwords, so it records
//
//	Site{Kind: SiteImm, Size: 10, Change: 0, ChangeLen: 10, Guarantee: MultiWord, Target: park}
//
// and is patched with HotSpot's self-loop protocol: park the head (store
// [SelfLoop], or a jmp rel32 to park when park is not 0, over the first
// bytes, inside the first aligned qword: an atomic store), barrier, write
// bytes 2–9 of [MovAbsBytes], barrier, write the head, barrier. A thread
// that arrives mid-patch loops (on itself, or through the park stub and
// back) instead of executing a torn instruction. A park stub lets the
// looping thread run code of its own on every turn — a JIT that must stay
// responsive (to a garbage collector's stop request, say) polls there.
func (a *Asm) MovAbsSite(name string, dst Reg, imm int64, park codegen.Label) {
	if dst >= NumRegs {
		a.badReg("movabs", dst)
		return
	}
	a.Align(8)
	a.AddSite(codegen.Site{Name: name, Kind: codegen.SiteImm, Size: 10, Change: 0, ChangeLen: 10,
		Guarantee: codegen.MultiWord, Target: park})
	a.MovRI64(dst, imm)
}

// DataSlot emits an 8-byte data word holding init at an 8-byte aligned
// offset (nop padding before it) and returns a new label bound to it, for
// [Asm.LoadRIP]. Emit it where it is never executed (after the function's
// code); to load it from code emitted earlier, make the label first and use
// [Asm.BindDataSlot]. It records
//
//	Site{Kind: SiteData, Size: 8, Change: 0, ChangeLen: 8, Guarantee: DataAligned8}
//
// Changing it is a data store, not code modification: one aligned 8-byte
// store (atomic by Intel SDM Vol. 3A §8.1.1) is seen whole by the next load.
func (a *Asm) DataSlot(name string, init uint64) codegen.Label {
	l := a.NewLabel()
	a.BindDataSlot(l, name, init)
	return l
}

// BindDataSlot is [Asm.DataSlot] binding the caller's label l (typically
// already used by a [Asm.LoadRIP] earlier in the code) to the slot.
func (a *Asm) BindDataSlot(l codegen.Label, name string, init uint64) {
	a.Buffer.BindDataSlot(l, name, init)
}

// ---- run-time byte helpers for the patcher

// SelfLoop is jmp $-2 (EB FE): a jump to itself. HotSpot's self-loop
// protocol writes it over the first two bytes of a multi-word site so a
// thread arriving mid-patch spins until the head is restored.
var SelfLoop = [2]byte{0xEB, 0xFE}

func relErr(inst string, from, to uint64, bits uint) error {
	return &codegen.Error{Arch: "amd64", Offset: -1, Inst: inst,
		Err: fmt.Errorf("%w: %#x → %#x does not fit rel%d", codegen.ErrOutOfRange, from, to, bits)}
}

// rel returns to - (from+size) and whether it fits a signed bits-bit field.
func rel(from, to uint64, size int, bits uint) (int64, bool) {
	d := int64(to - (from + uint64(size)))
	lim := int64(1) << (bits - 1)
	return d, d >= -lim && d < lim
}

// EncodeJmpRel32 returns the bytes of jmp to (E9 rel32) for an instruction at
// address from; [codegen.ErrOutOfRange] when to is not within ±2 GiB of the
// end of the instruction.
func EncodeJmpRel32(from, to uint64) ([5]byte, error) {
	d, ok := rel(from, to, 5, 32)
	if !ok {
		return [5]byte{}, relErr("jmp", from, to, 32)
	}
	return [5]byte{0xE9, byte(d), byte(d >> 8), byte(d >> 16), byte(d >> 24)}, nil
}

// EncodeCallRel32 returns the bytes of call to (E8 rel32) for an instruction
// at address from; [codegen.ErrOutOfRange] when out of rel32 reach.
func EncodeCallRel32(from, to uint64) ([5]byte, error) {
	d, ok := rel(from, to, 5, 32)
	if !ok {
		return [5]byte{}, relErr("call", from, to, 32)
	}
	return [5]byte{0xE8, byte(d), byte(d >> 8), byte(d >> 16), byte(d >> 24)}, nil
}

// EncodeJmpRel8 returns the bytes of jmp to (EB rel8) for an instruction at
// address from; [codegen.ErrOutOfRange] when to is not within -128…+127 of
// from+2.
func EncodeJmpRel8(from, to uint64) ([2]byte, error) {
	d, ok := rel(from, to, 2, 8)
	if !ok {
		return [2]byte{}, relErr("jmp", from, to, 8)
	}
	return [2]byte{0xEB, byte(d)}, nil
}

// NopBytes returns a fresh copy of the canonical n-byte nop, 1 ≤ n ≤ 15: the
// Intel SDM recommended forms up to 9 bytes, then GNU as's 0x66/CS-prefixed
// nopw for 10–15. Other n: [codegen.ErrOutOfRange].
func NopBytes(n int) ([]byte, error) {
	if n < 1 || n > 15 {
		return nil, &codegen.Error{Arch: "amd64", Offset: -1, Inst: "nop",
			Err: fmt.Errorf("%w: nop size %d not in [1, 15]", codegen.ErrOutOfRange, n)}
	}
	return append([]byte(nil), nops[n]...), nil
}

func badRegErr(inst string, r Reg) error {
	return &codegen.Error{Arch: "amd64", Offset: -1, Inst: inst,
		Err: fmt.Errorf("%w: register %d does not exist", codegen.ErrBadOperand, uint8(r))}
}

// MovImm32Bytes returns the 7 bytes of mov dst, imm32 (REX.W C7 /0 id) as
// [Asm.MovImm32Site] emits them; a patcher writes bytes [3:7]. A register
// that does not exist is [codegen.ErrBadOperand].
func MovImm32Bytes(dst Reg, imm int32) ([7]byte, error) {
	if dst >= NumRegs {
		return [7]byte{}, badRegErr("mov", dst)
	}
	v := uint32(imm)
	return [7]byte{rexW | byte(dst)>>3, 0xC7, 0xC0 | byte(dst)&7, byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}, nil
}

// MovAbsBytes returns the 10 bytes of movabs dst, imm64 (REX.W B8+r io) as
// [Asm.MovAbsSite] emits them. A register that does not exist is
// [codegen.ErrBadOperand].
func MovAbsBytes(dst Reg, imm int64) ([10]byte, error) {
	if dst >= NumRegs {
		return [10]byte{}, badRegErr("movabs", dst)
	}
	var out [10]byte
	appendMovAbs(out[:0], dst, imm)
	return out, nil
}
