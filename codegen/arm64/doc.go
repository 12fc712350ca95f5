// Package arm64 is syncore's assembler for AArch64 (the A64 instruction set,
// Arm Architecture Reference Manual DDI 0487, as emitted by GNU as). It
// encodes the subset a baseline JIT and a live patcher need into a
// [codegen.Buffer]: 64-bit (X register) data processing in register,
// immediate, bitmask-immediate and bitfield forms, 64-bit loads, stores and
// register pairs, a shortest-sequence 64-bit constant loader, label
// branches whose far conditional forms are rewritten (an inverted test over
// a B) during layout, PC-relative addresses and literal loads, barriers and
// cache maintenance, and the patching primitives the architecture allows.
//
// The package only encodes; it compiles and is tested on every GOARCH and
// never executes the code it produces. Instructions are checked against the
// golang.org/x/arch/arm64/arm64asm decoder and against GNU objdump in tests.
//
// # Registers
//
// [Reg] names R0..R30 and the two meanings of register number 31, [ZR] and
// [SP]: each method documents which positions take which, and a wrong one
// is an error rather than a silently different instruction. JIT code
// entered from Go must not write the [Reserved] registers: R28 is g, which
// Go's signal handler trusts when the binary does not use cgo.
//
// # Instruction alignment
//
// Every instruction is one 4-byte word and every variable-size item (label
// references, alignment padding) has a size that is a multiple of 4, so an
// instruction stream that starts at a 4-byte-aligned address stays aligned.
// Loaders must place blobs at 8-byte (better: cache-line) aligned addresses:
// the guarantees of patch sites and data slots are stated relative to the
// blob start.
//
// # Live patching (Arm ARM B2.2.5, "Concurrent modification and execution of instructions")
//
// An instruction that other threads may be executing may be replaced, with
// one aligned 32-bit store, only when both the old and the new instruction
// are among B, BL, BRK, HVC, ISB, NOP, SMC and SVC; each execution then
// behaves as the old or the new one. [Asm.JumpSite], [Asm.CallSite] and
// [Asm.GuardSite] emit such words (B, BL, NOP) and record them as patch
// sites; an immediate that must change while code runs lives in a
// [Asm.DataSlot] or [Asm.BindDataSlot] (an aligned 8-byte word read with
// [Asm.LdrLit]) because MOVZ, MOVK and ADD immediates are not in that set.
// These five methods are the [codegen.SiteEmitter] every ISA has.
// [EncodeB], [NopWord], [BrkWord], [IsPatchClass] and [BranchTarget] are
// the run-time helpers a patcher uses to build and check replacement words;
// [Asm.DcCvau], [Asm.IcIvau], [Asm.Dsb], [Asm.Isb] and [Asm.MrsCtrEl0]
// emit the writer's cache maintenance.
//
// # Errors
//
// Emitters never return errors and never panic on a caller's mistake: a
// register its position does not take, an immediate or offset out of
// range, a value that is not a bitmask immediate, a CONSTRAINED
// UNPREDICTABLE register pair is recorded on the buffer
// ([codegen.Buffer.Fail]) wrapping [codegen.ErrBadOperand] or
// [codegen.ErrOutOfRange] and returned by Finish.
package arm64
