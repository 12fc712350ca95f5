package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/litmus"
	"github.com/syncore/syncore/membarrier"
	"github.com/syncore/syncore/membarrier/selfexec"
	"github.com/syncore/syncore/patch/stress"
)

// mainEnv makes the test binary behave as jitdemo itself: the end-to-end
// tests run it as a child process, with a fresh membarrier state and real
// exit statuses.
const mainEnv = "SYNCORE_JITDEMO_MAIN"

func TestMain(m *testing.M) {
	stress.ChildMain()
	litmus.ChildMain()
	if os.Getenv(mainEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// jitdemo runs the command in a child process and returns stdout, stderr and
// the exit status.
func jitdemo(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd, err := selfexec.Command(args...)
	require.NoError(t, err)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, selfexec.Explain(err))
	}
	return stdout.String(), stderr.String(), code
}

func TestInfoJSON(t *testing.T) {
	out, errOut, code := jitdemo(t, "info", "--json")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	var rep infoReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)

	want, err := membarrier.Query()
	require.NoError(t, err)
	assert.Equal(t, setJSON(want), rep.Supported, "info reports what QUERY returns")
	assert.Equal(t, runtime.GOARCH, rep.GOARCH)
	assert.Equal(t, "0x0", rep.Before.Mask, "a fresh process has no registrations")
	assert.Empty(t, rep.Before.Commands)
	assert.Contains(t, rep.After.Commands, membarrier.CmdRegisterPrivateExpeditedSyncCore.Name())
	assert.Empty(t, rep.RegisterErr)
	assert.True(t, rep.SyncCoreReady)
	assert.Positive(t, rep.SyncCoreNanos)
	assert.Positive(t, rep.RegisterNanos)
	assert.Equal(t, jit.Emulated(), rep.Emulated)
	assert.Equal(t, "synccore", rep.Barrier, rep.BarrierReason)
	if rep.Emulated {
		assert.Contains(t, rep.HeapMode, "rwx", "qemu-user misses writes through the alias: %s", rep.HeapReason)
	} else {
		assert.Contains(t, rep.HeapMode, "dual", rep.HeapReason)
	}
}

