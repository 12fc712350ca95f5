package jit

import (
	"fmt"
	"sync/atomic"
)

// Caller calls one function from one goroutine at a time, on a JIT stack of
// its own: the cheapest way to call machine code in a loop (no stack pool
// and no call context to set up per call), as a VM's per-thread execution
// context would. Results and errors are those of Func.Call. A Caller is not
// safe for concurrent use; give each goroutine its own. Close returns its
// stack to the runtime.
type Caller struct {
	f      *Func
	st     *jitStack
	mark   *uint64      // st's entry mark
	rd     *readers     // the runtime's marks and phase
	closed *atomic.Bool // the program's closed flag
	id     uint64       // the program's id (its calls' marks carry it)
	c      callCtx      // reused; machine code reads it through the context register
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
	c := &Caller{f: f, st: st, mark: st.mark, rd: &f.prog.rt.readers, closed: &f.prog.closed, id: f.prog.id}
	c.c = callCtx{stackLimit: st.limit, stackTop: st.top, base: f.prog.block.RX}
	return c, nil
}

// Call runs the function with args; see Func.Call.
func (c *Caller) Call(args ...int64) (int64, error) {
	f := c.f
	if c.st == nil {
		return 0, fmt.Errorf("jit: call %s: the Caller is closed", f.name)
	}
	if len(args) != f.params {
		return 0, f.arityErr(len(args))
	}
	// Mark the context as inside before loading closed: a Close that
	// begins after this store sees the mark (reclaim.go).
	c.rd.enter(c.mark, c.id)
	if c.closed.Load() {
		leave(c.mark)
		return 0, fmt.Errorf("call %s: %w", f.name, ErrClosed)
	}
	c.c.intr = f.intr.Load()
	copy(c.c.args[:], args)
	c.c.exit = exitOK
	jitcall(f.entry, &c.c)
	if c.c.exit == exitYield {
		resume(&c.c) // parked in a yield: still inside, the mark stays
	}
	if c.c.exit != exitOK {
		// The error is resolved while the mark is held: see rawCall.
		err := f.exitErr(c.c.exit, c.c.faultPC)
		leave(c.mark)
		return 0, err
	}
	leave(c.mark)
	return c.c.result, nil
}

// Close returns the Caller's stack to the runtime; Call fails afterwards.
func (c *Caller) Close() {
	if c.st != nil {
		c.f.prog.rt.stacks.put(c.st)
		c.st = nil
	}
}
