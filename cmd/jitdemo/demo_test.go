package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDefaultDemo: jitdemo with no command runs the tiering demo; with
// stderr not a terminal it shows no progress, and stdout gets the summary
// alone, with no violations.
func TestDefaultDemo(t *testing.T) {
	out, errOut, code := jitdemo(t, "--duration", "2s", "--threads", "2")
	require.Equal(t, 0, code, "stderr: %s\n%s", errOut, out)
	assert.NotContains(t, out, "\033[", "progress goes to stderr, never into the report")
	assert.Empty(t, errOut, "no progress when stderr is not a terminal")
	assert.Contains(t, out, "jitdemo tiering:")
	assert.Regexp(t, `(?m)^  version\s+baseline\s+\S+ calls`, out)
	assert.Regexp(t, `(?m)^  version\s+optimized\s+\S+ calls`, out)
	assert.Regexp(t, `(?m)^  patches\s+[1-9]\d*, latency p50`, out)
	assert.Regexp(t, `(?m)^  violations\s+0 `, out)
}

func TestWorkloads(t *testing.T) {
	schemas := jsonSchemas(t)
	for _, name := range workloadNames() {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := jitdemo(t, "run", "--workload", name, "--duration", "1s", "--json")
			require.Equal(t, 0, code, "stderr: %s\n%s", errOut, out)
			validJSON(t, schemas, "workload.json", out)
			var runs workloadRuns
			require.NoError(t, json.Unmarshal([]byte(out), &runs), out)
			assert.Equal(t, name, runs.Workload)
			require.NotEmpty(t, runs.Runs)
			for _, r := range runs.Runs {
				assert.Zero(t, r.Violations, "%v", r.Examples)
				assert.Positive(t, r.Patches)
				assert.Positive(t, r.Calls)
				assert.NotEmpty(t, r.Barrier)
				seen := 0
				for _, v := range r.Versions {
					if v.Calls > 0 {
						seen++
					}
				}
				assert.GreaterOrEqual(t, seen, 2, "calls reached at least two versions: %+v", r.Versions)
			}
		})
	}
}

// TestWorkloadCheckCatchesAWrongResult is the negative control of the
// workloads' checks: a decoded result that does not fit is a violation.
func TestWorkloadCheckCatchesAWrongResult(t *testing.T) {
	for _, w := range workloads {
		args := []int64{1, 3}[:1]
		if w.name == "inline-cache" {
			args = []int64{1, 3}
		}
		_, ok := w.decode(args, 0x7f00)
		assert.False(t, ok, "%s accepted a wrong result", w.name)
	}
}

func TestDisasm(t *testing.T) {
	out, errOut, code := jitdemo(t, "disasm", "--arch", "ppc64le", "../../examples/fib.jasm")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "blr")
	assert.NotContains(t, out, "(bad)")
	assert.Regexp(t, `(?m)  bl fib$`, out, "calls name their target")
	out, errOut, code = jitdemo(t, "disasm", "--arch", "amd64", "../../examples/fib.jasm")
	require.Equal(t, 0, code, errOut)
	assert.Regexp(t, `(?m)  callq fib$`, out, "calls name their target")

	out, errOut, code = jitdemo(t, "disasm", "--arch", "amd64", "../../examples/pcall.jasm")
	require.Equal(t, 0, code, errOut)
	assert.Regexp(t, `site "op": branch, 8 bytes, changes \[\+3,\+8\), in-aligned-qword, protocol atomic`, out)
	out, errOut, code = jitdemo(t, "disasm", "--arch", "amd64", "--pconst", "code", "../../examples/constants.jasm")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "multi-word, protocol selfloop")
	assert.Regexp(t, `movabs|mov \$0x2,%r\w+`, out, "the constant is in the instruction stream")
}
