package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/patch/stress"
)

func TestStressCommand(t *testing.T) {
	out, errOut, code := jitdemo(t, "stress", "--duration", "300ms", "--threads", "2", "--site", "call")
	require.Equal(t, 0, code, "stderr: %s\nstdout: %s", errOut, out)
	assert.Contains(t, out, "violations 0 (stale 0, torn 0, crash 0, hang 0)")
	assert.Regexp(t, `calls\s+\d`, out)
	assert.Regexp(t, `(?m)^  overlap    [1-9][0-9.]*[kMG]? of [0-9.]+[kMG]? patches overlapped a call \(need 100\)$`, out)
	assert.Regexp(t, `(?m)^  verdict    pass: no violation in [1-9]\d* calls; [1-9]\d* of \d+ patches overlapped a call \(need 100\)$`, out)

	out, errOut, code = jitdemo(t, "stress", "--protocol", "unsafe", "--barrier", "none", "--duration", "2s", "--json")
	require.Equal(t, 1, code, "the negative control must be caught: %s\n%s", out, errOut)
	validJSON(t, jsonSchemas(t), "stress.json", out) // a fail, with examples
	var rep stress.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	assert.Positive(t, rep.Violations.Total())
	assert.Equal(t, "unsafe", rep.Protocol)
	assert.Equal(t, stress.VerdictFail, rep.Verdict)
	assert.Contains(t, rep.VerdictReason, "violation")
}

// TestStressWithoutEvidence: one patch cannot show anything: the run must
// not exit 0, and unless it caught a violation it is inconclusive (3).
func TestStressWithoutEvidence(t *testing.T) {
	out, errOut, code := jitdemo(t, "stress", "--protocol", "unsafe", "--barrier", "none", "--patches", "1")
	require.NotEqual(t, 0, code, "a run of one patch passed: %s\n%s", out, errOut)
	if strings.Contains(out, "violations 0 ") {
		assert.Equal(t, 3, code, "%s\n%s", out, errOut)
		assert.Contains(t, out, "verdict    inconclusive: ")
		assert.Regexp(t, `inconclusive: (0 calls|only [01] of 1 patches overlapped a call \(need 100\))`, out)
	} else {
		assert.Equal(t, 1, code, "%s\n%s", out, errOut)
		assert.Contains(t, out, "verdict    fail: ")
	}

	// The same in JSON, against a bar no run of 300 ms can reach.
	out, errOut, code = jitdemo(t, "stress", "--site", "guard", "--threads", "2", "--duration", "300ms",
		"--min-overlap", "1000000000000", "--json")
	require.Equal(t, 3, code, "stderr: %s\nstdout: %s", errOut, out)
	validJSON(t, jsonSchemas(t), "stress.json", out)
	var rep stress.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	assert.Zero(t, rep.Violations.Total())
	assert.Positive(t, rep.Overlap)
	assert.Equal(t, stress.VerdictInconclusive, rep.Verdict)
	assert.Contains(t, rep.VerdictReason, "(need 1000000000000)")
	assert.Contains(t, out, `"verdict": "inconclusive"`)
}

func TestStressHelp(t *testing.T) {
	out, _, code := jitdemo(t, "stress", "--help")
	require.Equal(t, 0, code)
	for _, s := range []string{"--min-overlap", "0  pass", "1  fail", "2  usage", "3  inconclusive", "--site retire", "--reclaim unsafe"} {
		assert.Contains(t, out, s)
	}
}

