package jit

import (
	"errors"
	"fmt"
	"runtime"
)

// ErrUnsupported: this GOARCH cannot run the machine code syncore emits
// (compiling for amd64 and ppc64le works everywhere).
var ErrUnsupported = errors.New("jit: running machine code needs GOARCH amd64 or ppc64le")

// neverInterrupt is the interrupt word of calls nobody can interrupt.
var neverInterrupt uint64

// rawCall runs the machine code at fn with args on a stack from pool and
// returns the result register (for an exit other than exitOK, the fault PC
// instead: see callCtx.faultPC) and the exit code. intr is the interrupt word
// (nil: never interrupted); base is the program's code address; closed, when
// not nil, is the program entered: the call context is marked as inside it
// (see reclaim.go), then its closed flag is loaded: a closed program is
// never entered.
func rawCall(pool *stackPool, fn, base uintptr, intr *uint64, prog *Program, args []int64) (int64, int64, error) {
	if !canExecute {
		return 0, 0, ErrUnsupported
	}
	if len(args) > 8 {
		return 0, 0, fmt.Errorf("jit: %d arguments, at most 8", len(args))
	}
	st, err := pool.get()
	if err != nil {
		return 0, 0, err
	}
	if intr == nil {
		intr = &neverInterrupt
	}
	var id uint64
	if prog != nil {
		id = prog.id
	}
	pool.rd.enter(st.mark, id)
	if prog != nil && prog.closed.Load() {
		leave(st.mark)
		pool.put(st)
		return 0, 0, ErrClosed
	}
	c := callCtx{stackLimit: st.limit, stackTop: st.top, intr: intr, base: base}
	copy(c.args[:], args)
	jitcall(fn, &c)
	if c.exit == exitYield {
		resume(&c) // parked in a yield: still inside, the mark stays
	}
	leave(st.mark)
	runtime.KeepAlive(st)
	pool.put(st)
	if c.exit != exitOK {
		return int64(c.faultPC), c.exit, nil
	}
	return c.result, c.exit, nil
}

// resume continues a call that yielded (a preemption request) until it
// returns or exits: each time, Go gets a safe point and the code goes on
// where it stopped. Callers test for the yield themselves and call it only
// then: a call that cannot be inlined would cost about a nanosecond on
// every Go→JIT call (measured on Caller.Call).
func resume(c *callCtx) {
	for c.exit == exitYield {
		runtime.Gosched() // a safe point: let the GC or scheduler have its way
		jitresume(c)
	}
}
