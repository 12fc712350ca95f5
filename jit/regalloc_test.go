package jit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit/internal/jasmgen"
	"github.com/syncore/syncore/jit/jasm"
)

// Register-pressure programs: more parameters, locals and operand-stack
// entries than the pool holds, calls in the middle of expressions, stale
// reads of a local that is stored while a copy is on the stack, and
// swap/dup over every mix of lazy and materialised operands. Each runs in
// the interpreter and as machine code, for both the register-allocating
// lowering and the unfused one (every value in its place after every
// instruction).

// deepStack returns a function that pushes n values built from its two
// parameters and folds them with a rotating set of operators.
func deepStack(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "func main 2\n")
	for i := range n {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, " arg 0\n")
		case 1:
			fmt.Fprintf(&b, " arg 1\n push %d\n xor\n", i*7919)
		case 2:
			fmt.Fprintf(&b, " push %d\n", int64(i)<<40|int64(i))
		default:
			fmt.Fprintf(&b, " arg 0\n dup\n mul\n")
		}
	}
	ops := []string{"add", "sub", "xor", "mul", "or", "sub", "and", "add"}
	for i := range n - 1 {
		fmt.Fprintf(&b, " %s\n", ops[i%len(ops)])
		if i%5 == 2 {
			fmt.Fprintf(&b, " swap\n swap\n")
		}
	}
	fmt.Fprintf(&b, " ret\nend\n")
	return b.String()
}

// manyLocals returns a loop over n locals: each iteration mixes every local
// with its neighbour and calls mix in the middle of an expression.
func manyLocals(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "func mix 3\n arg 0\n arg 1\n push 3\n mul\n sub\n arg 2\n xor\n ret\nend\n")
	fmt.Fprintf(&b, "func main 2\n locals %d\n", n+1)
	for j := range n {
		fmt.Fprintf(&b, " arg %d\n push %d\n add\n store %d\n", j%2, j, j)
	}
	fmt.Fprintf(&b, " arg 0\n push 255\n and\n store %d\nloop:\n load %d\n jz done\n", n, n)
	for j := range n {
		k := (j + 1) % n
		if j%3 == 0 {
			fmt.Fprintf(&b, " load %d\n load %d\n load %d\n call mix\n load %d\n add\n store %d\n", j, k, n, j, j)
		} else {
			fmt.Fprintf(&b, " load %d\n load %d\n push %d\n shl\n xor\n store %d\n", j, k, j%5, j)
		}
	}
	fmt.Fprintf(&b, " load %d\n push 1\n sub\n store %d\n jmp loop\ndone:\n push 0\n", n, n)
	for j := range n {
		fmt.Fprintf(&b, " load %d\n xor\n", j)
	}
	fmt.Fprintf(&b, " ret\nend\n")
	return b.String()
}

var pressurePrograms = []struct {
	name, src string
	nargs     int
}{
	{"eight params", `func f 8
 arg 7
 arg 0
 sub
 arg 6
 arg 1
 shl
 xor
 arg 5
 arg 2
 push 7
 or
 div
 add
 arg 4
 arg 3
 mul
 sub
 ret
end
func main 8
 arg 7
 arg 6
 arg 5
 arg 4
 arg 3
 arg 2
 arg 1
 arg 0
 call f
 arg 0
 arg 1
 arg 2
 arg 3
 arg 4
 arg 5
 arg 6
 arg 7
 call f
 arg 1
 arg 0
 arg 3
 arg 2
 arg 5
 arg 4
 arg 7
 arg 6
 call f
 mul
 add
 ret
end
`, 8},
	{"deep stack", deepStack(40), 2},
	{"a frame over 4 KiB (offsets past one immediate field)", deepStack(520), 2},
	{"calls inside expressions", `func g 3
 arg 0
 arg 1
 sub
 arg 2
 mul
 ret
end
func main 3
 locals 2
 arg 0
 store 0
 arg 1
 arg 2
 push 11
 arg 0
 load 0
 push 5
 arg 2
 call g
 arg 1
 load 0
 arg 2
 arg 0
 call g
 arg 1
 call g
 push 9
 arg 0
 add
 arg 1
 push 2
 call g
 add
 add
 store 1
 mul
 add
 sub
 load 1
 xor
 ret
end
`, 3},
	{"a store under a stacked read", `func main 2
 locals 2
 arg 0
 store 0
 load 0
 load 0
 push 9
 store 0
 load 0
 arg 1
 store 1
 load 1
 push 3
 store 1
 add
 add
 load 0
 swap
 sub
 mul
 load 1
 add
 ret
end
`, 2},
	{"swap and dup over every kind", `func main 2
 locals 1
 arg 0
 push 5
 swap
 sub
 arg 1
 dup
 mul
 swap
 push 3
 swap
 div
 add
 dup
 store 0
 load 0
 swap
 arg 1
 swap
 sub
 xor
 push 1
 dup
 swap
 add
 shl
 load 0
 dup
 dup
 xor
 or
 add
 ret
end
`, 2},
	{"many locals in a loop", manyLocals(24), 2},
	{"a loop that fits the registers", manyLocals(5), 2},
}

