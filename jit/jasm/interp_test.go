package jasm_test

import (
	"context"
	"fmt"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit/jasm"
)

func newInterp(t testing.TB, src string, opts ...jasm.InterpOptions) *jasm.Interp {
	t.Helper()
	var o jasm.InterpOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	it, err := jasm.NewInterpOptions(mustParse(t, src), o)
	require.NoError(t, err)
	return it
}

func run(t testing.TB, src string, args ...int64) (int64, error) {
	t.Helper()
	return newInterp(t, src).Run(context.Background(), args...)
}

const (
	minI = math.MinInt64
	maxI = math.MaxInt64
)

// The expected values are written out, not computed with Go operators, so
// that the table checks the semantics the documentation states.
func TestInterpBinaryOps(t *testing.T) {
	tests := []struct {
		op   string
		a, b int64
		want int64
	}{
		{"add", 2, 3, 5}, {"add", maxI, 1, minI}, {"add", minI, -1, maxI},
		{"sub", 2, 3, -1}, {"sub", minI, 1, maxI}, {"sub", 0, minI, minI},
		{"mul", -4, 5, -20}, {"mul", maxI, 2, -2}, {"mul", minI, -1, minI}, {"mul", 1 << 32, 1 << 32, 0},
		{"div", 7, 2, 3}, {"div", -7, 2, -3}, {"div", 7, -2, -3}, {"div", -7, -2, 3},
		{"div", minI, -1, minI}, {"div", minI, 1, minI}, {"div", 0, 5, 0},
		{"rem", 7, 2, 1}, {"rem", -7, 2, -1}, {"rem", 7, -2, 1}, {"rem", -7, -2, -1},
		{"rem", minI, -1, 0}, {"rem", minI, maxI, -1}, {"rem", 5, 5, 0},
		{"and", 0b1100, 0b1010, 0b1000}, {"and", -1, minI, minI},
		{"or", 0b1100, 0b1010, 0b1110}, {"or", minI, 1, minI + 1},
		{"xor", 0b1100, 0b1010, 0b0110}, {"xor", -1, 0, -1},
		{"shl", 1, 3, 8}, {"shl", 1, 63, minI}, {"shl", 1, 64, 1}, {"shl", 1, 65, 2}, {"shl", 3, -1, minI},
		{"shl", 5, 0, 5}, {"shl", 1, 128, 1},
		{"shr", -1, 1, maxI}, {"shr", minI, 63, 1}, {"shr", minI, 64, minI}, {"shr", 16, 65, 8}, {"shr", -1, -1, 1},
		{"sar", -1, 1, -1}, {"sar", minI, 63, -1}, {"sar", minI, 64, minI}, {"sar", -16, 65, -8}, {"sar", 16, 2, 4},
		{"eq", 3, 3, 1}, {"eq", 3, 4, 0}, {"ne", 3, 3, 0}, {"ne", 3, 4, 1},
		{"lt", -1, 0, 1}, {"lt", 0, -1, 0}, {"lt", minI, maxI, 1}, {"lt", 2, 2, 0},
		{"le", 2, 2, 1}, {"le", 3, 2, 0}, {"le", minI, minI, 1},
		{"gt", 0, -1, 1}, {"gt", -1, 0, 0}, {"gt", maxI, minI, 1}, {"gt", 2, 2, 0},
		{"ge", 2, 2, 1}, {"ge", 1, 2, 0}, {"ge", -1, minI, 1},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s(%d,%d)", tt.op, tt.a, tt.b)
		t.Run(name, func(t *testing.T) {
			// Once with immediates, once with arguments.
			src := fmt.Sprintf("func main 0\n push %d\n push %d\n %s\n ret\nend\n", tt.a, tt.b, tt.op)
			v, err := run(t, src)
			require.NoError(t, err)
			assert.Equal(t, tt.want, v)
			src = fmt.Sprintf("func main 2\n arg 0\n arg 1\n %s\n ret\nend\n", tt.op)
			v, err = run(t, src, tt.a, tt.b)
			require.NoError(t, err)
			assert.Equal(t, tt.want, v)
		})
	}
}