func TestInfoText(t *testing.T) {
	out, errOut, code := jitdemo(t, "info")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	assert.Regexp(t, `(?m)^registrations before\s+none \(0x0\)$`, out)
	assert.Regexp(t, `(?m)^registrations after\s+0x[0-9a-f]+[\s\w]*\bREGISTER_PRIVATE_EXPEDITED_SYNC_CORE\b`, out)
	assert.Regexp(t, `(?m)^register SYNC_CORE\s+ok in `, out)
	assert.Contains(t, out, "GOARCH")
}

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	missingDir := filepath.Join(dir, "missing")
	notDir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o644))
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // substring wanted on stdout
		stderrLine string // wanted first line of stderr
	}{
		{"help", []string{"help"}, 0, "info", ""},
		{"--help", []string{"--help"}, 0, "Commands:", ""},
		{"help info", []string{"help", "info"}, 0, "Usage: jitdemo info", ""},
		{"info -h", []string{"info", "-h"}, 0, "-json", ""},
		{"info --help", []string{"info", "--help"}, 0, "Usage: jitdemo info", ""},
		{"unknown command", []string{"frobnicate"}, 2, "", `jitdemo: unknown command "frobnicate" (the commands: bench, disasm, info, litmus, run, stress, version)`},
		{"demo: unknown flag", []string{"--bogus"}, 2, "", "jitdemo: flag provided but not defined: -bogus"},
		{"demo: bad duration", []string{"--duration", "-1s"}, 2, "", "jitdemo: --duration must be positive"},
		{"demo: stray argument", []string{"--duration", "1s", "extra"}, 2, "", `jitdemo: unknown command "extra" (the commands: bench, disasm, info, litmus, run, stress, version)`},
		{"run: unknown workload", []string{"run", "--workload", "nope"}, 2, "", `jitdemo run: unknown workload "nope" (want tiering, inline-cache, deopt, constants)`},
		{"run: --workload with a FILE", []string{"run", "--workload", "deopt", "f.jasm"}, 2, "", `jitdemo run: --workload takes no FILE or ARGS (got "f.jasm")`},
		{"run: --workload, too many threads", []string{"run", "--workload", "deopt", "--threads", "5000"}, 2, "",
			"jitdemo run: --threads 5000 is out of range: want 0 to 1024 (0: max(2, CPUs))"},
		{"demo: negative threads", []string{"--threads", "-1"}, 2, "", "jitdemo: --threads -1 is out of range: want 0 to 1024 (0: max(2, CPUs))"},
		{"run: --perf with --interp", []string{"run", "--perf", "--interp", "f.jasm"}, 2, "", "jitdemo run: --perf profiles machine code: it does not go with --interp"},
		{"disasm: bad arch", []string{"disasm", "--arch", "x86", "f.jasm"}, 2, "", `jitdemo disasm: jit: unknown architecture "x86" (want amd64, ppc64le or arm64)`},
		{"disasm: no file", []string{"disasm"}, 2, "", "jitdemo disasm: want exactly one FILE, got 0 arguments"},
		{"disasm: missing file", []string{"disasm", "nope.jasm"}, 2, "", "jitdemo disasm: open nope.jasm: no such file or directory"},
		{"run: missing file", []string{"run", "nope.jasm"}, 2, "", "jitdemo run: open nope.jasm: no such file or directory"},
		{"run: no file", []string{"run"}, 2, "", "jitdemo run: missing FILE (or --workload NAME)"},
		{"disasm: two files", []string{"disasm", "a", "b"}, 2, "", "jitdemo disasm: want exactly one FILE, got 2 arguments"},
		{"stress: bad threads", []string{"stress", "--threads", "nope"}, 2, "", `jitdemo stress: invalid value "nope" for flag -threads: parse error`},
		{"version: extra", []string{"version", "x"}, 2, "", `jitdemo version: unexpected argument "x"`},
		{"run: negative timeout", []string{"run", "--timeout", "-1s", "f.jasm"}, 2, "", "jitdemo run: --timeout -1s is negative"},
		{"run: --perf-dir missing", []string{"run", "--perf", "--perf-dir", missingDir, "f.jasm"}, 2, "",
			"jitdemo run: --perf-dir: cannot write in " + missingDir + ": no such file or directory"},
		{"run: --perf-dir a file", []string{"run", "--perf", "--perf-dir", notDir, "f.jasm"}, 2, "", // refused even to root
			"jitdemo run: --perf-dir: cannot write in " + notDir + ": not a directory"},
		{"unknown flag", []string{"info", "--bogus"}, 2, "", "jitdemo info: flag provided but not defined: -bogus"},
		{"extra argument", []string{"info", "extra"}, 2, "", `jitdemo info: unexpected argument "extra"`},
		{"help unknown", []string{"help", "nope"}, 2, "", `jitdemo help: unknown command "nope" (the commands: bench, disasm, info, litmus, run, stress, version)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			assert.Equal(t, tc.code, code)
			if tc.stdout != "" {
				assert.Contains(t, stdout.String(), tc.stdout)
			}
			if tc.stderrLine != "" {
				assert.Empty(t, stdout.String(), "a mistake goes to stderr alone")
				first, rest, _ := strings.Cut(stderr.String(), "\n")
				assert.Equal(t, tc.stderrLine, first)
				help := "jitdemo help"
				if c := tc.args[0]; commands[c] != nil && c != "help" {
					help += " " + c
				}
				assert.Equal(t, "run '"+help+"' for usage\n", rest, "one line naming the mistake, then the hint")
			} else {
				assert.Empty(t, stderr.String())
			}
		})
	}
}

// TestJSONMode: a mistake is reported in JSON only when the command's own
// flags set --json, in any form the flag package accepts, before the first
// argument that is not a flag; otherwise as a line on stderr.
func TestJSONMode(t *testing.T) {
	fib := "../../examples/fib.jasm"
	tests := []struct {
		name    string
		args    []string
		asJSON  bool
		message string // the error document's message, or stderr's first line without "jitdemo …: "
	}{
		{"version has no --json", []string{"version", "--json"}, false, "flag provided but not defined: -json"},
		{"disasm has no --json", []string{"disasm", "--json", fib}, false, "flag provided but not defined: -json"},
		{"a program's argument is not the flag", []string{"run", fib, "--json"}, false, `argument 1: "--json" is not a 64-bit integer`},
		{"after --", []string{"run", "--", "--json", "1"}, false, "open --json: no such file or directory"},
		{"after an argument", []string{"stress", "extra", "--json"}, false, `unexpected argument "extra"`},
		{"the value of another flag", []string{"stress", "--threads", "--json"}, false, `invalid value "--json" for flag -threads: parse error`},
		{"no command", []string{"frobnicate", "--json"}, false, `unknown command "frobnicate" (the commands: bench, disasm, info, litmus, run, stress, version)`},
		{"help", []string{"help", "nope", "--json"}, false, `unknown command "nope" (the commands: bench, disasm, info, litmus, run, stress, version)`},
		{"--json", []string{"info", "--json", "extra"}, true, `unexpected argument "extra"`},
		{"-json", []string{"info", "-json", "extra"}, true, `unexpected argument "extra"`},
		{"--json=1", []string{"info", "--json=1", "extra"}, true, `unexpected argument "extra"`},
		{"-json=true", []string{"info", "-json=true", "extra"}, true, `unexpected argument "extra"`},
		{"--json=false", []string{"info", "--json=false", "extra"}, false, `unexpected argument "extra"`},
		{"the last --json counts", []string{"info", "--json", "--json=0", "extra"}, false, `unexpected argument "extra"`},
		{"a bad --json value", []string{"info", "--json=maybe"}, false, `invalid boolean value "maybe" for -json: parse error`},
		// The flags do not parse: --json counts where it comes before the
		// first non-flag argument, before or after the mistake.
		{"parse error after --json", []string{"stress", "--json", "--threads", "x"}, true, `invalid value "x" for flag -threads: parse error`},
		{"parse error before --json", []string{"stress", "--threads", "x", "--json"}, true, `invalid value "x" for flag -threads: parse error`},
		{"unknown flag before --json", []string{"stress", "--bogus", "--json"}, true, "flag provided but not defined: -bogus"},
		{"unknown flag after --json=1", []string{"stress", "--json=1", "--bogus"}, true, "flag provided but not defined: -bogus"},
		{"a bool flag takes no value", []string{"run", "--interp", "--json", "--timeout", "x", fib}, true, `invalid value "x" for flag -timeout: parse error`},
		{"parse error, --json after the arguments", []string{"run", "--timeout", "x", fib, "--json"}, false, `invalid value "x" for flag -timeout: parse error`},
		{"parse error, --json=false", []string{"stress", "--json=false", "--bogus"}, false, "flag provided but not defined: -bogus"},
		{"demo: --json", []string{"--json", "--bogus"}, true, "flag provided but not defined: -bogus"},
		{"demo: --json after the mistake", []string{"--bogus", "--json"}, true, "flag provided but not defined: -bogus"},
		{"demo: --json=0", []string{"--json=0", "--bogus"}, false, "flag provided but not defined: -bogus"},
		{"demo: a command after the flags", []string{"--duration", "1s", "extra", "--json"}, false, `unknown command "extra" (the commands: bench, disasm, info, litmus, run, stress, version)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			assert.Equal(t, 2, code)
			if tc.asJSON {
				assert.Empty(t, stderr.String())
				var doc jsonErrorDoc
				require.NoError(t, json.Unmarshal(stdout.Bytes(), &doc), stdout.String())
				assert.Equal(t, jsonErrorDoc{SchemaVersion: 1, Error: jsonError{Kind: errKindUsage, Message: tc.message}}, doc)
				return
			}
			assert.Empty(t, stdout.String())
			first, _, _ := strings.Cut(stderr.String(), "\n")
			_, msg, _ := strings.Cut(first, ": ")
			assert.Equal(t, tc.message, msg, "stderr: %s", stderr.String())
		})
	}
}