// TestStressUsage: every mistake is one line naming it, then the hint, exit
// status 2; a configuration the stress package refuses (checked in its
// child process) too.
func TestStressUsage(t *testing.T) {
	// A call site's guarantees and the protocol that fits them, per ISA.
	callSite := map[string]string{
		"amd64":   "in-aligned-qword): use atomic",
		"ppc64le": "in-aligned-qword|word-aligned|patch-class): use patchclass",
		"arm64":   "in-aligned-qword|word-aligned|patch-class): use patchclass",
	}[runtime.GOARCH]
	for _, tc := range []struct {
		args []string
		line string // the first line of stderr, after "jitdemo stress: "
	}{
		{[]string{"--site", "nope"}, `unknown site kind "nope" (want const, call, guard, retire)`},
		{[]string{"--protocol", "nope"}, `patch: unknown protocol "nope" (want one of [auto atomic selfloop dataslot patchclass unsafe straddle])`},
		{[]string{"--barrier", "nope"}, `unknown barrier "nope" (want auto or one of synccore, expedited, mprotect, handshake, global, none)`},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--site", "call", "--protocol", "straddle", "--duration", "1s"},
			"patch: protocol not allowed for this site: straddle on call site s0 (" + callSite},
		{[]string{"--patchers", "3", "--sites", "2"}, "3 patchers for 2 sites: each site has one patcher"},
		{[]string{"--site", "retire", "--reclaim", "nope"}, `jit: unknown reclaim mode "nope" (want grace or unsafe)`},
		{[]string{"--reclaim", "unsafe"}, "--reclaim unsafe applies to --site retire only"},
		// Each range names its flag and what it allows.
		{[]string{"--threads", "-1"}, "--threads -1 is out of range: want 0 to 1024 (0: max(2, CPUs))"},
		{[]string{"--threads", "5000"}, "--threads 5000 is out of range: want 0 to 1024 (0: max(2, CPUs))"},
		{[]string{"--patchers", "0"}, "--patchers 0 is out of range: want 1 to 1024"},
		{[]string{"--sites", "0"}, "--sites 0 is out of range: want 1 to 4096"},
		{[]string{"--sites", "5000"}, "--sites 5000 is out of range: want 1 to 4096"},
		{[]string{"--patches", "-1"}, "--patches -1 is out of range: want 0 or more (0: no limit, run for --duration)"},
		{[]string{"--duration", "0s"}, "--duration must be positive"},
		{[]string{"--min-overlap", "0"}, "--min-overlap 0 is out of range: want 1 or more"},
		{[]string{"--min-overlap", "-5"}, "--min-overlap -5 is out of range: want 1 or more"},
	} {
		args := append([]string{"stress"}, tc.args...)
		out, errOut, code := jitdemo(t, args...)
		assert.Equal(t, 2, code, "%v: %s", args, errOut)
		assert.Empty(t, out, "%v", args)
		assert.Equal(t, "jitdemo stress: "+tc.line+"\nrun 'jitdemo help stress' for usage\n", errOut, "%v", args)
	}
}

// TestStressRetire: versions compiled, retargeted to and closed while the
// workers call them pass with evidence; freeing them without a grace period
// (the negative control) is caught.
func TestStressRetire(t *testing.T) {
	out, errOut, code := jitdemo(t, "stress", "--site", "retire", "--duration", "1500ms", "--threads", "4", "--sites", "4")
	require.Equal(t, 0, code, "stderr: %s\nstdout: %s", errOut, out)
	assert.Contains(t, out, "violations 0 (stale 0, torn 0, crash 0, hang 0)")
	assert.Regexp(t, `(?m)^  retired    [1-9][0-9.]*[kMG]? programs closed \([0-9.]+[kMG]?/s\), reclaim grace: membarrier`, out)
	assert.Regexp(t, `(?m)^  code heap  \d+ bytes in use at the end, at most [0-9.]+[kMG]? at any 100 ms sample$`, out)
	assert.Contains(t, out, "verdict    pass: ")

	out, errOut, code = jitdemo(t, "stress", "--site", "retire", "--reclaim", "unsafe", "--duration", "3s", "--threads", "2", "--json")
	require.Equal(t, 1, code, "freeing code under running calls must be caught: %s\n%s", out, errOut)
	validJSON(t, jsonSchemas(t), "stress.json", out) // often a crash: the report of a lost child
	var rep stress.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	assert.Positive(t, rep.Violations.Total())
	assert.Equal(t, stress.VerdictFail, rep.Verdict)
}
