package jit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit/internal/jasmgen"
	"github.com/syncore/syncore/jit/jasm"
)

func newTestRuntime(t testing.TB, opts Options) *Runtime {
	t.Helper()
	rt, err := New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { rt.Close() })
	return rt
}

// agree runs fn of p with args in the interpreter and as machine code and
// reports a mismatch of value or error, or "" when both agree.
func agree(t testing.TB, rt *Runtime, p *jasm.Program, fn int, args []int64) string {
	t.Helper()
	return agreeWithin(t, rt, p, fn, args, 5*time.Second)
}

func agreeWithin(t testing.TB, rt *Runtime, p *jasm.Program, fn int, args []int64, limit time.Duration) string {
	t.Helper()
	it, err := jasm.NewInterpOptions(p, jasm.InterpOptions{StackBytes: rt.opts.StackBytes})
	require.NoError(t, err)
	// Generated programs end in milliseconds; the deadline only stops a
	// miscompiled loop (the negative control) from running forever.
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	want, wantErr := it.Call(ctx, fn, args...)
	prog, err := rt.Load(p)
	require.NoError(t, err)
	got, gotErr := prog.FuncAt(fn).CallContext(ctx, args...)
	if want != got || !sameRuntimeError(wantErr, gotErr) {
		return fmt.Sprintf("%s%v: interpreter %d, %v; machine code %d, %v",
			p.Funcs[fn].Name, args, want, wantErr, got, gotErr)
	}
	return ""
}

// sameRuntimeError reports whether the interpreter's error a and machine
// code's b agree: both nil, or the same runtime error in the same function
// at the same position. Interruptions are compared by kind only: the
// interpreter polls at every call, compiled code at the entry of callees
// that call.
func sameRuntimeError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	var ea, eb *jasm.RuntimeError
	if !errors.As(a, &ea) || !errors.As(b, &eb) || ea.Err != eb.Err {
		return false
	}
	return ea.Err == jasm.ErrInterrupted || (ea.Func == eb.Func && ea.Pos == eb.Pos)
}

// TestDifferential runs random verified programs (loops, calls, recursion,
// every op, edge constants, runtime errors) in the interpreter and as machine
// code for this GOARCH: value and error must agree. Under qemu this runs the
// ppc64le code (emulated).
func TestDifferential(t *testing.T) {
	rt := newTestRuntime(t, Options{StackBytes: 64 << 10})
	n := 400
	if testing.Short() {
		n = 100
	}
	errs := map[error]int{}
	for seed := range n {
		r := rand.New(rand.NewPCG(uint64(seed), 1))
		p := jasmgen.Generate(r, jasmgen.Options{DeepRecursion: seed%2 == 0})
		fn, _ := p.Func(p.EntryName())
		args := jasmgen.Args(r, p.Funcs[fn].Params)
		if msg := agree(t, rt, p, fn, args); msg != "" {
			t.Fatalf("seed %d: %s\nprogram:\n%s", seed, msg, jasm.Format(p))
		}
		_, err := rt.loadAndRun(p, fn, args)
		var re *jasm.RuntimeError
		if errors.As(err, &re) {
			err = re.Err
		}
		errs[err]++
	}
	t.Logf("%d programs: outcomes %v", n, errs)
	// The generator must exercise the error paths too, or agreement proves little.
	assert.Positive(t, errs[nil])
	assert.Positive(t, errs[jasm.ErrDivisionByZero])
	assert.Positive(t, errs[jasm.ErrStackOverflow])
}

func (rt *Runtime) loadAndRun(p *jasm.Program, fn int, args []int64) (int64, error) {
	prog, err := rt.Load(p)
	if err != nil {
		return 0, err
	}
	return prog.FuncAt(fn).Call(args...)
}

// TestDifferentialUnfused repeats the differential test with the driver's
// fusions (compare and branch, result into a stored local) turned off and
// every value put in its place after each instruction, so the plain code
// stays covered too.
func TestDifferentialUnfused(t *testing.T) {
	rt := newTestRuntime(t, withHooks(Options{StackBytes: 64 << 10}, testHooks{noFuse: true}))
	for seed := range 150 {
		r := rand.New(rand.NewPCG(uint64(seed), 3))
		p := jasmgen.Generate(r, jasmgen.Options{})
		fn, _ := p.Func(p.EntryName())
		if msg := agree(t, rt, p, fn, jasmgen.Args(r, p.Funcs[fn].Params)); msg != "" {
			t.Fatalf("seed %d: %s\nprogram:\n%s", seed, msg, jasm.Format(p))
		}
	}
}

