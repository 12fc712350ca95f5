package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/patch"
)

// A tiny configuration: two worker counts, a few samples. The figures are
// checked for shape and sign only; timings are never asserted.
var tinyBench = []string{"bench", "--workers", "0,1", "--samples", "5"}

func TestBenchJSONAndPNG(t *testing.T) {
	png := filepath.Join(t.TempDir(), "bench.png")
	out, errOut, code := jitdemo(t, append(tinyBench, "--json", "--plot", png)...)
	require.Equal(t, 0, code, "stderr: %s", errOut)
	validJSON(t, jsonSchemas(t), "bench.json", out)
	var rep benchReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)

	assert.Equal(t, runtime.GOARCH, rep.Machine.GOARCH)
	assert.Equal(t, runtime.NumCPU(), rep.Machine.CPUs)
	assert.Equal(t, jit.Emulated(), rep.Machine.Emulated)
	assert.NotEmpty(t, rep.Machine.Kernel)
	assert.Equal(t, []int{0, 1}, rep.Workers)
	assert.Equal(t, 5, rep.Samples)
	assert.Empty(t, rep.Failures)
	assert.Equal(t, png, rep.Plot)
	assert.Positive(t, rep.ElapsedNanos)

	require.True(t, rep.Bare.Available, rep.Bare.Reason)
	require.Len(t, rep.Bare.Cells, 2)
	for _, c := range rep.Bare.Cells {
		assert.Equal(t, cellOK, c.Status, c.Error)
		assert.Positive(t, c.Median)
		assert.Equal(t, 5, c.Samples)
	}

	var names []string
	for _, row := range rep.Strategies {
		names = append(names, row.Name)
		require.Len(t, row.Cells, 2, row.Name)
		for i, c := range row.Cells {
			assert.Equal(t, rep.Workers[i], c.Workers)
			if !row.Available {
				assert.Equal(t, cellUnavailable, c.Status, row.Name)
				continue
			}
			assert.Equal(t, cellOK, c.Status, "%s with %d workers: %s", row.Name, c.Workers, c.Error)
			assert.Positive(t, c.Median, row.Name)
			assert.Positive(t, c.Ratio, row.Name)
			if row.Name == "global" {
				assert.LessOrEqual(t, c.Samples, 5)
			} else {
				assert.Equal(t, 5, c.Samples, row.Name)
			}
		}
		if row.Name == "synccore" {
			assert.True(t, row.Available, "jit.New registers SYNC_CORE: %s", row.Reason)
			assert.True(t, row.Serialising)
		}
		if row.Name == "none" {
			assert.False(t, row.Serialising)
		}
	}
	assert.Equal(t, patch.BarrierNames, names, "every strategy has a row, in jitdemo's order")

	require.Len(t, rep.Batches, 4)
	assert.Equal(t, "synccore", rep.BatchBarrier, rep.BatchReason)
	for i, b := range rep.Batches {
		assert.Equal(t, []int{1, 10, 100, 1000}[i], b.Sites)
		assert.Positive(t, b.MedianPerBatch)
		assert.Positive(t, b.MedianPerSite)
		assert.Positive(t, b.Bare)
		assert.Positive(t, b.Ratio)
		assert.Equal(t, 1.0, b.BarriersPer, "a batch of data slots is one phase, one barrier")
	}

	data, err := os.ReadFile(png)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")), "PNG magic: % x", data[:min(8, len(data))])
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(png), ".bench-*"))
	checks, _ := filepath.Glob(filepath.Join(filepath.Dir(png), ".jitdemo-check-*"))
	leftovers = append(leftovers, checks...)
	assert.Empty(t, leftovers, "the chart is written through a temporary file that is renamed")
}

func TestBenchTextAndSVG(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "bench.SVG")
	out, errOut, code := jitdemo(t, "bench", "--workers", "2", "--samples", "3", "--plot", svg)
	require.Equal(t, 0, code, "stderr: %s", errOut)
	assert.Empty(t, errOut, "no progress when stderr is not a terminal")
	assert.Regexp(t, `(?m)^busy workers\s+2$`, out)
	assert.Regexp(t, `(?m)^bare SYNC_CORE\s+\S+\s+×1\.00$`, out)
	assert.Regexp(t, `(?m)^synccore\s+\S+\s+×\d`, out)
	for _, name := range patch.BarrierNames {
		assert.Regexp(t, `(?m)^`+name+`\s`, out)
	}
	assert.Regexp(t, `(?m)^\s+1000\s+\S+\s+\S+\s+1\s+×`, out)
	assert.Contains(t, out, "chart: "+svg)
	if jit.Emulated() {
		assert.Contains(t, out, "emulated")
	}

	data, err := os.ReadFile(svg)
	require.NoError(t, err)
	head := strings.TrimSpace(string(data[:min(200, len(data))]))
	assert.True(t, strings.HasPrefix(head, "<?xml") || strings.HasPrefix(head, "<svg"), "SVG head: %q", head)
	assert.Contains(t, string(data), "synccore")
}

func TestBenchUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name       string
		args       []string
		stderrLine string
	}{
		{"gif chart", []string{"--plot", filepath.Join(dir, "x.gif")}, "jitdemo bench: --plot " + filepath.Join(dir, "x.gif") + `: the chart is written as .png or .svg, not ".gif"`},
		{"chart without extension", []string{"--plot", filepath.Join(dir, "x")}, "jitdemo bench: --plot " + filepath.Join(dir, "x") + `: the chart is written as .png or .svg, not ""`},
		{"unknown flag", []string{"--bogus"}, "jitdemo bench: flag provided but not defined: -bogus"},
		{"bad workers", []string{"--workers", "1,x"}, `jitdemo bench: --workers 1,x: "x" is not a worker count (0 to 1024)`},
		{"negative workers", []string{"--workers", "-1"}, `jitdemo bench: --workers -1: "-1" is not a worker count (0 to 1024)`},
		{"negative samples", []string{"--samples", "-3"}, "jitdemo bench: --samples must be positive"},
		{"extra argument", []string{"now"}, `jitdemo bench: unexpected argument "now"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"bench"}, tc.args...), &stdout, &stderr)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout.String())
			first, rest, _ := strings.Cut(stderr.String(), "\n")
			assert.Equal(t, tc.stderrLine, first)
			assert.Equal(t, "run 'jitdemo help bench' for usage\n", rest, "one line naming the mistake, then the hint")
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "a usage mistake writes no chart")
}

func TestBenchHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"bench", "-h"}, &stdout, &stderr))
	assert.Empty(t, stderr.String())
	for _, want := range []string{"Usage: jitdemo bench", "-quick", "-plot FILE", "-json", "-samples", "-workers", "SYNC_CORE"} {
		assert.Contains(t, stdout.String(), want)
	}
	stdout.Reset()
	require.Equal(t, 0, run([]string{"help"}, &stdout, &stderr))
	assert.Regexp(t, `(?m)^  bench\s+measure patch latency`, stdout.String())
}

func TestBenchConfig(t *testing.T) {
	top := max(8, 2*runtime.NumCPU())
	full := defaultBenchConfig(false)
	assert.Equal(t, 0, full.Workers[0])
	assert.Equal(t, top, full.Workers[len(full.Workers)-1])
	for _, w := range full.Workers[1 : len(full.Workers)-1] {
		assert.Zero(t, w&(w-1), "%d: powers of two between 0 and the top", w)
	}
	assert.Equal(t, -1, full.GlobalMax, "a full run measures global at every count")

	quick := defaultBenchConfig(true)
	assert.Less(t, len(quick.Workers), len(full.Workers)+1)
	assert.Equal(t, []int{0, 1}, quick.Workers[:2])
	assert.Equal(t, top, quick.Workers[len(quick.Workers)-1])
	assert.Less(t, quick.Samples, full.Samples)
	assert.GreaterOrEqual(t, quick.GlobalMax, 0)

	w, err := parseWorkers("8, 0,2,2")
	require.NoError(t, err)
	assert.Equal(t, []int{0, 2, 8}, w)
}

func TestFmtNanos(t *testing.T) {
	for ns, want := range map[float64]string{
		0: "0ns", 7: "7ns", 210: "210ns", 999: "999ns", 1000: "1.00µs", 1234: "1.23µs",
		12345: "12.3µs", 123456: "123µs", 7.89e6: "7.89ms", 1.5e9: "1.50s", 174.5: "174ns",
	} {
		assert.Equal(t, want, fmtNanos(ns), "%v", ns)
	}
	assert.Equal(t, "100ns", tickNanos(100))
	assert.Equal(t, "1µs", tickNanos(1000))
	assert.Equal(t, "10ms", tickNanos(1e7))
	assert.Equal(t, "×1.00", fmtRatio(1))
	assert.Equal(t, "×61.5", fmtRatio(61.49))
	assert.Equal(t, "×1108", fmtRatio(1108.2))
}

// TestBenchPlotUnwritable: a chart that cannot be written is a mistake
// found before anything is measured (a full run takes minutes): one line
// naming it, then the hint, exit status 2, and as a JSON error with --json.
func TestBenchPlotUnwritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	for _, plot := range []string{
		filepath.Join(file, "x.png"),           // the directory is a file (refused even to root)
		filepath.Join(dir, "missing", "x.svg"), // no such directory
	} {
		var stdout, stderr bytes.Buffer
		start := time.Now()
		code := run([]string{"bench", "--plot", plot}, &stdout, &stderr)
		assert.Less(t, time.Since(start), 5*time.Second, "refused before measuring")
		assert.Equal(t, 2, code)
		assert.Empty(t, stdout.String())
		msg, ok := strings.CutPrefix(stderr.String(), "jitdemo bench: ")
		require.True(t, ok, stderr.String())
		msg, ok = strings.CutSuffix(msg, "\nrun 'jitdemo help bench' for usage\n")
		require.True(t, ok && !strings.Contains(msg, "\n"), "one line naming the mistake, then the hint: %q", stderr.String())
		assert.Regexp(t, `^--plot `+regexp.QuoteMeta(plot)+`: cannot write in `+regexp.QuoteMeta(filepath.Dir(plot))+`: \S`, msg)

		stdout.Reset()
		stderr.Reset()
		code = run([]string{"bench", "--json", "--plot", plot}, &stdout, &stderr)
		assert.Equal(t, 2, code)
		assert.Empty(t, stderr.String())
		var doc jsonErrorDoc
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &doc), stdout.String())
		assert.Equal(t, jsonErrorDoc{SchemaVersion: 1, Error: jsonError{Kind: "usage", Message: msg}}, doc)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "nothing written")
}
