package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/patch"
	"github.com/syncore/syncore/patch/stress"
)

// The --json output of every command is validated against its JSON Schema
// in docs/schema (draft 2020-12) with a maintained validator,
// github.com/santhosh-tekuri/jsonschema, rather than with checks written
// here: the schemas are what scripts read, so they are what is tested.

const schemaDir = "../../docs/schema"

// jsonSchemas compiles every schema in docs/schema (each is registered
// under its $id, so that their $refs to one another resolve without a
// network) and returns them by file name. Compiling also checks each
// schema against the 2020-12 meta-schema.
func jsonSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(schemaDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	c := jsonschema.NewCompiler()
	ids := map[string]string{}
	for _, f := range files {
		r, err := os.Open(f)
		require.NoError(t, err)
		doc, err := jsonschema.UnmarshalJSON(r)
		r.Close()
		require.NoError(t, err, f)
		obj, ok := doc.(map[string]any)
		require.True(t, ok, "%s: not an object", f)
		assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", obj["$schema"], f)
		id, _ := obj["$id"].(string)
		name := filepath.Base(f)
		require.True(t, strings.HasSuffix(id, "/docs/schema/"+name), "%s: $id %q does not end in /docs/schema/%s", f, id, name)
		require.NoError(t, c.AddResource(id, doc), f)
		ids[name] = id
	}
	out := map[string]*jsonschema.Schema{}
	for name, id := range ids {
		s, err := c.Compile(id)
		require.NoError(t, err, name)
		out[name] = s
	}
	for _, want := range []string{"common.json", "error.json", "info.json", "stress.json", "bench.json", "workload.json", "run.json", "litmus.json"} {
		require.Contains(t, out, want)
	}
	return out
}

// validJSON checks that out is one JSON document valid against schema and
// returns it decoded (numbers as json.Number).
func validJSON(t *testing.T, schemas map[string]*jsonschema.Schema, schema, out string) map[string]any {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	require.NoError(t, err, "stdout is not one JSON document:\n%s", out)
	if err := schemas[schema].Validate(doc); err != nil {
		t.Fatalf("the output is not valid against docs/schema/%s:\n%v\n%s", schema, err, out)
	}
	m, ok := doc.(map[string]any)
	require.True(t, ok)
	return m
}

// errorKind returns the error document's kind, "" for a result.
func errorKind(doc map[string]any) string {
	e, _ := doc["error"].(map[string]any)
	k, _ := e["kind"].(string)
	return k
}

