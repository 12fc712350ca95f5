package jasm_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit/jasm"
)

const examplesDir = "../../examples"

func readExample(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(examplesDir, name))
}

// Go versions of the examples: the expected values come from here.
func goFib(n int64) int64 {
	if n < 2 {
		return n
	}
	return goFib(n-1) + goFib(n-2)
}

func goSum(n int64) int64 {
	var s int64
	for i := n; i > 0; i-- {
		s += i
	}
	return s
}

func goGCD(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	if a < 0 {
		a = -a
	}
	return a
}

func goCollatz(n int64) int64 {
	var steps int64
	for n > 1 {
		if n&1 == 0 {
			n >>= 1
		} else {
			n = 3*n + 1
		}
		steps++
	}
	return steps
}

// Every file in examples/ parses, verifies and round-trips through Format.
func TestExamplesParse(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.jasm"))
	require.NoError(t, err)
	sort.Strings(files)
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = filepath.Base(f)
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		p, err := jasm.Parse(names[i], src)
		require.NoError(t, err, names[i])
		q, err := jasm.Parse("formatted", []byte(jasm.Format(p)))
		require.NoError(t, err, names[i])
		assert.True(t, jasm.Equal(p, q), names[i])
	}
	for _, want := range []string{"fib.jasm", "sum.jasm", "gcd.jasm", "collatz.jasm", "pconst.jasm", "pcall.jasm", "guard.jasm"} {
		assert.Contains(t, names, want)
	}
}

func example(t *testing.T, name string) (*jasm.Program, *jasm.Interp) {
	t.Helper()
	src, err := readExample(name)
	require.NoError(t, err)
	p, err := jasm.Parse(name, src)
	require.NoError(t, err)
	it, err := jasm.NewInterp(p)
	require.NoError(t, err)
	return p, it
}

func TestExamplesResults(t *testing.T) {
	ctx := context.Background()
	check := func(it *jasm.Interp, want int64, args ...int64) {
		t.Helper()
		v, err := it.Run(ctx, args...)
		require.NoError(t, err, "args %v", args)
		assert.Equal(t, want, v, "args %v", args)
	}
	_, fib := example(t, "fib.jasm")
	for _, n := range []int64{0, 1, 2, 10, 20, 30} {
		check(fib, goFib(n), n)
	}
	_, sum := example(t, "sum.jasm")
	for _, n := range []int64{-5, 0, 1, 100, 10000} {
		check(sum, goSum(n), n)
	}
	_, gcd := example(t, "gcd.jasm")
	for _, ab := range [][2]int64{{1071, 462}, {462, 1071}, {0, 5}, {5, 0}, {-12, 18}, {12, -18}, {17, 13}, {1 << 40, 1 << 20}} {
		check(gcd, goGCD(ab[0], ab[1]), ab[0], ab[1])
	}
	_, collatz := example(t, "collatz.jasm")
	for _, n := range []int64{-3, 0, 1, 2, 7, 27, 97, 871} {
		check(collatz, goCollatz(n), n)
	}
}

func TestExamplesSites(t *testing.T) {
	ctx := context.Background()
	get := func(it *jasm.Interp, args ...int64) int64 {
		t.Helper()
		v, err := it.Run(ctx, args...)
		require.NoError(t, err)
		return v
	}
	p, it := example(t, "pconst.jasm")
	k, ok := p.Site("scale")
	require.True(t, ok)
	assert.Equal(t, int64(21), get(it, 7))
	require.NoError(t, it.SetConst(k, 10))
	assert.Equal(t, int64(70), get(it, 7))

	p, it = example(t, "pcall.jasm")
	c, ok := p.Site("op")
	require.True(t, ok)
	square, _ := p.Func("square")
	add, _ := p.Func("add")
	assert.Equal(t, int64(14), get(it, 7))
	require.NoError(t, it.Retarget(c, square))
	assert.Equal(t, int64(49), get(it, 7))
	assert.ErrorIs(t, it.Retarget(c, add), jasm.ErrArity)

	p, it = example(t, "guard.jasm")
	g, ok := p.Site("slow")
	require.True(t, ok)
	assert.Equal(t, int64(42), get(it, 41))
	require.NoError(t, it.Arm(g))
	assert.Equal(t, int64(-1), get(it, 41))
	require.NoError(t, it.Disarm(g))
	assert.Equal(t, int64(42), get(it, 41))
}
