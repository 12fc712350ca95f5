package arm64

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/codegen"
)

type goldenLine struct {
	n    int      // line number in gnu.golden
	want []uint32 // GNU as's words
	src  string   // the line of gnu.s
	gas  string   // its GNU as source
	code string   // its statements for runGolden
}

func (l goldenLine) String() string {
	return fmt.Sprintf("gnu.golden:%d: %s // %s", l.n, l.gas, l.code)
}

// readGolden returns the lines of testdata/gnu.golden.
func readGolden(t testing.TB) []goldenLine {
	t.Helper()
	f, err := os.Open("testdata/gnu.golden")
	require.NoError(t, err)
	defer f.Close()
	var out []goldenLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		hexw, src, ok := strings.Cut(line, "\t")
		require.True(t, ok, "gnu.golden:%d: no tab: %q", n, line)
		var want []uint32
		for _, h := range strings.Fields(hexw) {
			w, err := strconv.ParseUint(h, 16, 32)
			require.NoError(t, err, "gnu.golden:%d", n)
			want = append(want, uint32(w))
		}
		gas, code, ok := strings.Cut(src, "//")
		require.True(t, ok, "gnu.golden:%d: no code after a //: %q", n, line)
		out = append(out, goldenLine{n: n, want: want, src: src, gas: strings.TrimSpace(gas), code: strings.TrimSpace(code)})
	}
	require.NoError(t, sc.Err())
	return out
}

var (
	regType     = reflect.TypeFor[Reg]()
	condType    = reflect.TypeFor[Cond]()
	barrierType = reflect.TypeFor[Barrier]()
	labelType   = reflect.TypeFor[codegen.Label]()
	labelName   = regexp.MustCompile(`^L[0-9]+$`)
)

// runGolden assembles code into a new assembler and returns the words
// Finish produces and the names of the Asm methods it called. code is
// statements separated by ";": a method call with literal arguments,
// Name(arg, …), run by reflection (registers, conditions and barrier
// options by name, integers, quoted strings, labels L<n>); a label
// definition "L<n>:"; or Skip(n), n NOPs, which stands for GNU as's
// ".fill n,4,0xd503201f".
func runGolden(code string) ([]uint32, []string, error) {
	a := New()
	labels := map[string]codegen.Label{}
	label := func(name string) (codegen.Label, error) {
		if !labelName.MatchString(name) {
			return 0, fmt.Errorf("%q is not a label", name)
		}
		l, ok := labels[name]
		if !ok {
			l = a.NewLabel()
			labels[name] = l
		}
		return l, nil
	}
	var called []string
	for _, stmt := range strings.Split(code, ";") {
		stmt = strings.TrimSpace(stmt)
		if name, ok := strings.CutSuffix(stmt, ":"); ok {
			l, err := label(name)
			if err != nil {
				return nil, nil, err
			}
			a.Bind(l)
			continue
		}
		open := strings.IndexByte(stmt, '(')
		if open < 0 || !strings.HasSuffix(stmt, ")") {
			return nil, nil, fmt.Errorf("statement %q: want Name(args) or L<n>:", stmt)
		}
		name, argText := stmt[:open], strings.TrimSpace(stmt[open+1:len(stmt)-1])
		var args []string
		if argText != "" {
			args = strings.Split(argText, ",")
		}
		if name == "Skip" {
			n, err := strconv.Atoi(strings.TrimSpace(argText))
			if err != nil || n < 0 {
				return nil, nil, fmt.Errorf("statement %q: Skip takes a word count", stmt)
			}
			for range n {
				a.Emit32(NopWord)
			}
			continue
		}
		m := reflect.ValueOf(a).MethodByName(name)
		if !m.IsValid() {
			return nil, nil, fmt.Errorf("statement %q: Asm has no method %s", stmt, name)
		}
		mt := m.Type()
		if mt.IsVariadic() || mt.NumIn() != len(args) {
			return nil, nil, fmt.Errorf("statement %q: %s takes %d arguments", stmt, name, mt.NumIn())
		}
		in := make([]reflect.Value, len(args))
		for i, s := range args {
			v, err := goldenArg(strings.TrimSpace(s), mt.In(i), label)
			if err != nil {
				return nil, nil, fmt.Errorf("statement %q: argument %d: %w", stmt, i+1, err)
			}
			in[i] = v
		}
		m.Call(in)
		called = append(called, name)
	}
	bl, err := a.Finish()
	if err != nil {
		return nil, called, err
	}
	return words(bl.Code), called, nil
}

