// Package codegen is the ISA-neutral half of syncore's assemblers: a code
// buffer, labels, label references (branches and other PC-relative fields)
// resolved in a final layout pass with branch relaxation, alignment padded
// with the ISA's canonical nops, and patch-site records that carry the
// guarantee a live patcher relies on. It knows nothing of jasm or of any
// runtime; the per-ISA assemblers (codegen/amd64, codegen/ppc64,
// codegen/arm64) encode instructions into a [Buffer] and describe their
// variable-size forms through the [Arch] interface.
//
// # Model
//
// Fixed-size instructions are appended as bytes. Everything whose size or
// bytes depend on final offsets is an item between those bytes: a label
// reference ([Buffer.Ref]), an alignment ([Buffer.Align], [Buffer.AlignWindow]).
// [Buffer.Finish] lays the items out, growing short references that do not
// reach their label into their long form and laying out again until nothing
// changes (sizes only grow, so this ends), then encodes every item and
// returns the code with its patch sites and relocations at their final offsets.
//
// # Errors
//
// Emitting never returns an error: the first mistake (immediate out of range,
// bad operand, label bound twice) is kept and returned by [Buffer.Finish]
// (and [Buffer.Err]) with the offset of the instruction that caused it, as
// bufio.Writer does. Errors match [ErrUndefinedLabel], [ErrOutOfRange],
// [ErrBadOperand] or [ErrLabelRebound] with errors.Is. On an ISA of aligned
// instruction words Finish also refuses, with [ErrBadOperand], a stream
// that raw bytes ([Buffer.Emit]) left off the word grid anywhere.
package codegen