// TestJSONSchemas runs every command with --json, briefly, and validates
// what it prints against its schema: results, runtime failures and usage
// mistakes alike. The report of every workload (run --workload) is
// validated by TestWorkloads, which runs them all; here the demo's.
func TestJSONSchemas(t *testing.T) {
	schemas := jsonSchemas(t)
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notDir, []byte("x"), 0o644))
	divJasm := filepath.Join(dir, "div.jasm")
	require.NoError(t, os.WriteFile(divJasm, []byte("func f 1\n    push 1\n    arg 0\n    div\n    ret\nend\nfunc main 1\n    arg 0\n    call f\n    ret\nend\n"), 0o644))

	type tc struct {
		name   string
		args   []string
		schema string
		codes  []int                                  // allowed exit statuses
		check  func(t *testing.T, doc map[string]any) // more checks of the document
	}
	wantError := func(kind string) func(*testing.T, map[string]any) {
		return func(t *testing.T, doc map[string]any) { assert.Equal(t, kind, errorKind(doc), "%v", doc) }
	}
	wantResult := func(t *testing.T, doc map[string]any) {
		assert.Empty(t, errorKind(doc), "%v", doc)
	}
	wantWorkload := func(name string) func(*testing.T, map[string]any) {
		return func(t *testing.T, doc map[string]any) {
			wantResult(t, doc)
			assert.Equal(t, name, doc["workload"])
		}
	}
	short := "300ms"
	tests := []tc{
		{"info", []string{"info", "--json"}, "info.json", []int{0}, wantResult},
		{"stress", []string{"stress", "--duration", short, "--threads", "2", "--json"}, "stress.json", []int{exitPass, exitInconclusive},
			func(t *testing.T, doc map[string]any) {
				wantResult(t, doc)
				cfg := doc["config"].(map[string]any)
				assert.Equal(t, "auto", cfg["protocol"], "enums are names")
				assert.Equal(t, json.Number("300000000"), cfg["duration_ns"])
			}},
		{"stress retire, inconclusive", []string{"stress", "--site", "retire", "--sites", "2", "--duration", short, "--threads", "2",
			"--min-overlap", "1000000000000", "--json"}, "stress.json", []int{exitInconclusive},
			func(t *testing.T, doc map[string]any) {
				assert.Equal(t, "inconclusive", doc["verdict"])
				assert.Equal(t, "grace", doc["config"].(map[string]any)["reclaim"])
			}},
		{"stress: configuration refused", []string{"stress", "--site", "call", "--protocol", "straddle", "--duration", short, "--json"},
			"stress.json", []int{exitUsage}, wantError(errKindConfig)},
		{"stress: usage", []string{"stress", "--sites", "0", "--json"}, "stress.json", []int{2}, wantError(errKindUsage)},
		{"stress: bad flag", []string{"stress", "--json", "--threads", "x"}, "stress.json", []int{2}, wantError(errKindUsage)},
		{"bench", []string{"bench", "--quick", "--workers", "0,1", "--samples", "3", "--json"}, "bench.json", []int{0},
			func(t *testing.T, doc map[string]any) {
				wantResult(t, doc)
				assert.Equal(t, true, doc["quick"])
			}},
		{"bench: unwritable chart", []string{"bench", "--json", "--plot", filepath.Join(notDir, "x.png")}, "bench.json", []int{2}, wantError(errKindUsage)},
		{"bench: usage", []string{"bench", "--json", "--samples", "-3"}, "bench.json", []int{2}, wantError(errKindUsage)},
		{"demo", []string{"--duration", short, "--threads", "2", "--json"}, "workload.json", []int{0}, wantWorkload("tiering")},
		{"demo: usage", []string{"--json", "--duration", "-1s"}, "workload.json", []int{2}, wantError(errKindUsage)},
		{"run: usage", []string{"run", "--json", "--workload", "nope"}, "workload.json", []int{2}, wantError(errKindUsage)},
		{"info: usage", []string{"info", "--json", "extra"}, "info.json", []int{2}, wantError(errKindUsage)},
		{"run FILE", []string{"run", "--json", "../../examples/fib.jasm", "10"}, "run.json", []int{0},
			func(t *testing.T, doc map[string]any) {
				assert.Equal(t, map[string]any{"schema_version": json.Number("1"), "value": json.Number("55")}, doc)
			}},
		{"run FILE: runtime error", []string{"run", "--json", divJasm, "0"}, "run.json", []int{1},
			func(t *testing.T, doc map[string]any) {
				assert.Equal(t, map[string]any{"kind": "division by zero", "message": "division by zero in f at " + divJasm + ":4:5",
					"func": "f", "pos": divJasm + ":4:5"}, doc["error"])
			}},
		{"run FILE: usage", []string{"run", "--json", divJasm}, "run.json", []int{2}, wantError(errKindUsage)},
		{"run FILE: missing", []string{"run", "--json", "nope.jasm"}, "run.json", []int{2},
			func(t *testing.T, doc map[string]any) {
				assert.Equal(t, map[string]any{"kind": "usage", "message": "open nope.jasm: no such file or directory"}, doc["error"])
			}},
		{"run FILE: unwritable --perf-dir", []string{"run", "--json", "--perf", "--perf-dir", notDir, divJasm, "1"}, "run.json", []int{2},
			func(t *testing.T, doc map[string]any) {
				assert.Equal(t, map[string]any{"kind": "usage", "message": "--perf-dir: cannot write in " + notDir + ": not a directory"}, doc["error"])
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := jitdemo(t, tc.args...)
			require.Contains(t, tc.codes, code, "exit status; stderr: %s\nstdout: %s", errOut, out)
			doc := validJSON(t, schemas, tc.schema, out)
			assert.Equal(t, json.Number("1"), doc["schema_version"])
			if errorKind(doc) != "" {
				validJSON(t, schemas, "error.json", out)
			}
			if tc.check != nil {
				tc.check(t, doc)
			}
		})
	}
}

