package jasm_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit/internal/jasmgen"
	"github.com/syncore/syncore/jit/jasm"
)

func TestFormat(t *testing.T) {
	p := mustParse(t, `
entry start
func start 1
  locals 2
top: arg 0
  jz out
  pconst k -0x8000000000000000
  pcall c start
  store 1
  guard g top
  jmp top
out:
  push 0
  ret
end`)
	want := `entry start

func start 1
    locals 2
L0:
    arg 0
    jz L7
    pconst k -9223372036854775808
    pcall c start
    store 1
    guard g L0
    jmp L0
L7:
    push 0
    ret
end
`
	assert.Equal(t, want, jasm.Format(p))
	assert.Equal(t, "pcall $1 #0", p.Funcs[0].Code[3].String())
	assert.Equal(t, "guard $2 @0", p.Funcs[0].Code[5].String())
	assert.Equal(t, "pconst k -9223372036854775808", jasm.FormatInst(p, p.Funcs[0], p.Funcs[0].Code[2]))
}

func TestFormatInvalidDoesNotPanic(t *testing.T) {
	p := &jasm.Program{Funcs: []*jasm.Func{nil, {Name: "main", Code: []jasm.Inst{
		{Op: jasm.OpCall, Arg: 9}, {Op: jasm.OpJmp, Arg: -4}, {Op: jasm.OpPConst, Site: 3}, {Op: 99},
	}}}}
	s := jasm.Format(p)
	assert.Contains(t, s, "call ?func9")
	assert.Contains(t, s, "jmp ?L-4")
	assert.Contains(t, s, "pconst ?site3 0")
	_, err := jasm.Parse("x", []byte(s))
	assert.Error(t, err)
	assert.Equal(t, "", jasm.Format(nil))
}

// Parse(Format(p)) ≡ p for generated programs, and the reparsed program
// computes the same.
func TestFormatRoundTripGenerated(t *testing.T) {
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 7))
		p := jasmgen.Generate(r, jasmgen.Options{})
		text := jasm.Format(p)
		q, err := jasm.Parse("gen.jasm", []byte(text))
		require.NoError(t, err, "seed %d:\n%s", seed, text)
		require.True(t, jasm.Equal(p, q), "seed %d:\n%s", seed, text)
		assert.Equal(t, text, jasm.Format(q))
		for i := range p.Funcs {
			assert.Equal(t, p.Funcs[i].Depth, q.Funcs[i].Depth)
			assert.Equal(t, p.Funcs[i].MaxStack, q.Funcs[i].MaxStack)
		}
		if seed%10 == 0 {
			args := jasmgen.Args(r, p.Funcs[len(p.Funcs)-1].Params)
			a, errA := mustInterp(t, p).Run(context.Background(), args...)
			b, errB := mustInterp(t, q).Run(context.Background(), args...)
			assert.Equal(t, a, b)
			// The same error in the same function; only q has positions.
			var ea, eb *jasm.RuntimeError
			if errA != nil || errB != nil {
				require.ErrorAs(t, errA, &ea)
				require.ErrorAs(t, errB, &eb)
				assert.Equal(t, ea.Err, eb.Err)
				assert.Equal(t, ea.Func, eb.Func)
			}
		}
	}
}

func mustInterp(t testing.TB, p *jasm.Program) *jasm.Interp {
	t.Helper()
	it, err := jasm.NewInterp(p)
	require.NoError(t, err)
	return it
}

// Equal must see every difference Format could lose.
func TestEqual(t *testing.T) {
	base := func() *jasm.Program { return valid() }
	a := base()
	assert.True(t, jasm.Equal(a, base()))
	a.Funcs[0].Code[0].Line, a.Funcs[0].Code[0].Col = 3, 1
	a.Funcs[0].Pos = jasm.Pos{File: "x.jasm", Line: 1, Col: 1}
	a.Funcs[0].MaxStack = 9
	assert.True(t, jasm.Equal(a, base()), "positions and verifier fields are ignored")
	for name, change := range map[string]func(p *jasm.Program){
		"arg":    func(p *jasm.Program) { p.Funcs[0].Code[1].Arg = 2 },
		"op":     func(p *jasm.Program) { p.Funcs[0].Code[2].Op = jasm.OpSub },
		"name":   func(p *jasm.Program) { p.Funcs[0].Name = "x" },
		"params": func(p *jasm.Program) { p.Funcs[0].Params = 2 },
		"locals": func(p *jasm.Program) { p.Funcs[0].Locals = 1 },
		"entry":  func(p *jasm.Program) { p.Entry = "inc" },
		"site":   func(p *jasm.Program) { p.Sites[0].Name = "q" },
		"site field": func(p *jasm.Program) {
			p.Funcs[1].Code[0].Site = 1
		},
		"len": func(p *jasm.Program) { p.Funcs[1].Code = p.Funcs[1].Code[:3] },
	} {
		b := base()
		change(b)
		assert.False(t, jasm.Equal(base(), b), name)
	}
	assert.True(t, jasm.Equal(nil, nil))
	assert.False(t, jasm.Equal(nil, base()))
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"fib.jasm", "sum.jasm", "gcd.jasm", "collatz.jasm", "pconst.jasm", "pcall.jasm", "guard.jasm"} {
		src, err := readExample(name)
		require.NoError(f, err)
		f.Add(src)
	}
	f.Add([]byte("func main 0\n push -0x8000000000000000\n ret\nend"))
	f.Add([]byte("func main 0\na: b: jmp a\nend"))
	f.Add([]byte("entry x\nfunc x 8\n locals 256\n arg 7\n ret\nend"))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := jasm.Parse("fuzz.jasm", src)
		if err != nil {
			require.Nil(t, p)
			var list jasm.ErrorList
			require.ErrorAs(t, err, &list)
			require.NotEmpty(t, list)
			require.LessOrEqual(t, len(list), 10)
			for _, e := range list {
				require.True(t, e.Kind == jasm.ErrSyntax || e.Kind == jasm.ErrVerify, e.Error())
				require.False(t, strings.Contains(e.Msg, "\n"))
			}
			return
		}
		require.True(t, p.Verified())
		text := jasm.Format(p)
		q, err := jasm.Parse("formatted", []byte(text))
		require.NoError(t, err, "formatted:\n%s", text)
		require.True(t, jasm.Equal(p, q), "formatted:\n%s", text)
	})
}

// FuzzInterp: generated programs never panic the interpreter and end
// without being interrupted.
func FuzzInterp(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte("the quick brown fox jumps over the lazy dog"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := jasmgen.FromBytes(data)
		require.True(t, p.Verified())
		it, err := jasm.NewInterp(p)
		require.NoError(t, err)
		args := make([]int64, p.Funcs[len(p.Funcs)-1].Params)
		for i := range args {
			if i < len(data) {
				args[i] = jasmgen.Edges[int(data[i])%len(jasmgen.Edges)]
			}
		}
		_, err = it.Run(context.Background(), args...)
		if err != nil {
			require.True(t, errors.Is(err, jasm.ErrDivisionByZero) || errors.Is(err, jasm.ErrStackOverflow), "%v", err)
		}
	})
}
