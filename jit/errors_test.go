package jit

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit/jasm"
)

const faults = `func f 1
    push 1
    arg 0
    div
    ret
end
func r 1
    arg 0
    call r
    ret
end
func spin 0
loop:
    push 1
    jnz loop
    push 0
    ret
end
func main 1
    arg 0
    call f
    ret
end
`

// TestRuntimeErrorsSayWhere: machine code names the function and the jasm
// position of the check that failed (through its out-of-line stub and
// Code.Lines), as the interpreter does, whichever way it is called.
func TestRuntimeErrorsSayWhere(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	p, err := jasm.Parse("t.jasm", []byte(faults))
	require.NoError(t, err)
	prog, err := rt.Load(p)
	require.NoError(t, err)
	it, err := jasm.NewInterp(p)
	require.NoError(t, err)
	cases := []struct {
		fn   string
		args []int64
		want string
	}{
		{"main", []int64{0}, "division by zero in f at t.jasm:4:5"},
		{"f", []int64{0}, "division by zero in f at t.jasm:4:5"},
		{"r", []int64{1}, "stack overflow in r at t.jasm:7:1"},
	}
	for _, tc := range cases {
		fn := prog.Func(tc.fn)
		c, err := fn.NewCaller()
		require.NoError(t, err)
		calls := map[string]func() (int64, error){
			"Call":        func() (int64, error) { return fn.Call(tc.args...) },
			"CallContext": func() (int64, error) { return fn.CallContext(context.Background(), tc.args...) },
			"Caller":      func() (int64, error) { return c.Call(tc.args...) },
			"interpreter": func() (int64, error) { return it.Call(context.Background(), fn.Index(), tc.args...) },
		}
		for how, call := range calls {
			_, err := call()
			assert.EqualError(t, err, tc.want, "%s %s", how, tc.fn)
			var re *jasm.RuntimeError
			require.ErrorAs(t, err, &re)
			assert.True(t, errors.Is(err, jasm.ErrDivisionByZero) || errors.Is(err, jasm.ErrStackOverflow))
		}
		c.Close()
	}

	// An interrupted loop stops at its back-edge.
	spin := prog.Func("spin")
	done := make(chan error, 1)
	go func() { _, err := spin.Call(); done <- err }()
	var got error
	for got == nil {
		spin.Interrupt()
		select {
		case got = <-done:
		case <-time.After(time.Millisecond):
		}
	}
	assert.EqualError(t, got, "interrupted in spin at t.jasm:15:5")
	assert.ErrorIs(t, got, jasm.ErrInterrupted)
}

// TestWrongLinesAreCaught: the differential tests compare positions; a
// line table that points elsewhere must make them disagree (the negative
// control of sameRuntimeError).
func TestWrongLinesAreCaught(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	p, err := jasm.Parse("t.jasm", []byte(faults))
	require.NoError(t, err)
	it, err := jasm.NewInterp(p)
	require.NoError(t, err)
	_, want := it.Call(context.Background(), 0, 0)

	prog, err := rt.Load(p)
	require.NoError(t, err)
	_, got := prog.Func("f").Call(0)
	assert.True(t, sameRuntimeError(want, got), "%v / %v", want, got)
	for i := range prog.Code().Lines {
		prog.Code().Lines[i].Inst = 0 // every check blamed on the first instruction
	}
	_, got = prog.Func("f").Call(0)
	assert.False(t, sameRuntimeError(want, got), "a wrong position went unnoticed: %v / %v", want, got)
	assert.False(t, sameRuntimeError(want, nil))
	assert.False(t, sameRuntimeError(want, jasm.ErrDivisionByZero), "a bare sentinel says nowhere")
}

// TestCallContextErrorsMatchTheContext: a call stopped by its context
// matches the context's error as well as jasm.ErrInterrupted.
func TestCallContextErrorsMatchTheContext(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	prog, err := rt.Load(mustParse(t, longSum))
	require.NoError(t, err)
	f := prog.Func("main")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	_, err = f.CallContext(ctx, 1<<40)
	assert.ErrorIs(t, err, jasm.ErrInterrupted)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(5 * time.Millisecond); cancel() }()
	_, err = f.CallContext(ctx, 1<<40)
	assert.ErrorIs(t, err, jasm.ErrInterrupted)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "interrupted in main at ")

	_, err = f.CallContext(ctx, 1) // done already
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, jasm.ErrInterrupted)

	// Interrupt is not the context: no context error. The context can be
	// cancelled (context.Background's nil Done would take Call's path), so
	// the call polls a word of its own in f.active, which Interrupt sets.
	live, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { _, err := f.CallContext(live, 1<<40); done <- err }()
	waitInside(t, rt, 1)
	f.mu.Lock()
	assert.Len(t, f.active, 1, "the call's own interrupt word")
	f.mu.Unlock()
	f.Interrupt()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		stop() // lets the call end
		t.Fatal("Interrupt did not reach a CallContext call")
	}
	assert.ErrorIs(t, err, jasm.ErrInterrupted)
	assert.NotErrorIs(t, err, context.Canceled)
	assert.NoError(t, live.Err(), "the context was not cancelled")
}

// TestErrorsOfAClosedProgramNameIt: a call interrupted because its program
// was closed names its own function and position, even when the next
// program is loaded into the reused block at once. The position is
// resolved while the call's entry mark still holds the block; looked up
// after the call left, it could name the next program (or none).
func TestErrorsOfAClosedProgramNameIt(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	old, err := jasm.Parse("old.jasm", []byte(longSum))
	require.NoError(t, err)
	// The same code (so the same block fits it) under other names.
	decoy, err := jasm.Parse("new.jasm", []byte("entry decoy\n"+strings.Replace(longSum, "func main", "func decoy", 1)))
	require.NoError(t, err)
	rounds := 60
	if testing.Short() {
		rounds = 10
	}
	const callers = 6
	var named, refused int
	for range rounds {
		prog, err := rt.Load(old)
		require.NoError(t, err)
		f := prog.Func("main")
		errs := make(chan error, callers)
		for i := range callers {
			go func() {
				var err error
				switch i % 3 {
				case 0:
					_, err = f.Call(endless)
				case 1:
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					_, err = f.CallContext(ctx, endless)
				default:
					var c *Caller
					if c, err = f.NewCaller(); err == nil {
						_, err = c.Call(endless)
						c.Close()
					}
				}
				errs <- err
			}()
		}
		waitInside(t, rt, 1)
		require.NoError(t, prog.Close())
		next, err := rt.Load(decoy) // into the block just freed
		require.NoError(t, err)
		if !rt.heap.noReuse {
			require.Equal(t, prog.Block().RX, next.Block().RX, "the closed program's block is reused")
		}
		for range callers {
			err := <-errs
			require.ErrorIs(t, err, ErrClosed)
			var re *jasm.RuntimeError
			if errors.As(err, &re) { // interrupted inside, not refused at the entry
				named++
				require.ErrorIs(t, err, jasm.ErrInterrupted)
				require.Equal(t, "main", re.Func, "%v", err)
				require.Equal(t, "old.jasm", re.Pos.File, "%v", err)
			} else {
				refused++
			}
		}
		require.NoError(t, next.Close())
	}
	t.Logf("%d calls interrupted and named, %d refused at the entry", named, refused)
	assert.Positive(t, named)
}