// TestJSONSchemasRejectMistakes is the negative control: documents that
// break the conventions (the old field names and types among them) must
// fail validation, or a schema that accepts anything would pass the test
// above.
func TestJSONSchemasRejectMistakes(t *testing.T) {
	schemas := jsonSchemas(t)
	// Real reports, made in this process (no child runs, no measurement
	// worth the name), then broken one field at a time.
	info := gatherInfo()
	cfg := stress.Config{Site: "const", Protocol: patch.DataSlot, Threads: 2, Patchers: 1, Sites: 8, Duration: 1e9, MinOverlap: 100, Reclaim: "grace"}
	stressRep := stressJSON{SchemaVersion: schemaVersion, Report: &stress.Report{Config: cfg, Arch: "amd64", HeapMode: "dual", HeapReason: "probe",
		Protocol: "dataslot", Barrier: "synccore", BarrierReason: "r", Elapsed: 1e9, Calls: 10, Patches: 200, Overlap: 150,
		Verdict: stress.VerdictPass, VerdictReason: "no violation"}}
	bench := &benchReport{SchemaVersion: schemaVersion, Machine: benchMachineInfo(), Samples: 3, GlobalSamples: 3, Workers: []int{0},
		Bare: benchRow{Name: "bare-synccore", Serialising: true, Available: true, Reason: "r",
			Cells: []benchCell{{Workers: 0, Status: cellOK, Samples: 3, Median: 500, Ratio: 1}}},
		Strategies: []benchRow{{Name: "none", Available: true, Reason: "r", Cells: []benchCell{{Workers: 0, Status: cellOK, Samples: 3, Median: 50, Ratio: 0.1}}},
			{Name: "global", Reason: "unavailable here", Cells: []benchCell{{Workers: 0, Status: cellUnavailable}}}},
		BatchBarrier: "synccore",
		Batches:      []benchBatch{{Sites: 10, Samples: 3, MedianPerBatch: 2000, MedianPerSite: 200, BarriersPer: 1, Bare: 500, Ratio: 4}},
		ElapsedNanos: 1e9}
	bench.Machine.HeapMode, bench.Machine.HeapReason = "dual", "probe"
	workload := workloadRuns{SchemaVersion: schemaVersion, Workload: "deopt", Runs: []*workloadReport{{Workload: "deopt", Summary: "s",
		Invariant: "i", Arch: "amd64", HeapMode: "rwx", HeapReason: "probe", Protocol: "atomic", Barrier: "synccore", BarrierReason: "r",
		Threads: 2, Elapsed: 1e9, Versions: []versionReport{{"fast path", 5, 4e8, 12.5}, {"slow path", 5, 6e8, 8.3}}, Calls: 10, Patches: 3}}}
	runDoc := map[string]any{"schema_version": 1, "value": 55}
	errDoc := jsonErrorDoc{SchemaVersion: schemaVersion, Error: jsonError{Kind: "stack overflow", Message: "stack overflow in r at f.jasm:1:1", Func: "r", Pos: "f.jasm:1:1"}}

	type mistake struct {
		name  string
		path  string         // dot-separated; numbers index arrays
		value any            // the new value; deleted when nil
		set   bool           // set value (even nil: JSON null)
		add   map[string]any // or add these fields at path
	}
	cases := []struct {
		schema   string
		doc      any
		mistakes []mistake
	}{
		{"info.json", info, []mistake{
			{name: "old heap_mode prose", path: "heap_mode", value: jit.HeapDual.String(), set: true},
			{name: "no schema_version", path: "schema_version"},
			{name: "schema_version 2", path: "schema_version", value: 2, set: true},
			{name: "old field reclaim", path: "", add: map[string]any{"reclaim": "membarrier"}},
			{name: "cpus as a string", path: "cpus", value: "2", set: true},
			{name: "emulated as a string", path: "emulated", value: "false", set: true},
			{name: "a negative duration", path: "register_ns", value: -1, set: true},
			{name: "null", path: "barrier_reason", value: nil, set: true},
			{name: "a bad mask", path: "supported.mask", value: "1023", set: true},
		}},
		{"stress.json", stressRep, []mistake{
			{name: "protocol as an int (the old config.protocol)", path: "config.protocol", value: 3, set: true},
			{name: "an unknown protocol", path: "config.protocol", value: "fast", set: true},
			{name: "old duration name", path: "config", add: map[string]any{"duration": 1e9}},
			{name: "duration as a string", path: "config.duration_ns", value: "1s", set: true},
			{name: "a fractional count", path: "calls", value: 1.5, set: true},
			{name: "a negative count", path: "overlap", value: -1, set: true},
			{name: "an unknown verdict", path: "verdict", value: "ok", set: true},
			{name: "a pass with violations", path: "violations.torn", value: 3, set: true},
			{name: "old heap_mode prose", path: "heap_mode", value: jit.HeapDual.String(), set: true},
			{name: "heap_mode without heap_reason", path: "heap_reason"},
			{name: "old field retired", path: "", add: map[string]any{"retired": 0}},
			{name: "no verdict", path: "verdict"},
			{name: "latency in seconds", path: "latency.p50_ns", value: 1.5e-5, set: true},
		}},
		{"bench.json", bench, []mistake{
			{name: "old batch field median_ns_per_batch", path: "batches.0", add: map[string]any{"median_ns_per_batch": 2000}},
			{name: "old batch field batch_ratio_to_bare", path: "batches.0", add: map[string]any{"batch_ratio_to_bare": 4}},
			{name: "per-site median as a fraction", path: "batches.0.per_site_ns", value: 197.5, set: true},
			{name: "an unknown cell status", path: "strategies.0.cells.0.status", value: "fine", set: true},
			{name: "an ok cell without its median", path: "strategies.0.cells.0.median_ns"},
			{name: "an unavailable strategy with a figure", path: "strategies.1.cells.0.status", value: "ok", set: true},
			{name: "an unknown strategy", path: "strategies.0.name", value: "fence", set: true},
			{name: "old heap_mode prose", path: "machine.heap_mode", value: jit.HeapRWX.String(), set: true},
			{name: "elapsed as a duration string", path: "elapsed_ns", value: "1s", set: true},
		}},
		{"workload.json", workload, []mistake{
			{name: "old version field seconds", path: "runs.0.versions.0", add: map[string]any{"seconds": 0.4}},
			{name: "old version field calls_per_second", path: "runs.0.versions.0", add: map[string]any{"calls_per_second": 12.5}},
			{name: "an unknown workload", path: "workload", value: "tiring", set: true},
			{name: "no runs", path: "runs", value: []any{}, set: true},
			{name: "violations without examples", path: "runs.0.violations", value: 2, set: true},
			{name: "threads 0", path: "runs.0.threads", value: 0, set: true},
			{name: "an unknown pconst", path: "runs.0", add: map[string]any{"pconst": "register"}},
		}},
		{"run.json", runDoc, []mistake{
			{name: "value as a string", path: "value", value: "55", set: true},
			{name: "value and error", path: "", add: map[string]any{"error": map[string]any{"kind": "usage", "message": "m"}}},
			{name: "no value", path: "value"},
		}},
		{"run.json", errDoc, []mistake{
			{name: "an unknown kind", path: "error.kind", value: "segfault", set: true},
			{name: "an empty message", path: "error.message", value: "", set: true},
			{name: "a message of two lines", path: "error.message", value: "f.jasm:3:2: expected a label after jz\nf.jasm:4:2: unknown instruction", set: true},
			{name: "a pos without line and column", path: "error.pos", value: "f.jasm", set: true},
			{name: "exit status inside", path: "error", add: map[string]any{"code": 1}},
		}},
	}
	for _, c := range cases {
		text, err := json.Marshal(c.doc)
		require.NoError(t, err)
		t.Run(c.schema+"/as made", func(t *testing.T) {
			validJSON(t, schemas, c.schema, string(text)) // the control of the control
		})
		for _, m := range c.mistakes {
			t.Run(c.schema+"/"+m.name, func(t *testing.T) {
				doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(text)))
				require.NoError(t, err)
				mutate(t, doc, m.path, m.value, m.set, m.add)
				err = schemas[c.schema].Validate(doc)
				assert.Error(t, err, "docs/schema/%s accepted %s", c.schema, m.name)
			})
		}
	}

	// The stress report of a real child run through the JSON the child
	// writes, with the protocol as the number it used to be: rejected.
	t.Run("stress.json/a real report with the old int protocol", func(t *testing.T) {
		rep, err := stress.RunChild(t.Context(), stress.Config{Site: "call", Threads: 2, Sites: 2, Patches: 50}, nil)
		require.NoError(t, err)
		text, err := json.Marshal(stressJSON{SchemaVersion: schemaVersion, Report: rep})
		require.NoError(t, err)
		validJSON(t, schemas, "stress.json", string(text))
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(text)))
		require.NoError(t, err)
		mutate(t, doc, "config.protocol", int(rep.Config.Protocol), true, nil)
		assert.Error(t, schemas["stress.json"].Validate(doc))
	})
}