// TestDifferentialPConstInCode repeats the differential test with pconst
// sites compiled into the instruction stream (amd64's movabs, which the
// lowering puts in whichever register the value is allocated to).
func TestDifferentialPConstInCode(t *testing.T) {
	if arch, _ := HostArch(); arch != ArchAMD64 {
		_, err := Compile(mustParse(t, "func main 0\n pconst k 1\n ret\nend\n"), CompileOptions{PConst: PConstCode})
		require.ErrorIs(t, err, ErrCompile, "only amd64 has pconst in code")
		return
	}
	rt := newTestRuntime(t, Options{StackBytes: 64 << 10, PConst: PConstCode})
	consts := 0 // pconst sites compiled into code: the evidence that the mode ran
	for seed := range 150 {
		r := rand.New(rand.NewPCG(uint64(seed), 5))
		p := jasmgen.Generate(r, jasmgen.Options{})
		for _, s := range p.Sites {
			if s.Kind == jasm.SiteConst {
				consts++
			}
		}
		fn, _ := p.Func(p.EntryName())
		if msg := agree(t, rt, p, fn, jasmgen.Args(r, p.Funcs[fn].Params)); msg != "" {
			t.Fatalf("seed %d: %s\nprogram:\n%s", seed, msg, jasm.Format(p))
		}
	}
	assert.Positive(t, consts, "the programs had no pconst site to compile in code")
}

// TestDifferentialCatchesMiscompilation is the negative control: with sub
// lowered with its operands swapped, the differential test must find a
// program on which interpreter and machine code disagree.
func TestDifferentialCatchesMiscompilation(t *testing.T) {
	rt := newTestRuntime(t, withHooks(Options{StackBytes: 64 << 10}, testHooks{swapSub: true}))
	for seed := range 200 {
		r := rand.New(rand.NewPCG(uint64(seed), 1))
		p := jasmgen.Generate(r, jasmgen.Options{})
		fn, _ := p.Func(p.EntryName())
		if msg := agreeWithin(t, rt, p, fn, jasmgen.Args(r, p.Funcs[fn].Params), 200*time.Millisecond); msg != "" {
			t.Logf("seed %d caught the swapped sub: %s", seed, msg)
			return
		}
	}
	t.Fatal("200 random programs did not reveal a sub with swapped operands")
}

func TestExamplesAgree(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	files, err := filepath.Glob("../examples/*.jasm")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		p, err := jasm.Parse(file, src)
		require.NoError(t, err, file)
		fn, ok := p.Func(p.EntryName())
		require.True(t, ok)
		args := make([]int64, p.Funcs[fn].Params)
		for i := range args {
			args[i] = int64(10 + 7*i)
		}
		assert.Empty(t, agree(t, rt, p, fn, args), file)
	}
}

func mustParse(t testing.TB, src string) *jasm.Program {
	t.Helper()
	p, err := jasm.Parse("test.jasm", []byte(src))
	require.NoError(t, err)
	return p
}

func TestOpsAtTheEdges(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	ops := []string{"add", "sub", "mul", "div", "rem", "and", "or", "xor", "shl", "shr", "sar", "eq", "ne", "lt", "le", "gt", "ge"}
	for _, op := range ops {
		p := mustParse(t, fmt.Sprintf("func main 2\n arg 0\n arg 1\n %s\n ret\nend\n", op))
		for _, a := range jasmgen.Edges {
			for _, b := range jasmgen.Edges {
				if msg := agree(t, rt, p, 0, []int64{a, b}); msg != "" {
					t.Errorf("%s: %s", op, msg)
				}
			}
		}
	}
	for _, op := range []string{"neg", "not", "dup\n add", "dup\n swap\n sub", "pop\n push 3"} {
		p := mustParse(t, fmt.Sprintf("func main 1\n arg 0\n %s\n ret\nend\n", op))
		for _, a := range jasmgen.Edges {
			assert.Empty(t, agree(t, rt, p, 0, []int64{a}), op)
		}
	}
}

