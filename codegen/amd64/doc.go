// Package amd64 is syncore's x86-64 assembler: a small, exact subset of the
// instruction set that a baseline JIT and a live patcher need, each form in
// its canonical encoding (the bytes GNU as emits for the same source), built
// on the ISA-neutral [codegen.Buffer].
//
// The package only encodes; it builds and tests on every GOARCH. Every
// encoding is checked in the tests against the golang.org/x/arch x86asm
// decoder (length, opcode and every operand) and against the bytes GNU as
// produces for the same source, for every emitter (testdata/gnu.golden).
//
// # Use
//
// Assemble, Finish, and print the listing (this is the package Example, which
// go test compiles and runs; a test checks that the two stay the same):
//
//	a := amd64.New()
//	done := a.NewLabel()
//	a.CmpRI(amd64.RDI, 0)
//	a.Jcc(amd64.CondE, done) // rel8 or rel32, chosen at Finish
//	a.AddRR(amd64.RAX, amd64.RDI)
//	a.Bind(done)
//	a.Ret()
//	blob, err := a.Finish()
//	if err != nil {
//		panic(err)
//	}
//	amd64.WriteListing(os.Stdout, blob, 0x1000)
//
// [Asm.CallSite]'s example shows a patch site and the bytes that retarget it.
//
// All integer forms use 64-bit operand size (REX.W) unless the method says
// otherwise. Memory operands are [Mem] values: [base + index*scale + disp].
//
// # Errors
//
// Emitting never returns an error and never panics on a caller's mistake: a
// register that does not exist, a scale other than 1, 2, 4 or 8, RSP as an
// index, an immediate or shift count out of range, a branch that does not
// reach its label, are recorded in the buffer ([codegen.Buffer.Fail]) and
// returned by Finish, wrapping [codegen.ErrBadOperand] or
// [codegen.ErrOutOfRange]. After the first error the emitted bytes are
// unspecified (Finish does not return them).
//
// # Patch sites
//
// [Asm.JumpSite], [Asm.CallSite], [Asm.GuardSite], [Asm.DataSlot] and
// [Asm.BindDataSlot] (the [codegen.SiteEmitter] every ISA has), and the
// amd64-only [Asm.GuardSite8] (2-byte guard), [Asm.MovImm32Site] and
// [Asm.MovAbsSite], emit code (or data) that a patcher may change while
// other threads execute it, pad it so the guarantee recorded in its
// [codegen.Site] holds, and record the site. The rules they rely on:
//
//   - Intel SDM Vol. 3 §8.1.1: an aligned 8-byte store is atomic for data
//     accesses. No manual promises that instruction fetch sees a qword
//     changed by one store whole (old or new, never a mix); that it does is
//     behaviour V8's x64 jump-table slot and HotSpot's LP64 verified-entry
//     patch also rely on, not an architectural guarantee. Intel's errata on
//     unsynchronised cross-modifying code are why Linux's text_poke_bp
//     patches with int3 and three IPI rounds instead.
//   - Intel SDM Vol. 3 §8.1.3 (cross-modifying code) prescribes the
//     synchronous algorithm: after the store, every executing thread must
//     execute a serialising instruction before it is guaranteed to run the
//     new bytes; syncore's patcher obtains that with
//     membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE).
//   - Sites larger than a qword ([Asm.MovAbsSite]) are patched with HotSpot's
//     self-loop protocol: [SelfLoop] (jmp $-2) over the first two bytes,
//     barrier, the tail, barrier, the head, barrier.
//
// Alignment guarantees are offsets within the blob: the loader must place a
// blob at an address that is a multiple of 8 (or more) for them to hold in
// memory.
//
// The exported helpers [EncodeJmpRel32], [EncodeJmpRel8], [EncodeCallRel32],
// [NopBytes], [MovImm32Bytes] and [MovAbsBytes] compute, at run time, the
// bytes a patcher writes into a site.
package amd64
