// Package jasm is syncore's bytecode language: a small stack machine over
// signed 64-bit integers, with patchable instructions (pconst, pcall, guard)
// that a live patcher changes while code runs. The package holds the
// program representation, the text parser, the verifier, the printer and the
// interpreter, which defines the semantics compiled code must match.
// docs/jasm.md is the language reference.
//
// # Pipeline
//
// [Parse] turns text into a [Program] and verifies it; a program built in Go
// is checked with [Verify]. Only a verified program ([Program.Verified]) is
// accepted by [NewInterp] (and by the compiler in package jit): the verifier
// guarantees that every instruction's operands are in range and that the
// operand-stack depth is known statically at every reachable instruction
// ([Func.Depth], [Func.MaxStack]), so executors need no run-time stack
// checks beyond the call-depth budget.
//
// # Representation
//
// Everything is resolved to indices: jump targets to instruction indices in
// the same function, callees to indices in [Program.Funcs], patchable
// instructions to indices in [Program.Sites] (numbered in program order).
// A [Func]'s parameters and locals are separate slots: `arg i` reads
// parameter i, `load i`/`store i` the i-th extra local, zeroed on each call.
//
// # Errors
//
// Parse and Verify return an [ErrorList] of [*Error] values ("file:line:col:
// message") matching [ErrSyntax] or [ErrVerify]. Runtime errors are the
// values [ErrDivisionByZero], [ErrStackOverflow] and [ErrInterrupted],
// returned unwrapped by the interpreter and by compiled code alike.
//
// # Stack budget
//
// One activation of f costs [FrameSize](f) bytes; a call fails with
// ErrStackOverflow when the active frames, the one being entered included,
// would use more than the budget ([DefaultStackBytes] by default). The
// interpreter and compiled code use the same model, so they agree on which
// calls overflow.
package jasm
