package main

import (
	"encoding/json"
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

	out, errOut, code = jitdemo(t, "stress", "--protocol", "unsafe", "--barrier", "none", "--duration", "2s", "--json")
	require.Equal(t, 1, code, "the negative control must be caught: %s\n%s", out, errOut)
	var rep stress.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	assert.Positive(t, rep.Violations.Total())
	assert.Equal(t, "unsafe", rep.Protocol)
}

func TestStressUsage(t *testing.T) {
	for _, args := range [][]string{
		{"stress", "--site", "nope"},
		{"stress", "--protocol", "nope"},
		{"stress", "--barrier", "nope"},
		{"stress", "--sites", "0"},
		{"stress", "extra"},
		{"stress", "--site", "call", "--protocol", "straddle", "--duration", "1s"},
		{"stress", "--sites", "5000"},
		{"stress", "--patchers", "3", "--sites", "2"},
	} {
		_, errOut, code := jitdemo(t, args...)
		assert.Equal(t, 2, code, "%v: %s", args, errOut)
		first, _, _ := strings.Cut(errOut, "\n")
		assert.True(t, strings.HasPrefix(first, "jitdemo stress: "), first)
	}
}
