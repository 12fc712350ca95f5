package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

// Progress of long work (stress, bench, the workloads and the default demo)
// goes to stderr whenever stderr is a terminal, whatever stdout is — so
// `jitdemo stress --duration 150s > log` still shows it — redrawn in place;
// --quiet silences it. The final report stays on stdout.

// isTerminal reports whether w is a terminal (golang.org/x/term: on every
// platform, where a hand-written ioctl covered Linux alone).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressTo returns where progress goes: stderr when it is a terminal and
// quiet is not set, else nil (no progress).
func progressTo(stderr io.Writer, quiet bool) io.Writer {
	if quiet || !isTerminal(stderr) {
		return nil
	}
	return stderr
}

const quietUsage = "no progress on stderr (it is shown, redrawn in place, whenever stderr is a terminal)"
