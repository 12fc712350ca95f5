package golden

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Case is one line of gnu.golden with GNU as's encoding read into words of
// type W (bytes on amd64, instruction words on arm64).
type Case[W comparable] struct {
	Line
	Want   []W
	marker string
}

func (c Case[W]) String() string {
	return fmt.Sprintf("gnu.golden:%d: %s %s %s", c.N, c.Gas, c.marker, c.Code)
}

// Harness is one assembler package's GNU golden test: how it reads GNU
// as's hex, how it runs a line's statements, and its Asm type.
type Harness[W comparable] struct {
	Pkg    string                                   // the package's name, for messages
	Marker string                                   // what separates a line's GNU source from its statements ("#", "//")
	Asm    reflect.Type                             // the package's *Asm
	Parse  func(hex string) ([]W, error)            // GNU as's encoding in gnu.golden
	Run    func(code string) ([]W, []string, error) // the words a line's statements emit, and the Asm methods they called
}

// Load reads testdata/gnu.golden.
func (h Harness[W]) Load(t testing.TB) []Case[W] {
	t.Helper()
	lines, err := Read("testdata/gnu.golden", h.Marker)
	require.NoError(t, err)
	out := make([]Case[W], len(lines))
	for i, l := range lines {
		want, err := h.Parse(l.Hex)
		require.NoError(t, err, "gnu.golden:%d", l.N)
		out[i] = Case[W]{Line: l, Want: want, marker: h.Marker}
	}
	return out
}

// Check runs c's statements and compares what they emit with GNU as's
// encoding; it returns the Asm methods the statements called.
func (h Harness[W]) Check(c Case[W]) ([]string, error) {
	got, called, err := h.Run(c.Code)
	if err != nil {
		return called, fmt.Errorf("%v: %w", c, err)
	}
	if !slices.Equal(got, c.Want) {
		return called, fmt.Errorf("%v: package %s emits %s, GNU as %s", c, h.Pkg, hexWords(got), hexWords(c.Want))
	}
	return called, nil
}

// Uncovered returns the encoders of Asm that no case in cases calls (those
// skip reports are left out, as a negative control does).
func (h Harness[W]) Uncovered(cases []Case[W], skip func(Case[W]) bool) []string {
	seen := map[string]int{}
	for _, c := range cases {
		if skip != nil && skip(c) {
			continue
		}
		called, _ := h.Check(c)
		for _, n := range called {
			seen[n]++
		}
	}
	return Uncovered(h.Asm, seen)
}

// Test checks every line of testdata/gnu.golden: the package must emit
// exactly what GNU as produced for the line's source (testdata/gnu.sh
// regenerates the file from testdata/gnu.s); every encoder of Asm must
// appear in it, and gnu.golden must be up to date with gnu.s.
func (h Harness[W]) Test(t *testing.T) {
	cases := h.Load(t)
	seen := map[string]int{}
	for _, c := range cases {
		called, err := h.Check(c)
		assert.NoError(t, err)
		for _, n := range called {
			seen[n]++
		}
	}
	assert.Empty(t, Uncovered(h.Asm, seen), "encoders with no line in testdata/gnu.s")
	t.Logf("%d lines cover the %d encoders of Asm", len(cases), len(Encoders(h.Asm)))

	want, err := Sources("testdata/gnu.s", h.Marker)
	require.NoError(t, err)
	var got []string
	for _, c := range cases {
		got = append(got, c.Src)
	}
	assert.Equal(t, want, got, "testdata/gnu.golden is stale: run testdata/gnu.sh")
}

// hexWords prints words in hex, each as wide as its type: "48 89 c8",
// "aa0103e0 d503201f".
func hexWords[W comparable](ws []W) string {
	width := 2 * int(reflect.TypeFor[W]().Size())
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = fmt.Sprintf("%0*x", width, any(w))
	}
	return strings.Join(parts, " ")
}
