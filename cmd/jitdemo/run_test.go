package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
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
