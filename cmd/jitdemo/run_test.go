package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/membarrier/selfexec"
)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	div := writeFile(t, "div.jasm", "func main 2\n arg 0\n arg 1\n div\n ret\nend\n")
	bad := writeFile(t, "bad.jasm", "func main 0\n push 1\n jz\n ret\nend\n")
	deep := writeFile(t, "deep.jasm", "func r 1\n arg 0\n call r\n ret\nend\nfunc main 0\n push 0\n call r\n ret\nend\n")
	callee := writeFile(t, "callee.jasm", "func f 1\n    push 1\n    arg 0\n    div\n    ret\nend\nfunc main 1\n    arg 0\n    call f\n    ret\nend\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string // first line of stderr
	}{
		{"fib", []string{"run", "../../examples/fib.jasm", "30"}, 0, "832040\n", ""},
		{"fib interp", []string{"run", "--interp", "../../examples/fib.jasm", "30"}, 0, "832040\n", ""},
		{"hex and negative args", []string{"run", div, "-0x10", "3"}, 0, "-5\n", ""},
		// Runtime errors name the function and the jasm position, from
		// machine code (its check's out-of-line stub, through Code.Lines)
		// and from the interpreter alike.
		{"division by zero", []string{"run", div, "1", "0"}, 1, "", "runtime error: division by zero in main at " + div + ":4:2"},
		{"division by zero interp", []string{"run", "--interp", div, "1", "0"}, 1, "", "runtime error: division by zero in main at " + div + ":4:2"},
		{"division by zero in a callee", []string{"run", callee, "0"}, 1, "", "runtime error: division by zero in f at " + callee + ":4:5"},
		{"division by zero in a callee interp", []string{"run", "--interp", callee, "0"}, 1, "", "runtime error: division by zero in f at " + callee + ":4:5"},
		{"stack overflow", []string{"run", deep}, 1, "", "runtime error: stack overflow in r at " + deep + ":1:1"},
		{"stack overflow interp", []string{"run", "--interp", deep}, 1, "", "runtime error: stack overflow in r at " + deep + ":1:1"},
		{"parse error", []string{"run", bad}, 2, "", bad + ":3:2: expected a label after jz"},
		{"missing file", []string{"run", "nope.jasm"}, 2, "", "jitdemo run: open nope.jasm: no such file or directory"},
		{"no file", []string{"run"}, 2, "", "jitdemo run: missing FILE (or --workload NAME)"},
		{"bad argument", []string{"run", div, "x", "1"}, 2, "", `jitdemo run: argument 1: "x" is not a 64-bit integer`},
		{"wrong count", []string{"run", div, "1"}, 2, "", "jitdemo run: main takes 2 arguments, 1 given"},
		{"no such entry", []string{"run", "--entry", "zz", div}, 2, "", `jitdemo run: ` + div + ` has no function "zz"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := jitdemo(t, tc.args...)
			assert.Equal(t, tc.code, code, "stderr: %s", errOut)
			assert.Equal(t, tc.stdout, out)
			first, _, _ := strings.Cut(errOut, "\n")
			assert.Equal(t, tc.stderr, first)
		})
	}
}

const forever = "func main 0\n    locals 1\nloop:\n    load 0\n    push 1\n    add\n    store 0\n    jmp loop\nend\n"

// TestRunInterrupted: a program that never ends stops at --timeout, and at
// ^C (SIGINT sent to the process), through the interrupt word its loop
// polls: "interrupted" with where, exit status 1.
func TestRunInterrupted(t *testing.T) {
	loop := writeFile(t, "forever.jasm", forever)
	want := "runtime error: interrupted in main at " + loop + ":8:5 ("
	for _, interp := range []bool{false, true} {
		args := []string{"run", "--timeout", "200ms", loop}
		if interp {
			args = []string{"run", "--interp", "--timeout", "200ms", loop}
		}
		out, errOut, code := jitdemo(t, args...)
		assert.Equal(t, 1, code, errOut)
		assert.Empty(t, out)
		assert.Equal(t, want+"context deadline exceeded)\n", errOut, "interp=%v", interp)
	}

	// --perf makes run say when its runtime is up, which is after it
	// handles SIGINT: the signal is sent then.
	cmd, err := selfexec.Command("run", "--perf", "--perf-dir", t.TempDir(), loop)
	require.NoError(t, err)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	pipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	r := bufio.NewReader(pipe)
	ready, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Contains(t, ready, "jitdump for perf")
	time.Sleep(50 * time.Millisecond) // into the loop, most likely; either way the call sees the interrupt
	// Twice at once, as timeout(1) or a terminal delivers one ^C to the
	// process and again to its group: still one interruption, not the
	// second ^C that exits at once. (Whether the two arrive within the
	// window depends on the scheduler; TestInterruptLoop checks the window
	// and the exit on a fake clock.)
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	rest, _ := io.ReadAll(r)
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "stderr: %s", rest)
	assert.Equal(t, 1, ee.ExitCode(), string(rest))
	assert.Equal(t, want+"context canceled)\n", string(rest))
}

// TestInterruptLoop: run's SIGINT handling, on a fake clock. The first ^C
// cancels the call; a second within 300 ms is the same ^C delivered twice
// (timeout(1), a terminal's process group) and changes nothing; a second
// ^C after that exits at once with status 130.
func TestInterruptLoop(t *testing.T) {
	tests := []struct {
		name    string
		at      []time.Duration // when each SIGINT arrives, after the first
		cancels int
		exits   []int
	}{
		{"one ^C", []time.Duration{0}, 1, nil},
		{"one ^C delivered twice", []time.Duration{0, 0}, 1, nil},
		{"one ^C delivered twice, 299ms apart", []time.Duration{0, 299 * time.Millisecond}, 1, nil},
		{"a second ^C 300ms later", []time.Duration{0, 300 * time.Millisecond}, 1, []int{130}},
		{"a second ^C 2s later", []time.Duration{0, 2 * time.Second}, 1, []int{130}},
		{"twice, then a second ^C", []time.Duration{0, 10 * time.Millisecond, 500 * time.Millisecond}, 1, []int{130}},
		{"a second ^C exits, once", []time.Duration{0, 400 * time.Millisecond, 450 * time.Millisecond}, 1, []int{130}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Every signal is queued before the loop runs, in this
			// goroutine; the fake clock reads the time of the signal
			// being handled from how many are still queued.
			sigs := make(chan os.Signal, len(tc.at))
			for range tc.at {
				sigs <- os.Interrupt
			}
			close(sigs)
			start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
			now := func() time.Time { return start.Add(tc.at[len(tc.at)-1-len(sigs)]) }
			cancels := 0
			var exits []int
			interruptLoop(sigs, func() { cancels++ }, func(code int) { exits = append(exits, code) }, now)
			assert.Equal(t, tc.cancels, cancels, "cancels")
			assert.Equal(t, tc.exits, exits, "exit statuses")
		})
	}
}

// TestRunJSON: run --json prints the value, or the runtime error with its
// kind, function and position, as one JSON object on stdout.
func TestRunJSON(t *testing.T) {
	callee := writeFile(t, "callee.jasm", "func f 1\n    push 1\n    arg 0\n    div\n    ret\nend\nfunc main 1\n    arg 0\n    call f\n    ret\nend\n")
	decode := func(out string) map[string]any {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &m), out)
		return m
	}
	out, errOut, code := jitdemo(t, "run", "--json", "../../examples/fib.jasm", "10")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, map[string]any{"schema_version": 1.0, "value": 55.0}, decode(out))
	for _, interp := range []string{"--interp=false", "--interp"} {
		out, errOut, code = jitdemo(t, "run", "--json", interp, callee, "0")
		assert.Equal(t, 1, code, errOut)
		assert.Empty(t, errOut)
		assert.Equal(t, map[string]any{"schema_version": 1.0, "error": map[string]any{"kind": "division by zero",
			"message": "division by zero in f at " + callee + ":4:5", "func": "f", "pos": callee + ":4:5"}}, decode(out))
	}
	out, _, code = jitdemo(t, "run", "--json", "--timeout", "nope", callee)
	assert.Equal(t, 2, code)
	assert.Equal(t, map[string]any{"schema_version": 1.0, "error": map[string]any{"kind": "usage",
		"message": `invalid value "nope" for flag -timeout: parse error`}}, decode(out))

	// A program that does not parse: the first error, and how many more,
	// in one line (the text output lists them all, one a line).
	bad1 := writeFile(t, "bad1.jasm", "func main 0\n push 1\n jz\n ret\nend\n")
	bad3 := writeFile(t, "bad3.jasm", "func main 0\n push 1\n jz\n bogus\n jmp\n ret\nend\n")
	for _, tc := range []struct{ file, message string }{
		{bad1, bad1 + ":3:2: expected a label after jz"},
		{bad3, bad3 + ":3:2: expected a label after jz (and 2 more errors)"},
	} {
		out, errOut, code = jitdemo(t, "run", "--json", tc.file)
		assert.Equal(t, 2, code, errOut)
		assert.Empty(t, errOut)
		assert.Equal(t, map[string]any{"schema_version": 1.0, "error": map[string]any{"kind": "parse", "message": tc.message}}, decode(out))
	}
	out, errOut, code = jitdemo(t, "run", bad3)
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Equal(t, bad3+":3:2: expected a label after jz\n"+bad3+`:4:2: unknown instruction "bogus"`+"\n"+bad3+":5:2: expected a label after jmp\n", errOut)
}

func TestVersion(t *testing.T) {
	out, errOut, code := jitdemo(t, "version")
	require.Equal(t, 0, code, errOut)
	assert.Regexp(t, `^jitdemo \S+( rev [0-9a-f]{1,12}( \(modified\))?)? go\S+ \S+/\S+\n$`, out)
}
