// Package examples holds syncore's example jasm programs, embedded so that
// jitdemo's built-in workloads need no files at run time. The .jasm files
// in this directory are the programs; docs/jasm.md describes the language.
package examples

import "embed"

// FS holds every *.jasm file of this directory.
//
//go:embed *.jasm
var FS embed.FS

// Source returns the text of the example called name (e.g. "fib.jasm").
func Source(name string) ([]byte, error) { return FS.ReadFile(name) }
