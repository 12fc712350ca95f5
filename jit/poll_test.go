package jit

import (
	"errors"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit/jasm"
)

// callLoop calls a non-recursive function (no entry poll) from a loop that
// keeps four locals live: one poll per iteration, at the back-edge.
const callLoop = `func mix 3
 arg 0
 arg 1
 push 3
 mul
 sub
 arg 2
 xor
 ret
end
func main 1
 locals 4
 arg 0
 store 0
loop:
 load 0
 jz done
 load 1
 load 2
 load 0
 call mix
 load 3
 add
 store 3
 load 0
 push 1
 sub
 store 0
 jmp loop
done:
 load 3
 ret
end
`

// recurse calls itself n deep: one poll per call, at the entry of a
// function on a call cycle.
const recurse = `func down 1
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
end
`

// TestPollBudget pins what Interrupt promises (docs/abi.md, Polls): with
// the interrupt word already set when the call starts, the code notices it
// at the pollBudget-th poll point, not before (the budget counts down in a
// register that jitcall sets) and not after. A clobbered or unset budget
// register shows here as a call that finishes (it never polls) or stops
// at once.
func TestPollBudget(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	for _, tc := range []struct {
		name, src string
		polls     func(n int64) int64 // poll points a call with argument n passes
	}{
		{"loop", longSum, func(n int64) int64 { return n }},
		{"registers across the poll", yieldLoop(12), func(n int64) int64 { return n }},
		{"loop around a call", callLoop, func(n int64) int64 { return n }},
		{"recursion", recurse, func(n int64) int64 { return n + 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog, err := rt.Load(mustParse(t, tc.src))
			require.NoError(t, err)
			f := prog.Entry()
			stopped := uint64(1)
			first := int64(-1)
			for n := int64(1); n < 3*pollBudget; n++ {
				_, err := rawCall(&rt.stacks, f.entry, prog.block.RX, &stopped, f, []int64{n})
				if errors.Is(err, jasm.ErrInterrupted) {
					first = n
					break
				}
				require.NoError(t, err)
			}
			require.Positive(t, first, "never interrupted in %d poll points", tc.polls(3*pollBudget))
			assert.Equal(t, int64(pollBudget), tc.polls(first), "the first interrupted call passes %d poll points", tc.polls(first))
		})
	}
}

// TestInterruptAndCloseDuringAYield interrupts, and closes, a call while it
// is parked in a yield. With one P the test goroutine runs only while the
// call has yielded to the scheduler (its code cannot be preempted; the
// runtime's monitor asks it to stop after about 10 ms and the poll's slow
// path yields), so whatever it does then happens during the yield. The call
// resumes through jitresume, which must set the budget again for the
// interrupt to be seen.
func TestInterruptAndCloseDuringAYield(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rt := newTestRuntime(t, Options{})
	for _, closeIt := range []bool{false, true} {
		prog, err := rt.Load(mustParse(t, longSum))
		require.NoError(t, err)
		f := prog.Func("main")
		c, err := f.NewCaller()
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { _, err := c.Call(endless); done <- err }()
		waitInside(t, rt, 1)
		if closeIt {
			require.NoError(t, prog.Close())
		} else {
			f.Interrupt()
		}
		select {
		case err = <-done:
		case <-time.After(30 * time.Second):
			// The call runs on in machine code that nothing can stop:
			// end the process rather than hang in cleanup.
			panic("BUG: the call resumed after a yield never saw the interrupt (is the poll budget set by jitresume?)")
		}
		assert.ErrorIs(t, err, jasm.ErrInterrupted, "close %v", closeIt)
		assert.Equal(t, closeIt, errors.Is(err, ErrClosed), "close %v: %v", closeIt, err)
		assert.NotZero(t, c.c.resumePC, "the call never yielded")
		assert.Zero(t, inside(rt), "a mark left behind")
		c.Close()
	}
}

// TestInterruptDuringCloseEndToEnd runs the race
// TestInterruptDuringCloseKeepsTheWordStopped acts out: a call that passed
// its closed check before Close began, and loads its interrupt word after
// an Interrupt during Close swapped in a fresh one, must still be stopped,
// and Close must return.
func TestInterruptDuringCloseEndToEnd(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	prog, err := rt.Load(mustParse(t, longSum))
	require.NoError(t, err)
	f := prog.Func("main")
	c, err := f.NewCaller()
	require.NoError(t, err)
	defer c.Close()
	// Caller.Call's steps, paused between the closed check and the word load.
	c.rd.enter(c.mark, c.id)
	require.False(t, c.closed.Load())
	closed := make(chan error, 1)
	go func() { closed <- prog.Close() }()
	for !prog.Closed() {
		runtime.Gosched()
	}
	f.Interrupt()
	done := make(chan int64, 1)
	go func() {
		intr := c.intr.Load()
		c.c.intr = uintptr(unsafe.Pointer(intr))
		args := []int64{endless}
		jitcall(&c.c, unsafe.SliceData(args))
		for c.c.exit == exitYield {
			resume(&c.c)
		}
		runtime.KeepAlive(intr)
		done <- c.c.exit
	}()
	select {
	case e := <-done:
		assert.Equal(t, int64(exitInterrupted), e)
	case <-time.After(10 * time.Second):
		// Stop the call before failing, so that cleanup can close.
		f.stop(c.intr.Load())
		<-done
		t.Fatal("the call was not stopped: Close would wait for ever")
	}
	c.c.exit = exitOK
	leave(c.mark)
	require.NoError(t, <-closed)
}
