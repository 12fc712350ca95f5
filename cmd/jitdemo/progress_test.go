package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/membarrier/selfexec"
)

// underTerminal runs jitdemo args with stderr on a pseudo-terminal (through
// util-linux script(1)) and stdout redirected to a file, as a user who
// writes `jitdemo stress > log` in a terminal does. It returns what the
// terminal showed and what the file got.
func underTerminal(t *testing.T, args ...string) (terminal, file string) {
	t.Helper()
	scriptBin, err := exec.LookPath("script")
	require.NoError(t, err, "script(1) (util-linux) gives the test a terminal")
	cmd, err := selfexec.Command(args...)
	require.NoError(t, err)
	dir := t.TempDir()
	out, typescript := filepath.Join(dir, "out"), filepath.Join(dir, "typescript")
	var line strings.Builder
	for _, a := range cmd.Args {
		line.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "' ")
	}
	line.WriteString("> '" + out + "'")
	sc := exec.Command(scriptBin, "-q", "-e", "-c", line.String(), typescript)
	sc.Env = append(os.Environ(), mainEnv+"=1")
	sc.Dir = dir
	b, err := sc.CombinedOutput()
	require.NoError(t, err, "%s", b)
	term, err := os.ReadFile(typescript)
	require.NoError(t, err)
	f, err := os.ReadFile(out)
	require.NoError(t, err)
	return string(term), string(f)
}

// TestProgressOnATerminal: with stdout redirected, progress still shows on
// the terminal (stderr), redrawn in place; the report goes to the file
// whole, with no control codes; --quiet silences the progress.
func TestProgressOnATerminal(t *testing.T) {
	// --min-overlap 1: under script -e an inconclusive run (exit 3, likely
	// under qemu in so short a run) would fail the test, which is about
	// where the output goes.
	term, file := underTerminal(t, "stress", "--duration", "1s", "--threads", "2", "--site", "call", "--min-overlap", "1")
	assert.Contains(t, term, "\r\033[K", "progress is redrawn in place on the terminal")
	assert.Regexp(t, `\d\.\ds  calls \S+  patches \S+ \(overlapped a call \S+\)  violations 0`, term)
	assert.Contains(t, file, "verdict    pass: ")
	assert.NotContains(t, file, "\033[", "the report has no control codes")

	term, file = underTerminal(t, "stress", "--quiet", "--duration", "500ms", "--threads", "2", "--site", "call", "--min-overlap", "1")
	assert.NotContains(t, term, "calls ", "--quiet: no progress")
	assert.Contains(t, file, "violations 0")

	term, file = underTerminal(t, "--duration", "1s", "--threads", "2")
	assert.Contains(t, term, "▶ ", "the demo's live table goes to the terminal")
	assert.Contains(t, file, "jitdemo tiering:")
	assert.NotContains(t, file, "\033[")
}