func TestRegisterPressure(t *testing.T) {
	for _, hooks := range []testHooks{{}, {noFuse: true}} {
		rt := newTestRuntime(t, withHooks(Options{StackBytes: 64 << 10}, hooks))
		for _, tc := range pressurePrograms {
			t.Run(fmt.Sprintf("%s/nofuse=%v", tc.name, hooks.noFuse), func(t *testing.T) {
				p := mustParse(t, tc.src)
				fn, ok := p.Func(p.EntryName())
				if !ok {
					fn = len(p.Funcs) - 1
				}
				require.Equal(t, tc.nargs, p.Funcs[fn].Params)
				edges := jasmgen.Edges
				for i := range 3 * len(edges) {
					args := make([]int64, tc.nargs)
					for j := range args {
						args[j] = edges[(i*7+j*3)%len(edges)] + int64(j)
					}
					assert.Empty(t, agree(t, rt, p, fn, args))
				}
			})
		}
	}
}

// TestRegisterPressureCompilesForBothArchs: the same programs compile for
// the other ISA on any host (they run under qemu in make test).
func TestRegisterPressureCompilesForBothArchs(t *testing.T) {
	for _, arch := range []Arch{ArchAMD64, ArchPPC64LE, ArchARM64} {
		for _, tc := range pressurePrograms {
			_, err := Compile(mustParse(t, tc.src), CompileOptions{Arch: arch})
			assert.NoError(t, err, "%s %s", arch, tc.name)
		}
	}
}

// yieldLoop keeps n locals live in registers across the back-edge's poll
// point for iters iterations; yieldWant is its result computed in Go.
func yieldLoop(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "func main 1\n locals %d\n", n+1)
	for j := range n {
		fmt.Fprintf(&b, " push %d\n store %d\n", j+1, j)
	}
	fmt.Fprintf(&b, " arg 0\n store %d\nloop:\n load %d\n jz done\n", n, n)
	for j := range n {
		fmt.Fprintf(&b, " load %d\n load %d\n add\n push %d\n xor\n store %d\n", j, (j+1)%n, j, j)
	}
	fmt.Fprintf(&b, " load %d\n push 1\n sub\n store %d\n jmp loop\ndone:\n push 0\n", n, n)
	for j := range n {
		fmt.Fprintf(&b, " load %d\n add\n", j)
	}
	fmt.Fprintf(&b, " ret\nend\n")
	return b.String()
}

func yieldWant(n int, iters int64) int64 {
	l := make([]int64, n)
	for j := range l {
		l[j] = int64(j + 1)
	}
	for ; iters != 0; iters-- {
		for j := range l {
			l[j] = (l[j] + l[(j+1)%n]) ^ int64(j)
		}
	}
	var s int64
	for _, v := range l {
		s += v
	}
	return s
}

// TestYieldKeepsLiveRegisters: a loop whose locals all live in registers
// (and one with more locals than registers) yields at its back-edge
// whenever the garbage collector stops the world; the slow path saves and
// restores every live register, so the result is exact. The evidence that
// yields happened: collections complete while the call is still running
// (a stop-the-world cannot finish while compiled code runs without
// yielding).
func TestYieldKeepsLiveRegisters(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	for _, n := range []int{6, 12} {
		prog, err := rt.Load(mustParse(t, yieldLoop(n)))
		require.NoError(t, err)
		iters := int64(1) << 22
		if testing.Short() {
			iters >>= 2
		}
		want := yieldWant(n, iters)
		for {
			done := make(chan struct{})
			var got int64
			var callErr error
			go func() {
				defer close(done)
				got, callErr = prog.Func("main").CallContext(context.Background(), iters)
			}()
			gcs := 0
		wait:
			for {
				select {
				case <-done:
					break wait
				default:
					forceGC()
					select {
					case <-done:
						break wait
					default:
						gcs++ // completed while the call still ran
					}
				}
			}
			require.NoError(t, callErr)
			require.Equal(t, want, got, "%d locals", n)
			if gcs > 0 {
				t.Logf("%d locals: %d collections completed during the call", n, gcs)
				break
			}
			iters *= 4 // too fast to overlap a collection: run longer
			require.Less(t, iters, int64(1)<<34, "no collection ever overlapped the call")
			want = yieldWant(n, iters)
		}
	}
}

func forceGC() {
	done := make(chan struct{})
	go func() { defer close(done); runtime.GC() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		panic("a collection did not finish: compiled code never yielded")
	}
}