// TestStackOverflowAtTheSameDepth: interpreter and machine code share the
// stack-budget model, so the deepest recursion that fits is the same.
func TestStackOverflowAtTheSameDepth(t *testing.T) {
	const budget = 16 << 10
	rt := newTestRuntime(t, Options{StackBytes: budget})
	p := mustParse(t, `
func down 1
    arg 0
    jz bottom
    arg 0
    push 1
    sub
    call down
    ret
bottom:
    push 42
    ret
end
func main 1
    arg 0
    call down
    ret
end
`)
	it, err := jasm.NewInterpOptions(p, jasm.InterpOptions{StackBytes: budget})
	require.NoError(t, err)
	deepest := int64(-1)
	for n := int64(0); n < budget; n++ {
		if _, err := it.Call(context.Background(), 1, n); err != nil {
			require.ErrorIs(t, err, jasm.ErrStackOverflow)
			deepest = n - 1
			break
		}
	}
	require.Positive(t, deepest)
	for _, n := range []int64{deepest - 1, deepest, deepest + 1, deepest + 100} {
		assert.Empty(t, agree(t, rt, p, 1, []int64{n}), "depth %d (deepest that fits: %d)", n, deepest)
	}
}

const spin = `
func spin 0
loop:
    push 1
    jnz loop
    push 0
    ret
end
func recurse 1
    arg 0
    call recurse
    ret
end
func main 0
    push 0
    ret
end
`

func TestInterrupt(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	prog, err := rt.Load(mustParse(t, spin))
	require.NoError(t, err)
	f := prog.Func("spin")
	done := make(chan error, 1)
	go func() { _, err := f.Call(); done <- err }()
	// Interrupt until the call has started and stopped (it may not have
	// entered the loop at the first Interrupt).
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
wait:
	for {
		f.Interrupt()
		select {
		case err := <-done:
			assert.ErrorIs(t, err, jasm.ErrInterrupted)
			break wait
		case <-tick.C:
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _, err := f.CallContext(ctx); done <- err }()
	cancel()
	assert.ErrorIs(t, <-done, jasm.ErrInterrupted)

	v, err := prog.Func("recurse").Call(1)
	assert.ErrorIs(t, err, jasm.ErrStackOverflow, "infinite recursion stops at the budget, not the guard page")
	assert.Zero(t, v)
}

func TestCallErrors(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	prog, err := rt.Load(mustParse(t, spin))
	require.NoError(t, err)
	_, err = prog.Func("recurse").Call()
	assert.ErrorIs(t, err, jasm.ErrArity)
	assert.Nil(t, prog.Func("nope"))
	_, err = rt.Load(&jasm.Program{})
	assert.ErrorIs(t, err, ErrCompile, "an unverified program is refused")
}

// TestCompilesForBothArchs: every example compiles for both ISAs on any
// host, and the listing decodes as the target's instructions.
func TestCompilesForBothArchs(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.jasm")
	for _, file := range files {
		src, _ := os.ReadFile(file)
		p, err := jasm.Parse(file, src)
		require.NoError(t, err)
		for _, arch := range []Arch{ArchAMD64, ArchPPC64LE, ArchARM64} {
			c, err := Compile(p, CompileOptions{Arch: arch})
			require.NoError(t, err, "%s for %s", file, arch)
			var sb strings.Builder
			require.NoError(t, c.WriteListing(&sb, 0))
			assert.NotContains(t, sb.String(), "(bad)", "%s for %s:\n%s", file, arch, sb.String())
			if arch == ArchPPC64LE {
				assert.Contains(t, sb.String(), "blr")
			} else {
				assert.Contains(t, sb.String(), "ret")
			}
			for i, s := range c.Sites {
				assert.True(t, s.Present, "site %s", p.Sites[i].Name)
			}
		}
	}
	_, err := Compile(mustParse(t, "func main 0\n pconst k 1\n ret\nend\n"), CompileOptions{Arch: ArchPPC64LE, PConst: PConstCode})
	assert.ErrorIs(t, err, ErrCompile)
}

// TestGCWhileJITSpins: a stop-the-world must not wait for a JIT loop to end.
// Machine code yields at its poll points when the runtime asks the
// goroutine to stop (stackguard0 == stackPreempt); without that, runtime.GC
// below would never return (the loop only ends when interrupted, after it).
func TestGCWhileJITSpins(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	prog, err := rt.Load(mustParse(t, spin))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		close(started)
		_, err := prog.Func("spin").CallContext(ctx)
		done <- err
	}()
	<-started
	time.Sleep(10 * time.Millisecond) // let it enter the loop
	for range 3 {
		runtime.GC()
	}
	cancel()
	assert.ErrorIs(t, <-done, jasm.ErrInterrupted)
}

