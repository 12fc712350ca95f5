package selfexec

import (
	"bufio"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Site is a named range of a child's machine code (a patch site), which
// [Crash] names when a fault's PC falls in it or follows it.
type Site struct {
	Name       string
	Addr, Size uint64
}

var (
	sigRE   = regexp.MustCompile(`(?m)(?:^|\[)(?:signal )?SIG[A-Z]+\b[^\n\]]*`)
	fatalRE = regexp.MustCompile(`(?m)^(?:(?:fatal error|panic): |unexpected fault address)[^\n]*`)
	pcRE    = regexp.MustCompile(`(?i)\bpc=(0x[0-9a-f]+)`)
)

// Crash reads the Go runtime's crash report in a child's standard error (a
// fatal signal in JIT code: "signal SIGSEGV: segmentation violation
// PC=0x…", or "SIGILL: illegal instruction" with "PC=0x…") and describes
// it: the signal, the PC, and the site the PC falls in ("inside site s1")
// or follows ("16 bytes after site s1": from the site's address).
//
// A fault in machine code does not always get that far: on ppc64le the
// runtime may try to turn it into a panic on the JIT stack and die with
// "fatal error: runtime: split stack overflow" instead, and torn code that
// ran on may have corrupted the process before it died ("panic: …" from Go
// code whose data it overwrote). Any fatal error, panic or unexpected fault
// counts as a crash, described by its first line. ok is false when stderr
// holds no crash report at all.
func Crash(stderr string, sites []Site) (desc string, ok bool) {
	m := sigRE.FindString(stderr)
	if m == "" {
		if m = fatalRE.FindString(stderr); m == "" {
			return "", false
		}
		return m, true // no signal line: any pc= would be a runtime frame's
	}
	desc = strings.TrimPrefix(strings.TrimSpace(m), "[")
	pcm := pcRE.FindStringSubmatch(m)
	if pcm == nil {
		pcm = pcRE.FindStringSubmatch(stderr)
	}
	if pcm == nil {
		return desc, true
	}
	pc, _ := strconv.ParseUint(pcm[1], 0, 64)
	if !strings.Contains(desc, pcm[0]) {
		desc += fmt.Sprintf(" at pc %#x", pc)
	}
	best, bestDist := "", uint64(1<<63)
	for _, s := range sites {
		if pc >= s.Addr && pc < s.Addr+s.Size {
			return desc + fmt.Sprintf(" inside site %s (at +%#x)", s.Name, pc-s.Addr), true
		}
		if pc >= s.Addr && pc-s.Addr < bestDist {
			best, bestDist = s.Name, pc-s.Addr
		}
	}
	if best != "" && bestDist < 1<<16 {
		desc += fmt.Sprintf(" (%d bytes after site %s)", bestDist, best)
	}
	return desc, true
}

// Tail returns the last n lines of s, for an error that quotes a child's
// output.
func Tail(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
