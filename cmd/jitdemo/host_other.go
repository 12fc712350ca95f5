//go:build !linux

package main

// Off Linux jitdemo compiles and lists code (disasm) and interprets it (run
// --interp); everything that runs machine code reports jit.ErrUnsupported.
// The reports (info, bench) then have no kernel to name.

// uname knows nothing off Linux.
func uname() (release, machine string) { return "", "" }
