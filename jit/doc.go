// Package jit is syncore's language and runtime: the jasm bytecode (program
// representation, text parser, verifier, interpreter), its compiler to amd64
// and ppc64le on the codegen assemblers, the W^X code heap, the Go→JIT entry
// trampolines and Func.
//
// Not built yet: this package holds only its documentation until the jit
// issue lands (see README.md, "Status").
package jit