// goldenArg converts s to a value of type t.
func goldenArg(s string, t reflect.Type, label func(string) (codegen.Label, error)) (reflect.Value, error) {
	v := reflect.New(t).Elem()
	switch t {
	case regType:
		for _, r := range allRegs {
			if r.String() == s {
				return reflect.ValueOf(r), nil
			}
		}
		return v, fmt.Errorf("no register %q", s)
	case condType:
		for c := EQ; c <= AL; c++ {
			if c.String() == s {
				return reflect.ValueOf(c), nil
			}
		}
		return v, fmt.Errorf("no condition %q", s)
	case barrierType:
		for b := Barrier(0); b < 16; b++ {
			if b.String() == s {
				return reflect.ValueOf(b), nil
			}
		}
		return v, fmt.Errorf("no barrier option %q", s)
	case labelType:
		l, err := label(s)
		return reflect.ValueOf(l), err
	}
	switch t.Kind() {
	case reflect.String:
		q, err := strconv.Unquote(s)
		v.SetString(q)
		return v, err
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 0, 64)
		if err == nil && v.OverflowInt(n) {
			err = fmt.Errorf("%s overflows %s", s, t)
		}
		v.SetInt(n)
		return v, err
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 0, 64)
		if err == nil && v.OverflowUint(n) {
			err = fmt.Errorf("%s overflows %s", s, t)
		}
		v.SetUint(n)
		return v, err
	}
	return v, fmt.Errorf("no literal for a %s", t)
}

// checkGolden runs l's code and compares its words with GNU as's; it
// returns the Asm methods the code called.
func checkGolden(l goldenLine) ([]string, error) {
	got, called, err := runGolden(l.code)
	if err != nil {
		return called, fmt.Errorf("%v: %w", l, err)
	}
	if !slicesEqual(got, l.want) {
		return called, fmt.Errorf("%v: package arm64 emits %08x, GNU as %08x", l, got, l.want)
	}
	return called, nil
}

func slicesEqual(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// uncovered returns the encoders that seen does not count.
func uncovered(seen map[string]int) []string {
	var out []string
	for _, n := range encoders() {
		if seen[n] == 0 && n != "Finish" {
			out = append(out, n)
		}
	}
	return out
}

// TestGNUGolden checks every line of testdata/gnu.golden: package arm64
// must emit exactly the words that GNU as produced for the line's source
// (testdata/gnu.sh regenerates the file from testdata/gnu.s). Every encoder
// of Asm must appear in it, and gnu.golden must be up to date with gnu.s.
func TestGNUGolden(t *testing.T) {
	lines := readGolden(t)
	seen := map[string]int{}
	for _, l := range lines {
		called, err := checkGolden(l)
		assert.NoError(t, err)
		for _, n := range called {
			seen[n]++
		}
	}
	assert.Empty(t, uncovered(seen), "encoders with no line in testdata/gnu.s")
	t.Logf("%d lines cover the %d encoders of Asm", len(lines), len(encoders()))

	src, err := os.ReadFile("testdata/gnu.s")
	require.NoError(t, err)
	var want []string
	for _, line := range strings.Split(string(src), "\n") {
		if s := strings.TrimSpace(line); s != "" && !strings.HasPrefix(s, "//") {
			want = append(want, line)
		}
	}
	var got []string
	for _, l := range lines {
		got = append(got, l.src)
	}
	assert.Equal(t, want, got, "testdata/gnu.golden is stale: run testdata/gnu.sh")
}

// TestGNUGoldenRejectsWrongEncodings is TestGNUGolden's negative control: a
// wrong bit, a missing or extra word, code that does not match the source,
// and an encoder left out are all caught.
func TestGNUGoldenRejectsWrongEncodings(t *testing.T) {
	lines := readGolden(t)
	var l goldenLine
	for _, l = range lines {
		if l.code == "MovRR(x0, x1)" {
			break
		}
	}
	require.Equal(t, "mov x0, x1", l.gas)
	_, err := checkGolden(l)
	require.NoError(t, err)

	bad := l
	bad.want = []uint32{l.want[0] ^ 1<<16} // Rm: x1 → x0
	_, err = checkGolden(bad)
	assert.Error(t, err, "a wrong bit")
	bad.want = nil
	_, err = checkGolden(bad)
	assert.Error(t, err, "a missing word")
	bad.want = []uint32{l.want[0], NopWord}
	_, err = checkGolden(bad)
	assert.Error(t, err, "an extra word")
	bad = l
	bad.code = "MovRR(x1, x0)" // operands swapped
	_, err = checkGolden(bad)
	assert.Error(t, err, "code that is not the source")
	for _, code := range []string{"MovRR(x0)", "MovRR(x0, 16)", "Nope()", "MovRR(x0, x1", "B(L1)", "MovRR(x0, w1)", "Dsb(ishh)", "Bcond(nv, L1); L1:"} {
		bad.code = code
		_, err = checkGolden(bad)
		assert.Error(t, err, "%q", code)
	}

	seen := map[string]int{}
	for _, l := range lines {
		if !strings.Contains(l.code, "IcIvau(") {
			called, _ := checkGolden(l)
			for _, n := range called {
				seen[n]++
			}
		}
	}
	assert.Equal(t, []string{"IcIvau"}, uncovered(seen))
}