func TestInterpUnaryAndStackOps(t *testing.T) {
	tests := []struct {
		name, body string
		want       int64
	}{
		{"neg", "push 5\n neg", -5}, {"neg min", "push -0x8000000000000000\n neg", minI}, {"neg 0", "push 0\n neg", 0},
		{"not", "push 0\n not", -1}, {"not min", "push -0x8000000000000000\n not", maxI},
		{"dup", "push 7\n dup\n mul", 49},
		{"swap", "push 10\n push 3\n swap\n sub", -7},
		{"pop", "push 1\n push 2\n pop", 1},
		{"arg", "arg 2", 30},
		{"locals start at zero", "load 1", 0},
		{"store load", "push 42\n store 1\n load 1", 42},
		{"jmp", "jmp a\n push 1\n ret\na: push 2", 2},
		{"jz taken", "push 0\n jz a\n push 1\n ret\na: push 2", 2},
		{"jz not taken", "push 5\n jz a\n push 1\n ret\na: push 2", 1},
		{"jnz taken", "push -1\n jnz a\n push 1\n ret\na: push 2", 2},
		{"jnz not taken", "push 0\n jnz a\n push 1\n ret\na: push 2", 1},
		{"pconst", "pconst k 0x10", 16},
		{"guard disarmed", "guard g a\n push 1\n ret\na: push 2", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "func main 3\n locals 2\n " + tt.body + "\n ret\nend\n"
			v, err := run(t, src, 10, 20, 30)
			require.NoError(t, err)
			assert.Equal(t, tt.want, v)
		})
	}
}

func TestInterpLocalsFreshPerCall(t *testing.T) {
	// f stores its argument in a local after reading the local: each call
	// must see 0, not the previous call's value.
	v, err := run(t, `
func f 1
    locals 1
    load 0
    arg 0
    store 0
    ret
end
func main 0
    push 5
    call f
    push 6
    call f
    add
    ret
end`)
	require.NoError(t, err)
	assert.Equal(t, int64(0), v)
}

func TestInterpCallsAndArgs(t *testing.T) {
	v, err := run(t, `
func eight 8          ; a*1 + b*2 + ... + h*8, argument order matters
    arg 0
    arg 1
    push 2
    mul
    add
    arg 2
    push 3
    mul
    add
    arg 3
    push 4
    mul
    add
    arg 4
    push 5
    mul
    add
    arg 5
    push 6
    mul
    add
    arg 6
    push 7
    mul
    add
    arg 7
    push 8
    mul
    add
    ret
end
func main 8
    push 100          ; below the arguments: must survive the call
    arg 0
    arg 1
    arg 2
    arg 3
    arg 4
    arg 5
    arg 6
    arg 7
    call eight
    add
    ret
end`, 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000)
	require.NoError(t, err)
	assert.Equal(t, int64(100+1+20+300+4000+50000+600000+7000000+80000000), v)
}

func TestInterpDivisionByZero(t *testing.T) {
	for _, op := range []string{"div", "rem"} {
		for _, a := range []int64{0, 1, minI} {
			v, err := run(t, fmt.Sprintf("func main 0\n push %d\n push 0\n %s\n ret\nend", a, op))
			assert.ErrorIs(t, err, jasm.ErrDivisionByZero, "%s %d 0", op, a)
			assert.Equal(t, int64(0), v)
			assert.EqualError(t, err, "division by zero in main at t.jasm:4:2")
		}
	}
	// In a callee, deep in the stack: the same error value.
	_, err := run(t, "func f 1\n push 1\n arg 0\n div\n ret\nend\nfunc main 1\n arg 0\n call f\n ret\nend", 0)
	assert.ErrorIs(t, err, jasm.ErrDivisionByZero)
	assert.EqualError(t, err, "division by zero in f at t.jasm:4:2", "the function and position of the div")
}

const countdown = `
func down 1            ; down(n) recurses n times
    arg 0
    jz base
    arg 0
    push 1
    sub
    call down
    ret
base:
    push 0
    ret
end
func main 1
    arg 0
    call down
    ret
end`

func TestInterpStackBudgetExact(t *testing.T) {
	p := mustParse(t, countdown)
	down, _ := p.Func("down")
	main, _ := p.Func("main")
	fd, fm := jasm.FrameSize(p.Funcs[down]), jasm.FrameSize(p.Funcs[main])
	assert.Equal(t, 48, fd, "8*(2+1+0+2) rounded to 16")
	assert.Equal(t, 32, fm, "8*(2+1+0+1)")
	for _, n := range []int64{0, 1, 10, 1000} {
		// main plus n+1 activations of down fit exactly.
		budget := fm + int(n+1)*fd
		it, err := jasm.NewInterpOptions(p, jasm.InterpOptions{StackBytes: budget})
		require.NoError(t, err)
		v, err := it.Run(context.Background(), n)
		require.NoError(t, err, "n=%d budget=%d", n, budget)
		assert.Equal(t, int64(0), v)
		v, err = it.Run(context.Background(), n+1)
		assert.ErrorIs(t, err, jasm.ErrStackOverflow, "n=%d budget=%d", n+1, budget)
		assert.Equal(t, int64(0), v)
	}
	// The entry frame counts too.
	it, err := jasm.NewInterpOptions(p, jasm.InterpOptions{StackBytes: fm - 1})
	require.NoError(t, err)
	_, err = it.Run(context.Background(), 0)
	assert.ErrorIs(t, err, jasm.ErrStackOverflow)
	_, err = jasm.NewInterpOptions(p, jasm.InterpOptions{StackBytes: -1})
	assert.Error(t, err)
}

