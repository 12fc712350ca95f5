package arm64

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/codegen/internal/golden"
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
	lines, err := golden.Read("testdata/gnu.golden", "//")
	require.NoError(t, err)
	out := make([]goldenLine, len(lines))
	for i, l := range lines {
		var want []uint32
		for _, h := range strings.Fields(l.Hex) {
			w, err := strconv.ParseUint(h, 16, 32)
			require.NoError(t, err, "gnu.golden:%d", l.N)
			want = append(want, uint32(w))
		}
		out[i] = goldenLine{n: l.N, want: want, src: l.Src, gas: l.Gas, code: l.Code}
	}
	return out
}

var (
	regType     = reflect.TypeFor[Reg]()
	condType    = reflect.TypeFor[Cond]()
	barrierType = reflect.TypeFor[Barrier]()
)

// runGolden assembles code into a new assembler (golden.Run: registers,
// conditions and barrier options by name; Skip(n) is n NOPs, which stands
// for GNU as's ".fill n,4,0xd503201f") and returns the words Finish
// produces and the names of the Asm methods it called.
func runGolden(code string) ([]uint32, []string, error) {
	a := New()
	bl, called, err := golden.Run(a, code, func(n int) {
		for range n {
			a.Emit32(NopWord)
		}
	}, goldenOperand)
	if err != nil {
		return nil, called, err
	}
	return words(bl.Code), called, nil
}

// goldenOperand converts s to a register, condition or barrier option.
func goldenOperand(s string, t reflect.Type) (reflect.Value, bool, error) {
	switch t {
	case regType:
		for _, r := range allRegs {
			if r.String() == s {
				return reflect.ValueOf(r), true, nil
			}
		}
		return reflect.Value{}, true, fmt.Errorf("no register %q", s)
	case condType:
		for c := EQ; c <= AL; c++ {
			if c.String() == s {
				return reflect.ValueOf(c), true, nil
			}
		}
		return reflect.Value{}, true, fmt.Errorf("no condition %q", s)
	case barrierType:
		for b := Barrier(0); b < 16; b++ {
			if b.String() == s {
				return reflect.ValueOf(b), true, nil
			}
		}
		return reflect.Value{}, true, fmt.Errorf("no barrier option %q", s)
	}
	return reflect.Value{}, false, nil
}

// checkGolden runs l's code and compares its words with GNU as's; it
// returns the Asm methods the code called.
func checkGolden(l goldenLine) ([]string, error) {
	got, called, err := runGolden(l.code)
	if err != nil {
		return called, fmt.Errorf("%v: %w", l, err)
	}
	if !slices.Equal(got, l.want) {
		return called, fmt.Errorf("%v: package arm64 emits %08x, GNU as %08x", l, got, l.want)
	}
	return called, nil
}

// uncovered returns the encoders that seen does not count.
func uncovered(seen map[string]int) []string {
	return golden.Uncovered(reflect.TypeFor[*Asm](), seen)
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

	want, err := golden.Sources("testdata/gnu.s", "//")
	require.NoError(t, err)
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
