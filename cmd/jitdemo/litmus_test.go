package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/syncore/syncore/litmus"
)

// negativeControl is a litmus test whose expectation is deliberately
// wrong: every run observes the outcome it calls forbidden.
const negativeControl = "../../litmus/testdata/negative-control.litmus"

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

	out, errOut, code = jitdemo(t, "litmus", "--iterations", "100", negativeControl)
	assert.Equal(t, 1, code, "%s\n%s", out, errOut)
	assert.Contains(t, out, "FORBIDDEN OUTCOME OBSERVED")

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
	} {
		args := append([]string{"litmus"}, tc.args...)
		out, errOut, code := jitdemo(t, args...)
		assert.Equal(t, 2, code, "%v: %s", args, errOut)
		assert.Empty(t, out, "%v", args)
		assert.Equal(t, "jitdemo litmus: "+tc.line+"\nrun 'jitdemo help litmus' for usage\n", errOut, "%v", args)
	}
}