func TestInterpStackOverflowDefaultBudget(t *testing.T) {
	it := newInterp(t, countdown)
	_, err := it.Run(context.Background(), 1<<40)
	assert.ErrorIs(t, err, jasm.ErrStackOverflow)
	// Depth DefaultStackBytes/48 - 1 fits.
	v, err := it.Run(context.Background(), (jasm.DefaultStackBytes-32)/48-1)
	require.NoError(t, err)
	assert.Equal(t, int64(0), v)
	// Infinite recursion through a pcall overflows as well.
	_, err = run(t, "func main 0\n pcall s main\n ret\nend")
	assert.ErrorIs(t, err, jasm.ErrStackOverflow)
}

// Deep jasm recursion does not use Go stack: a million nested jasm calls
// run while the Go stack is capped at 1 MiB, which a Go call per jasm call
// would exceed (a Go stack overflow is fatal, not a test failure).
func TestInterpDeepRecursionNoGoStack(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates ~100 MB")
	}
	p := mustParse(t, countdown)
	it, err := jasm.NewInterpOptions(p, jasm.InterpOptions{StackBytes: 1 << 30})
	require.NoError(t, err)
	defer debug.SetMaxStack(debug.SetMaxStack(1 << 20))
	v, err := it.Run(context.Background(), 1_000_000)
	require.NoError(t, err)
	assert.Equal(t, int64(0), v)
}

func TestInterpInterrupt(t *testing.T) {
	loops := map[string]string{
		"jmp":   "func main 0\nl: jmp l\nend",
		"jnz":   "func main 0\nl: push 1\n jnz l\n push 0\n ret\nend",
		"jz":    "func main 0\nl: push 0\n jz l\n push 0\n ret\nend",
		"guard": "func main 0\n jmp start\nl: push 1\n pop\nstart: guard g l\n push 0\n ret\nend",
		"calls": "func f 0\n push 1\n ret\nend\nfunc main 0\nl: call f\n jnz l\n push 0\n ret\nend",
	}
	for name, src := range loops {
		t.Run(name, func(t *testing.T) {
			it := newInterp(t, src)
			if name == "guard" {
				require.NoError(t, it.Arm(0)) // armed: jumps backward forever
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := it.Run(ctx)
				done <- err
			}()
			time.Sleep(5 * time.Millisecond)
			cancel()
			select {
			case err := <-done:
				assert.ErrorIs(t, err, jasm.ErrInterrupted)
			case <-time.After(30 * time.Second):
				t.Fatal("interrupt not seen within 30s")
			}
		})
	}
	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := newInterp(t, "func main 0\n push 1\n ret\nend").Run(ctx)
		assert.ErrorIs(t, err, jasm.ErrInterrupted)
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		_, err := newInterp(t, loops["jmp"]).Run(ctx)
		assert.ErrorIs(t, err, jasm.ErrInterrupted)
	})
}

func TestInterpCallErrors(t *testing.T) {
	it := newInterp(t, "func f 2\n arg 0\n ret\nend\nfunc main 0\n push 1\n ret\nend")
	_, err := it.Call(context.Background(), 0, 1)
	assert.ErrorIs(t, err, jasm.ErrArity)
	assert.EqualError(t, err, "jasm: call f: wrong number of arguments: 1 given, it takes 2")
	_, err = it.Call(context.Background(), 2)
	assert.ErrorIs(t, err, jasm.ErrNoSuchFunc)
	_, err = it.Call(context.Background(), -1)
	assert.ErrorIs(t, err, jasm.ErrNoSuchFunc)
	v, err := it.Call(context.Background(), 0, 5, 6)
	require.NoError(t, err)
	assert.Equal(t, int64(5), v)
}

