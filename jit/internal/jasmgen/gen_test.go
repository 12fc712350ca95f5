package jasmgen_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit/internal/jasmgen"
	"github.com/syncore/syncore/jit/jasm"
)

func gen(seed uint64, o jasmgen.Options) *jasm.Program {
	return jasmgen.Generate(rand.New(rand.NewPCG(seed, 42)), o)
}

func TestDeterministic(t *testing.T) {
	for seed := range uint64(20) {
		a, b := gen(seed, jasmgen.Options{}), gen(seed, jasmgen.Options{})
		assert.Equal(t, jasm.Format(a), jasm.Format(b))
	}
	assert.NotEqual(t, jasm.Format(gen(1, jasmgen.Options{})), jasm.Format(gen(2, jasmgen.Options{})))
	assert.Equal(t, jasm.Format(jasmgen.FromBytes([]byte("abc"))), jasm.Format(jasmgen.FromBytes([]byte("abc"))))
}

// Over a few hundred programs the generator uses every operation, every
// site kind, backward and forward jumps, and programs end in every way.
func TestCoverageAndTermination(t *testing.T) {
	ops := map[jasm.Op]int{}
	back, fwd := 0, 0
	outcomes := map[string]int{}
	n := 400
	if testing.Short() {
		n = 150
	}
	for seed := range uint64(n) {
		p := gen(seed, jasmgen.Options{DeepRecursion: seed%4 == 0})
		require.True(t, p.Verified())
		for _, f := range p.Funcs {
			for j, in := range f.Code {
				ops[in.Op]++
				if in.Op.IsJump() {
					if in.Arg <= int64(j) {
						back++
					} else {
						fwd++
					}
				}
			}
		}
		it, err := jasm.NewInterp(p)
		require.NoError(t, err)
		r := rand.New(rand.NewPCG(seed, 1))
		args := jasmgen.Args(r, p.Funcs[len(p.Funcs)-1].Params)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err = it.Run(ctx, args...)
		cancel()
		switch {
		case err == nil:
			outcomes["ok"]++
		case errors.Is(err, jasm.ErrDivisionByZero):
			outcomes["division by zero"]++
		case errors.Is(err, jasm.ErrStackOverflow):
			outcomes["stack overflow"]++
		default:
			t.Fatalf("seed %d: %v\n%s", seed, err, jasm.Format(p))
		}
	}
	for op := jasm.OpPush; op <= jasm.OpGuard; op++ {
		assert.Positive(t, ops[op], "op %s never generated", op)
	}
	assert.Positive(t, back)
	assert.Positive(t, fwd)
	assert.Greater(t, outcomes["ok"], n/2, "%v", outcomes)
	assert.Positive(t, outcomes["division by zero"], "%v", outcomes)
	assert.Positive(t, outcomes["stack overflow"], "%v", outcomes)
	t.Logf("outcomes of %d programs: %v", n, outcomes)
}

// Patching sites (any constant, any retarget candidate, arming any guard)
// keeps programs terminating.
func TestPatchedProgramsTerminate(t *testing.T) {
	for seed := range uint64(150) {
		p := gen(seed, jasmgen.Options{})
		it, err := jasm.NewInterp(p)
		require.NoError(t, err)
		r := rand.New(rand.NewPCG(seed, 3))
		for s, site := range p.Sites {
			switch site.Kind {
			case jasm.SiteConst:
				require.NoError(t, it.SetConst(s, jasmgen.Int(r)))
			case jasm.SiteCall:
				c := jasmgen.RetargetCandidates(p, s)
				require.NotEmpty(t, c)
				assert.Equal(t, int(site.Init), c[0])
				require.NoError(t, it.Retarget(s, c[r.IntN(len(c))]))
			case jasm.SiteGuard:
				if r.IntN(2) == 0 {
					require.NoError(t, it.Arm(s))
				}
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err = it.Run(ctx, jasmgen.Args(r, p.Funcs[len(p.Funcs)-1].Params)...)
		cancel()
		assert.NotErrorIs(t, err, jasm.ErrInterrupted, "seed %d", seed)
	}
}

func TestOptions(t *testing.T) {
	for seed := range uint64(50) {
		p := gen(seed, jasmgen.Options{NoSites: true, NoRecurse: true, Funcs: 2, Insts: 20})
		assert.Empty(t, p.Sites)
		assert.LessOrEqual(t, len(p.Funcs), 3)
		for _, f := range p.Funcs {
			assert.NotContains(t, f.Name, "rec")
		}
	}
}

func TestFromBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for i := range 300 {
		data := make([]byte, r.IntN(200))
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		if i%3 == 0 {
			clear(data) // all zeros must not hang the generator
		}
		p := jasmgen.FromBytes(data)
		require.True(t, p.Verified())
		it, err := jasm.NewInterp(p)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err = it.Run(ctx, make([]int64, p.Funcs[len(p.Funcs)-1].Params)...)
		cancel()
		assert.NotErrorIs(t, err, jasm.ErrInterrupted)
	}
}