// FuzzDifferential: interpreter and machine code agree on programs built
// from the fuzzer's bytes.
func FuzzDifferential(f *testing.F) {
	for _, seed := range []string{"", "\x00", "fib", "\xff\xfe\x01\x80 loops and calls", "0123456789abcdef0123456789abcdef"} {
		f.Add([]byte(seed))
	}
	// agree loads each program and leaves it loaded, so the runtime is
	// replaced every so many programs (a long fuzzing run would otherwise
	// fill its heap).
	var rt *Runtime
	n := 0
	f.Cleanup(func() {
		if rt != nil {
			rt.Close()
		}
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		if n%5000 == 0 {
			if rt != nil {
				rt.Close()
			}
			var err error
			rt, err = New(Options{StackBytes: 64 << 10})
			require.NoError(t, err)
		}
		n++
		p := jasmgen.FromBytes(data)
		fn, _ := p.Func(p.EntryName())
		r := rand.New(rand.NewPCG(uint64(len(data)), 7))
		if msg := agree(t, rt, p, fn, jasmgen.Args(r, p.Funcs[fn].Params)); msg != "" {
			t.Fatalf("%s\nprogram:\n%s", msg, jasm.Format(p))
		}
	})
}

// TestRuntimeChoosesHeapMode: by default the runtime keeps the W^X dual
// mapping where the probe sees patches through it (natively) and falls back
// to RWX, saying why, where it does not (qemu-user).
func TestRuntimeChoosesHeapMode(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	info := rt.Info()
	t.Logf("%v: %s", info.HeapMode, info.HeapReason)
	if Emulated() {
		assert.Equal(t, HeapRWX, info.HeapMode)
		assert.Contains(t, info.HeapReason, "RWX fallback")
	} else {
		assert.Equal(t, HeapDual, info.HeapMode)
	}
	assert.NoError(t, info.SyncCore, "New registers SYNC_CORE")
	forced := newTestRuntime(t, Options{Heap: HeapOptions{Mode: HeapDual}})
	assert.Equal(t, HeapDual, forced.Info().HeapMode, "an explicit mode is kept")
}

func TestProgramClose(t *testing.T) {
	rt := newTestRuntime(t, Options{Heap: HeapOptions{ChunkBytes: 1 << 16, MaxBytes: 1 << 16}})
	var addr uintptr
	for i := range 2000 { // far more code than 64 KiB: Close must give it back
		prog, err := rt.Load(mustParse(t, spin))
		require.NoError(t, err, "program %d", i)
		if i == 0 {
			addr = prog.Block().RX
		}
		v, err := prog.Func("main").Call()
		require.NoError(t, err)
		require.Zero(t, v)
		c, err := prog.Func("main").NewCaller()
		require.NoError(t, err)
		require.NoError(t, prog.Close())
		require.NoError(t, prog.Close(), "twice is harmless")
		_, err = prog.Func("main").Call()
		require.ErrorIs(t, err, ErrClosed)
		_, err = c.Call()
		require.ErrorIs(t, err, ErrClosed)
		c.Close()
		_, err = prog.Func("main").NewCaller()
		require.ErrorIs(t, err, ErrClosed)
	}
	prog, err := rt.Load(mustParse(t, spin))
	require.NoError(t, err)
	assert.Equal(t, addr, prog.Block().RX, "the first program's place is reused")
}
