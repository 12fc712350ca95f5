package jit

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Caller calls one function from one goroutine at a time, on a JIT stack of
// its own: the cheapest way to call machine code in a loop (no stack pool
// and no call context to set up per call), as a VM's per-thread execution
// context would. Results and errors are those of Func.Call. A Caller is not
// safe for concurrent use; give each goroutine its own. Close returns its
// stack to the runtime.
type Caller struct {
	// What every call reads, together. The call context is set up once
	// (stack, code base, entry, argument count) and reused: machine code
	// reads it through the context register. c.nargs is f's parameter
	// count, and -1 once closed, so that one test refuses both.
	c      callCtx
	mark   *uint64                 // st's entry mark
	rd     *readers                // the runtime's marks and phase
	closed *atomic.Bool            // the program's closed flag
	intr   *atomic.Pointer[uint64] // f's interrupt word (Func.Interrupt replaces it)
	id     uint64                  // the program's id (its calls' marks carry it)

	f  *Func
	st *jitStack
}

// NewCaller returns a Caller for f.
func (f *Func) NewCaller() (*Caller, error) {
	if !canExecute {
		return nil, ErrUnsupported
	}
	if f.prog.closed.Load() {
		return nil, fmt.Errorf("caller for %s: %w", f.name, ErrClosed)
	}
	st, err := f.prog.rt.stacks.get()
	if err != nil {
		return nil, err
	}
	c := &Caller{f: f, st: st, mark: st.mark, rd: &f.prog.rt.readers, closed: &f.prog.closed, intr: &f.intr, id: f.prog.id}
	c.c = callCtx{stackLimit: st.limit, stackTop: st.top, base: f.prog.block.RX, fn: f.entry, nargs: int64(f.params)}
	return c, nil
}

// Call runs the function with args; see Func.Call.
//
// The common path is kept short (BenchmarkCall/jit-caller against
// BenchmarkCallFloor and BenchmarkCallFloorInGo): one test for both a closed Caller and a
// wrong argument count, the entry mark and the closed flag (reclaim.go),
// the interrupt word's address, jitcall (which loads the arguments
// straight from args), one test of the exit code, the mark cleared. Yields,
// runtime errors and refusals take the out-of-line paths below. c.c.exit
// is exitOK on entry: exited resets it.
func (c *Caller) Call(args ...int64) (int64, error) {
	if int64(len(args)) != c.c.nargs {
		return 0, c.refused(len(args))
	}
	// Mark the context as inside before loading closed: a Close that
	// begins after this store sees the mark (reclaim.go).
	c.rd.enter(c.mark, c.id)
	if c.closed.Load() {
		return 0, c.closedErr()
	}
	// The context holds the word's address only (a uintptr: no write
	// barrier); intr keeps the word alive until the call is over, even if
	// Func.Interrupt has replaced it meanwhile.
	intr := c.intr.Load()
	c.c.intr = uintptr(unsafe.Pointer(intr))
	jitcall(&c.c, unsafe.SliceData(args))
	if c.c.exit != exitOK {
		return c.exited(intr)
	}
	leave(c.mark)
	runtime.KeepAlive(intr)
	return c.c.result, nil
}

// refused is the error of a call that Call refuses before entering: the
// Caller is closed, or n arguments is the wrong count.
//
//go:noinline
func (c *Caller) refused(n int) error {
	if c.st == nil {
		return fmt.Errorf("jit: call %s: the Caller is closed", c.f.name)
	}
	return c.f.arityErr(n)
}

// closedErr leaves the mark of a call that found its program closed and
// returns the error.
//
//go:noinline
func (c *Caller) closedErr() error {
	leave(c.mark)
	return fmt.Errorf("call %s: %w", c.f.name, ErrClosed)
}

// exited finishes a call whose code did not return normally (c.c.exit is
// not exitOK): a yield is continued until the code returns or exits, and a
// runtime error is resolved while the mark is still held (see rawCall).
// intr is the call's interrupt word, kept alive here. It resets c.c.exit to
// exitOK for the next call.
//
//go:noinline
func (c *Caller) exited(intr *uint64) (int64, error) {
	if c.c.exit == exitYield {
		resume(&c.c) // parked in a yield: still inside, the mark stays
	}
	runtime.KeepAlive(intr)
	exit := c.c.exit
	c.c.exit = exitOK
	if exit == exitOK {
		leave(c.mark)
		return c.c.result, nil
	}
	err := c.f.exitErr(exit, c.c.faultPC)
	leave(c.mark)
	return 0, err
}

// Close returns the Caller's stack to the runtime; Call fails afterwards.
func (c *Caller) Close() {
	if c.st != nil {
		c.f.prog.rt.stacks.put(c.st)
		c.st = nil
		c.c.nargs = -1
	}
}
