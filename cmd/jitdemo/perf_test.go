package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit"
)

// TestPerfNamesJITCode runs the real perf on `jitdemo run --perf`: after
// perf inject --jit, perf report names fib, which carries the largest share
// of the samples.
// Under qemu-user perf would profile the emulator, not the JIT code, so the
// emulated run checks the jitdump file that names fib instead.
func TestPerfNamesJITCode(t *testing.T) {
	dir := t.TempDir()
	fib, err := filepath.Abs("../../examples/fib.jasm")
	require.NoError(t, err)
	if jit.Emulated() {
		out, errOut, code := jitdemo(t, "run", "--perf", "--perf-dir", dir, fib, "20")
		require.Equal(t, 0, code, errOut)
		assert.Equal(t, "6765\n", out)
		m := regexp.MustCompile(`jitdump for perf: (\S+)`).FindStringSubmatch(errOut)
		require.NotNil(t, m, errOut)
		raw, err := os.ReadFile(m[1])
		require.NoError(t, err)
		assert.Equal(t, []byte("DTiJ"), raw[:4], "the jitdump magic, little-endian")
		assert.Contains(t, string(raw), "fib [fib.jasm]\x00")
		assert.Contains(t, string(raw), fib+"\x00", "the line table names the source")
		return
	}
	perf, err := exec.LookPath("perf")
	require.NoError(t, err, "perf is missing: `make test` installs it (Debian linux-perf)")
	exe, err := os.Executable()
	require.NoError(t, err)
	// Without --perf (the negative control) perf sees anonymous memfd
	// bytes and names no jasm function.
	for _, withDump := range []bool{true, false} {
		top, topPct, fibPct, out := perfReport(t, perf, exe, dir, fib, withDump)
		if !withDump {
			// The report has samples, so that no fib among them says
			// something.
			require.Positive(t, topPct, "perf report without --perf has no samples:\n%s", out)
			t.Logf("perf report without --perf: top %q, %.1f%% of samples", top, topPct)
			assert.Zero(t, fibPct, "without --perf nothing names fib:\n%s", out)
			continue
		}
		t.Logf("perf report: fib [fib.jasm] %.1f%% of samples; top %q", fibPct, top)
		assert.Equal(t, "fib [fib.jasm]", top, "perf names the JIT function that ran:\n%s", out)
		// fib carries the largest share; with -race on a busy 2-core
		// machine the runtime's share grows, so "most" is not asked.
		assert.Greater(t, fibPct, 25.0, "fib carries a large share of the samples:\n%s", out)
	}
}

// perfReport records `jitdemo run [--perf] fib.jasm 35` with perf, injects
// the jitdump and returns the top symbol of perf report, its share of the
// samples and fib's. It skips the test when perf cannot record on this
// machine.
func perfReport(t *testing.T, perf, exe, dir, fib string, withDump bool) (top string, topPct, fibPct float64, report string) {
	t.Helper()
	sub, err := os.MkdirTemp(dir, "run")
	require.NoError(t, err)
	args := []string{"record", "-k", "1", "-e", "cpu-clock", "-o", filepath.Join(sub, "perf.data"), "--", exe, "run"}
	if withDump {
		args = append(args, "--perf", "--perf-dir", sub)
	}
	rec := exec.Command(perf, append(args, fib, "35")...)
	rec.Env = append(os.Environ(), mainEnv+"=1")
	rec.Dir = sub
	out, err := rec.CombinedOutput()
	if err != nil && regexp.MustCompile(`perf_event_open|perf_event_paranoid|Permission denied|Operation not permitted`).Match(out) {
		// perf_event_open is refused on this machine (a container, a
		// paranoid setting): nothing can be profiled here.
		t.Skipf("perf cannot record here, so the check did not run: %s", out)
	}
	require.NoError(t, err, "perf record:\n%s", out)
	require.Contains(t, string(out), "9227465", "fib(35)")

	inj := exec.Command(perf, "inject", "--jit", "-i", filepath.Join(sub, "perf.data"), "-o", filepath.Join(sub, "perf.jit.data"))
	inj.Dir = sub
	out, err = inj.CombinedOutput()
	require.NoError(t, err, "perf inject:\n%s", out)

	rep := exec.Command(perf, "report", "-i", filepath.Join(sub, "perf.jit.data"), "--stdio", "--sort", "sym")
	rep.Dir = sub
	out, err = rep.CombinedOutput()
	require.NoError(t, err, "perf report:\n%s", out)
	// Lines like "    76.92%  [.] fib [fib.jasm]", most samples first.
	line := regexp.MustCompile(`^\s*([0-9.]+)%\s+\[.\]\s+(.*\S)\s*$`)
	for _, l := range strings.Split(string(out), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		pct, _ := strconv.ParseFloat(m[1], 64)
		if pct > topPct {
			top, topPct = m[2], pct
		}
		if m[2] == "fib [fib.jasm]" {
			fibPct = pct
		}
	}
	return top, topPct, fibPct, string(out)
}
