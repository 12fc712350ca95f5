//go:build !linux

package main

// Off Linux jitdemo compiles and lists code (disasm) and interprets it (run
// --interp); everything that runs machine code reports jit.ErrUnsupported.
// The reports (info, bench) then have no kernel to name.

// hostKernel knows nothing off Linux.
func hostKernel() (release, machine, arch string) { return "", "", "" }
