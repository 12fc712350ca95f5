package arm64

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/codegen/internal/golden"
)

// gnu is the GNU golden test of this package: the words GNU as produced
// for each line of testdata/gnu.s, against the same code as statements for
// this package (after the source's "//").
var gnu = golden.Harness[uint32]{Pkg: "arm64", Marker: "//", Asm: reflect.TypeFor[*Asm](), Parse: parseWords, Run: runGolden}

// parseWords reads gnu.golden's hex words.
func parseWords(hex string) ([]uint32, error) {
	var want []uint32
	for _, h := range strings.Fields(hex) {
		w, err := strconv.ParseUint(h, 16, 32)
		if err != nil {
			return nil, err
		}
		want = append(want, uint32(w))
	}
	return want, nil
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

// TestGNUGolden checks every line of testdata/gnu.golden: package arm64
// must emit exactly the words that GNU as produced for the line's source
// (testdata/gnu.sh regenerates the file from testdata/gnu.s). Every encoder
// of Asm must appear in it, and gnu.golden must be up to date with gnu.s.
func TestGNUGolden(t *testing.T) { gnu.Test(t) }

// TestGNUGoldenRejectsWrongEncodings is TestGNUGolden's negative control: a
// wrong bit, a missing or extra word, code that does not match the source,
// and an encoder left out are all caught.
func TestGNUGoldenRejectsWrongEncodings(t *testing.T) {
	lines := gnu.Load(t)
	var l golden.Case[uint32]
	for _, l = range lines {
		if l.Code == "MovRR(x0, x1)" {
			break
		}
	}
	require.Equal(t, "mov x0, x1", l.Gas)
	_, err := gnu.Check(l)
	require.NoError(t, err)

	bad := l
	bad.Want = []uint32{l.Want[0] ^ 1<<16} // Rm: x1 → x0
	_, err = gnu.Check(bad)
	assert.Error(t, err, "a wrong bit")
	bad.Want = nil
	_, err = gnu.Check(bad)
	assert.Error(t, err, "a missing word")
	bad.Want = []uint32{l.Want[0], NopWord}
	_, err = gnu.Check(bad)
	assert.Error(t, err, "an extra word")
	bad = l
	bad.Code = "MovRR(x1, x0)" // operands swapped
	_, err = gnu.Check(bad)
	assert.Error(t, err, "code that is not the source")
	for _, code := range []string{"MovRR(x0)", "MovRR(x0, 16)", "Nope()", "MovRR(x0, x1", "B(L1)", "MovRR(x0, w1)", "Dsb(ishh)", "Bcond(nv, L1); L1:"} {
		bad.Code = code
		_, err = gnu.Check(bad)
		assert.Error(t, err, "%q", code)
	}

	leftOut := func(c golden.Case[uint32]) bool { return strings.Contains(c.Code, "IcIvau(") }
	assert.Equal(t, []string{"IcIvau"}, gnu.Uncovered(lines, leftOut))
}
