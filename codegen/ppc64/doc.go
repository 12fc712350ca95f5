// Package ppc64 is syncore's assembler for 64-bit little-endian Power
// (ppc64le, Power ISA v3.0B as emitted by GNU as). It encodes the subset a
// baseline JIT and a live patcher need into a [codegen.Buffer]: D-, DS-, X-,
// XO-, XS-, MD-, A-, I- and B-form instructions, each in the canonical
// encoding GNU as produces, a shortest-sequence 64-bit constant loader,
// label branches whose far conditional forms are rewritten (an inverted bc
// over a b) during layout, and the patching primitives allowed by Power's
// patch class.
//
// The package only encodes; it compiles and is tested on every GOARCH and
// never executes the code it produces. Instructions are checked against the
// golang.org/x/arch/ppc64/ppc64asm decoder and against GNU objdump in tests.
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
// # Live patching (Power ISA Book II, "Concurrent Modification and Execution of Instructions")
//
// CMODX defines the result of replacing an instruction that another thread
// may be executing only when the word is aligned and both the old and the new
// instruction belong to the patch class: I-form b, ba, bl, bla, and the
// preferred no-op ori 0,0,0. [Asm.JumpSite], [Asm.CallSite] and
// [Asm.GuardSite] emit such words and record them as patch sites; an
// immediate that must change while code runs lives in a [Asm.DataSlot] or
// [Asm.BindDataSlot] (an aligned 8-byte word read with [Asm.LdRel]) because
// li, addi, lis and ori with non-zero operands are not in the patch class.
// These five methods are the [codegen.SiteEmitter] every ISA has. [EncodeB], [NopWord],
// [IsPatchClass] and [BranchTarget] are the run-time helpers a patcher uses
// to build and check replacement words.
//
// # Errors
//
// Emitters never return errors and never panic on a caller's mistake: a bad
// register, an immediate or displacement out of range, a misaligned DS-form
// displacement is recorded on the buffer ([codegen.Buffer.Fail]) wrapping
// [codegen.ErrBadOperand] or [codegen.ErrOutOfRange] and returned by Finish.
package ppc64
