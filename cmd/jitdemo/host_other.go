//go:build !linux

package main

// Off Linux jitdemo compiles and lists code (disasm) and interprets it (run
// --interp); everything that runs machine code reports jit.ErrUnsupported.
// These answers keep the reports and progress output plain.

// uname knows nothing off Linux.
func uname() (release, machine string) { return "", "" }