// mutate changes doc at path (dot-separated, numbers index arrays): sets
// value when set, adds the fields of add, or else deletes the field.
func mutate(t *testing.T, doc any, path string, value any, set bool, add map[string]any) {
	t.Helper()
	var parts []string
	if path != "" {
		parts = strings.Split(path, ".")
	}
	if add != nil {
		parts = append(parts, "")
	}
	cur := doc
	for i, p := range parts[:len(parts)-1] {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			var n int
			_, err := fmt.Sscan(p, &n)
			require.NoError(t, err)
			cur = c[n]
		}
		require.NotNil(t, cur, "no %s in the document", strings.Join(parts[:i+1], "."))
	}
	obj, ok := cur.(map[string]any)
	require.True(t, ok, "%s is not an object", path)
	last := parts[len(parts)-1]
	switch {
	case add != nil:
		for k, v := range add {
			_, exists := obj[k]
			require.False(t, exists, "%s already has %s", path, k)
			obj[k] = v
		}
	case set:
		if n, ok := value.(int); ok {
			value = json.Number(fmt.Sprint(n))
		}
		obj[last] = value
	default:
		_, exists := obj[last]
		require.True(t, exists, "no %s to delete", path)
		delete(obj, last)
	}
}

// TestJSONDocExamples: every example in docs/json.md is valid against the
// schema its heading names, so the documentation cannot drift from the
// schemas.
func TestJSONDocExamples(t *testing.T) {
	schemas := jsonSchemas(t)
	f, err := os.Open("../../docs/json.md")
	require.NoError(t, err)
	defer f.Close()
	// An example is a ```json block after a line "<!-- schema: NAME.json -->".
	marker := regexp.MustCompile(`^<!-- schema: ([a-z]+\.json) -->$`)
	sc := bufio.NewScanner(f)
	schema, in, seen := "", false, []string{}
	var block strings.Builder
	line := 0
	for sc.Scan() {
		line++
		l := sc.Text()
		switch {
		case !in && marker.MatchString(l):
			schema = marker.FindStringSubmatch(l)[1]
		case !in && l == "```json" && schema != "":
			in = true
			block.Reset()
		case in && l == "```":
			in = false
			t.Run(fmt.Sprintf("%s@line%d", schema, line), func(t *testing.T) {
				validJSON(t, schemas, schema, block.String())
			})
			seen = append(seen, schema)
			schema = ""
		case in:
			block.WriteString(l + "\n")
		}
	}
	require.NoError(t, sc.Err())
	for _, want := range []string{"info.json", "stress.json", "bench.json", "workload.json", "run.json", "error.json"} {
		assert.True(t, slices.Contains(seen, want), "docs/json.md has no example for %s", want)
	}
}