// TestEntryPolls: a function polls on entry when it can reach itself
// through plain calls or makes a patchable call; a finite call chain does
// not.
func TestEntryPolls(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []bool
	}{
		{"leaf and chain", "func c 0\n push 1\n ret\nend\nfunc b 0\n call c\n ret\nend\nfunc main 0\n call b\n ret\nend\n", []bool{false, false, false}},
		{"self", "func r 1\n arg 0\n jz done\n arg 0\n push 1\n sub\n call r\n ret\ndone:\n push 0\n ret\nend\nfunc main 1\n arg 0\n call r\n ret\nend\n", []bool{true, false}},
		{"mutual, and a callee outside the cycle", `func leaf 0
 push 1
 ret
end
func a 1
 arg 0
 jz done
 arg 0
 push 1
 sub
 call b
 ret
done:
 call leaf
 ret
end
func b 1
 arg 0
 call a
 ret
end
func main 1
 arg 0
 call a
 ret
end
`, []bool{false, true, true, false}},
		{"pcall", "func f 0\n push 2\n ret\nend\nfunc main 0\n pcall s f\n ret\nend\n", []bool{false, true}},
		{"unreachable self-call", "func main 0\n push 1\n ret\n call main\n ret\nend\n", []bool{false}},
	} {
		p := mustParse(t, tc.src)
		assert.Equal(t, tc.want, entryPolls(p), tc.name)
	}
}

// TestInterruptMutualRecursion: recursion through two functions without a
// loop (fib split across a and b) stays interruptible: their entries poll.
// Without those polls fib(40) would run for seconds before returning.
func TestInterruptMutualRecursion(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	prog, err := rt.Load(mustParse(t, `func a 1
 arg 0
 push 2
 lt
 jz more
 arg 0
 ret
more:
 arg 0
 push 1
 sub
 call b
 arg 0
 push 2
 sub
 call b
 add
 ret
end
func b 1
 arg 0
 call a
 ret
end
func main 1
 arg 0
 call a
 ret
end
`))
	require.NoError(t, err)
	f := prog.Func("main")
	v, err := f.Call(10)
	require.NoError(t, err)
	require.Equal(t, int64(55), v)
	// fib(40) runs for seconds: interrupt it once it is inside, again
	// until it stops (an Interrupt before the call loads its word is
	// meant for an earlier call and would be missed).
	start := time.Now()
	done := make(chan error, 1)
	go func() { _, err := f.Call(40); done <- err }()
	waitInside(t, rt, 1)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		f.Interrupt()
		select {
		case err := <-done:
			assert.ErrorIs(t, err, jasm.ErrInterrupted, "after %v", time.Since(start))
			return
		case <-tick.C:
		}
	}
}

// TestFramelessLeafKeepsTheStackBudget: a leaf that needs no frame (no
// calls, no polls, everything in registers) still checks the stack budget,
// so a call chain overflows on the same call as in the interpreter.
func TestFramelessLeafKeepsTheStackBudget(t *testing.T) {
	rt := newTestRuntime(t, Options{StackBytes: 4 << 10})
	p := mustParse(t, `func leaf 1
 locals 2
 arg 0
 push 7
 mul
 store 1
 load 1
 push 3
 xor
 ret
end
func down 1
 arg 0
 jz base
 arg 0
 push 1
 sub
 call down
 ret
base:
 push 5
 call leaf
 ret
end
func main 1
 arg 0
 call down
 ret
end
`)
	// The leaf has no frame set-up; down (which calls) has one: the
	// positive control that the pattern is the frame's.
	frame := map[Arch]string{ArchAMD64: "\x55\x48\x89\xe5", ArchARM64: "\xfd\x7b\xbf\xa9"} // push rbp; mov rbp,rsp / stp x29,x30,[sp,#-16]!
	for arch, pattern := range frame {
		code, err := Compile(p, CompileOptions{Arch: arch})
		require.NoError(t, err)
		leaf := code.Blob.Code[code.Entries[0]:code.Entries[1]]
		down := code.Blob.Code[code.Entries[1]:code.Entries[2]]
		assert.NotContains(t, string(leaf), pattern, "%s: leaf sets up a frame", arch)
		assert.Contains(t, string(down), pattern, "%s: down sets up no frame", arch)
	}
	overflowed, inLeaf := false, 0
	for n := int64(0); n < 200; n++ {
		require.Empty(t, agree(t, rt, p, 2, []int64{n}))
		_, err := rt.loadAndRun(p, 2, []int64{n})
		var re *jasm.RuntimeError
		if errors.Is(err, jasm.ErrStackOverflow) {
			overflowed = true
			if errors.As(err, &re) && re.Func == "leaf" {
				inLeaf++
			}
		}
	}
	assert.True(t, overflowed, "no depth reached the stack budget")
	assert.Positive(t, inLeaf, "no depth overflowed in the frameless leaf itself: its stack check went untested")
}
