package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/litmus"
	"github.com/syncore/syncore/membarrier"
	"github.com/syncore/syncore/membarrier/selfexec"
)

// negativeControl is a litmus test whose expectation is deliberately
// wrong: every run observes the outcome it calls forbidden.
const negativeControl = "../../litmus/testdata/negative-control.litmus"

// tooManyOutcomes parses and assembles, but has more outcomes than a run can
// count: litmus.Check refuses it.
const tooManyOutcomes = "../../litmus/testdata/too-many-outcomes.litmus"

// TestLitmusCommand runs the whole catalogue briefly (no forbidden outcome:
// exit 0, one summary line per test) and the negative control (exit 1, the
// loud line), as text and as JSON valid against docs/schema/litmus.json.
func TestLitmusCommand(t *testing.T) {
	iters := "300"
	if testing.Short() {
		iters = "100"
	}
	out, errOut, code := jitdemo(t, "litmus", "--all", "--iterations", iters, "--quiet")
	assert.Equal(t, 0, code, "%s\n%s", out, errOut)
	for _, tc := range litmus.All() {
		assert.Contains(t, out, tc.Name)
	}
	assert.NotContains(t, out, "FORBIDDEN")
	// Every test ran all its iterations: its summary line's runs column
	// says so, and no line says "nothing ran" or "not applicable" — except,
	// where the kernel has no membarrier SYNC_CORE, those of the tests
	// that issue membarrier.
	set, qerr := membarrier.Query()
	syncCore := qerr == nil && set.Has(membarrier.CmdPrivateExpeditedSyncCore)
	if syncCore {
		assert.NotContains(t, out, "not applicable")
	}
	assert.NotContains(t, out, "nothing ran")
	for _, tc := range litmus.All() {
		line := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(tc.Name) + `\s+\S+ \((?:native|emulated)\)\s+(\d+)\s.*$`).FindStringSubmatch(out)
		if !assert.NotNil(t, line, "no summary line for %s:\n%s", tc.Name, out) {
			continue
		}
		if !syncCore && tc.Uses(litmus.OpMembarrier, 0) {
			assert.True(t, strings.HasSuffix(line[0], "not applicable"), "%s", line[0])
			continue
		}
		assert.Equal(t, iters, line[1], "%s", line[0])
		assert.True(t, strings.HasSuffix(line[0], "ok"), "%s", line[0])
	}

	chart := filepath.Join(t.TempDir(), "outcomes.svg")
	out, errOut, code = jitdemo(t, "litmus", "--iterations", "100", "--plot", chart, negativeControl)
	assert.Equal(t, 1, code, "%s\n%s", out, errOut)
	assert.Contains(t, out, "FORBIDDEN OUTCOME OBSERVED")
	// The chart: an SVG with a bar labelled by the test and its outcome.
	svg, err := os.ReadFile(chart)
	if assert.NoError(t, err, "--plot wrote no chart") {
		assert.Contains(t, string(svg), "<svg")
		assert.Contains(t, string(svg), "negative-control: ")
	}

	schemas := jsonSchemas(t)
	out, errOut, code = jitdemo(t, "litmus", "--json", "--iterations", "100", negativeControl)
	assert.Equal(t, 1, code, errOut)
	doc := validJSON(t, schemas, "litmus.json", out)
	results, _ := doc["results"].([]any)
	if assert.Len(t, results, 1) {
		r := results[0].(map[string]any)
		assert.Equal(t, true, r["forbidden_observed"])
	}
	out, _, code = jitdemo(t, "litmus", "--json", "--iterations", "0", "--all")
	assert.Equal(t, 2, code)
	assert.Equal(t, errKindUsage, errorKind(validJSON(t, schemas, "litmus.json", out)))
}

// TestLitmusUsage: every mistake is one line naming it and exit 2.
func TestLitmusUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		line string
	}{
		{nil, "give --all or one or more FILEs (not both)"},
		{[]string{"--all", negativeControl}, "give --all or one or more FILEs (not both)"},
		{[]string{"--all", "--iterations", "0"}, "--iterations 0 is out of range: want 1 or more"},
		{[]string{"no-such.litmus"}, "open no-such.litmus: no such file or directory"},
		// Check refuses it before anything runs, the negative control too.
		{[]string{negativeControl, tooManyOutcomes}, tooManyOutcomes + ":16:9: test too-many-outcomes has more than 65536 possible outcomes"},
	} {
		args := append([]string{"litmus"}, tc.args...)
		out, errOut, code := jitdemo(t, args...)
		assert.Equal(t, 2, code, "%v: %s", args, errOut)
		assert.Empty(t, out, "%v", args)
		assert.Equal(t, "jitdemo litmus: "+tc.line+"\nrun 'jitdemo help litmus' for usage\n", errOut, "%v", args)
	}
}

// TestLitmusCheckJSON: with --json, a file that Check refuses is the usage
// error document, and nothing runs.
func TestLitmusCheckJSON(t *testing.T) {
	out, errOut, code := jitdemo(t, "litmus", "--json", negativeControl, tooManyOutcomes)
	assert.Equal(t, 2, code, errOut)
	doc := validJSON(t, jsonSchemas(t), "litmus.json", out)
	assert.Equal(t, errKindUsage, errorKind(doc))
	assert.NotContains(t, out, "results")
}

// procChildren lists the live child processes of pid (from /proc).
func procChildren(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		var state string
		var ppid int
		if i := bytes.LastIndexByte(b, ')'); i < 0 {
			continue
		} else if _, err := fmt.Sscanf(string(b[i+1:]), " %s %d", &state, &ppid); err != nil || ppid != pid || state == "Z" {
			continue
		}
		if c, err := strconv.Atoi(e.Name()); err == nil {
			kids = append(kids, c)
		}
	}
	return kids
}

// TestLitmusInterrupted: SIGTERM stops a run; the interrupted test's partial
// result is in the JSON document (ran, no crash, stopped), the exit status
// is 1, and the litmus child is gone.
func TestLitmusInterrupted(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("litmus tests run on Linux only")
	}
	cmd, err := selfexec.Command("litmus", "--json", "--iterations", "1000000000", "../../litmus/tests/cmc-flag.litmus")
	require.NoError(t, err)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	// Wait for the litmus child, then let it run a while.
	var kids []int
	for deadline := time.Now().Add(2 * time.Minute); len(kids) == 0; kids = procChildren(cmd.Process.Pid) {
		if time.Now().After(deadline) {
			t.Fatalf("no litmus child in two minutes:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, stderr.String())
	assert.Equal(t, 1, ee.ExitCode(), stderr.String())
	assert.Contains(t, stderr.String(), "jitdemo litmus: interrupted")
	doc := validJSON(t, jsonSchemas(t), "litmus.json", stdout.String())
	results, _ := doc["results"].([]any)
	if assert.Len(t, results, 1, stdout.String()) {
		r := results[0].(map[string]any)
		ran, _ := r["ran"].(json.Number).Int64()
		crashes, _ := r["crashes"].(json.Number).Int64()
		assert.Greater(t, ran, int64(0), "nothing ran before the signal")
		assert.Less(t, ran, int64(1e9))
		assert.Equal(t, int64(0), crashes, "the killed child counted as a crash")
		assert.Equal(t, "stopped: context canceled", r["stopped"])
	}
	for _, c := range kids {
		_, err := os.Stat(fmt.Sprintf("/proc/%d", c))
		assert.True(t, os.IsNotExist(err), "the litmus child %d outlived the run", c)
	}
}