func TestInterpSites(t *testing.T) {
	p := mustParse(t, `
func double 1
    arg 0
    push 2
    mul
    ret
end
func square 1
    arg 0
    dup
    mul
    ret
end
func two 2
    arg 0
    ret
end
func main 1
    guard g slow
    arg 0
    pcall c double
    pconst k 100
    add
    ret
slow:
    push -1
    ret
end`)
	it, err := jasm.NewInterp(p)
	require.NoError(t, err)
	g, _ := p.Site("g")
	c, _ := p.Site("c")
	k, _ := p.Site("k")
	square, _ := p.Func("square")
	two, _ := p.Func("two")
	call := func() int64 {
		v, err := it.Run(context.Background(), 7)
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, int64(114), call())
	require.NoError(t, it.SetConst(k, -0x8000000000000000))
	assert.Equal(t, int64(minI+14), call())
	require.NoError(t, it.Retarget(c, square))
	assert.Equal(t, int64(minI+49), call())
	st, err := it.State(c)
	require.NoError(t, err)
	assert.Equal(t, int64(square), st)
	require.NoError(t, it.Arm(g))
	assert.Equal(t, int64(-1), call())
	require.NoError(t, it.Disarm(g))
	assert.Equal(t, int64(minI+49), call())

	// Wrong kinds and indices are errors and change nothing.
	assert.ErrorIs(t, it.Retarget(c, two), jasm.ErrArity)
	assert.ErrorIs(t, it.SetConst(c, 1), jasm.ErrBadSite)
	assert.ErrorIs(t, it.Arm(k), jasm.ErrBadSite)
	assert.ErrorIs(t, it.Disarm(c), jasm.ErrBadSite)
	assert.ErrorIs(t, it.SetConst(3, 1), jasm.ErrBadSite)
	assert.ErrorIs(t, it.Arm(-1), jasm.ErrBadSite)
	_, err = it.State(9)
	assert.ErrorIs(t, err, jasm.ErrBadSite)
	assert.Equal(t, int64(minI+49), call())

	// Site state belongs to the interpreter: a second one starts afresh.
	it2, err := jasm.NewInterp(p)
	require.NoError(t, err)
	v, err := it2.Run(context.Background(), 7)
	require.NoError(t, err)
	assert.Equal(t, int64(114), v)
}

// A patcher goroutine flips sites while callers run: every result must be
// one of the values the states allow. Run with -race.
func TestInterpConcurrentPatching(t *testing.T) {
	p := mustParse(t, `
func double 1
    arg 0
    push 2
    mul
    ret
end
func square 1
    arg 0
    dup
    mul
    ret
end
func main 1
    locals 1
    push 50
    store 0
loop:                  ; sum 50 calls through the site
    load 0
    jz done
    arg 0
    pcall c double
    pconst k 0
    add
    pop
    load 0
    push 1
    sub
    store 0
    jmp loop
done:
    arg 0
    pcall c2 double
    pconst k2 0
    add
    ret
end`)
	it, err := jasm.NewInterp(p)
	require.NoError(t, err)
	c, _ := p.Site("c")
	c2, _ := p.Site("c2")
	k2, _ := p.Site("k2")
	double, _ := p.Func("double")
	square, _ := p.Func("square")
	var stop atomic.Bool
	var wg sync.WaitGroup
	var patches atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			fn := double
			if i%2 == 1 {
				fn = square
			}
			assert.NoError(t, it.Retarget(c, fn))
			assert.NoError(t, it.Retarget(c2, fn))
			assert.NoError(t, it.SetConst(k2, int64(i%2)*1000))
			patches.Add(1)
		}
	}()
	seen := make([]map[int64]bool, 4)
	for w := range seen {
		seen[w] = map[int64]bool{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2000 {
				v, err := it.Run(context.Background(), 7)
				if !assert.NoError(t, err) {
					return
				}
				seen[w][v] = true
			}
		}()
	}
	for patches.Load() < 10 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	allowed := map[int64]bool{14: true, 49: true, 1014: true, 1049: true}
	for _, s := range seen {
		for v := range s {
			assert.True(t, allowed[v], "result %d is none of 14, 49, 1014, 1049", v)
		}
	}
}

func BenchmarkInterpFib25(b *testing.B) {
	src, err := readExample("fib.jasm")
	require.NoError(b, err)
	p, err := jasm.Parse("fib.jasm", src)
	require.NoError(b, err)
	it, err := jasm.NewInterp(p)
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Instructions per fib(25): fib(n) runs 6 instructions when n < 2 and
	// 14 otherwise; main runs 3.
	var insts func(n int64) int64
	insts = func(n int64) int64 {
		if n < 2 {
			return 6
		}
		return 14 + insts(n-1) + insts(n-2)
	}
	ops := insts(25) + 3
	b.ResetTimer()
	for b.Loop() {
		v, err := it.Run(ctx, 25)
		if err != nil || v != 75025 {
			b.Fatal(v, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*ops), "ns/op-jasm")
}
