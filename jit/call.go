package jit

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"
)

// ErrUnsupported: this GOARCH cannot run the machine code syncore emits
// (compiling for amd64, ppc64le and arm64 works everywhere).
var ErrUnsupported = errors.New("jit: running machine code needs GOARCH amd64, ppc64le or arm64")

// neverInterrupt is the interrupt word of calls nobody can interrupt.
var neverInterrupt uint64

// rawCall runs the machine code at fn with args on a stack from pool and
// returns its result. intr is the interrupt word (nil: never interrupted);
// base is the program's code address. f, when not nil, is the function
// called: the call context is marked as inside its program (see
// reclaim.go), then the program's closed flag is loaded (a closed program
// is never entered), and an exit other than exitOK becomes f's runtime
// error (Func.exitErr) before the mark is left: while the mark is held, no
// program the call can have reached is reclaimed, so the fault PC still
// lies in the program whose position the error names, not in a later one
// that reuses its block. With f nil (the coherence probe), such an exit is
// an error with its exit code.
func rawCall(pool *stackPool, fn, base uintptr, intr *uint64, f *Func, args []int64) (int64, error) {
	if !canExecute {
		return 0, ErrUnsupported
	}
	if len(args) > 8 {
		return 0, fmt.Errorf("jit: %d arguments, at most 8", len(args))
	}
	st, err := pool.get()
	if err != nil {
		return 0, err
	}
	if intr == nil {
		intr = &neverInterrupt
	}
	var id uint64
	if f != nil {
		id = f.prog.id
	}
	pool.rd.enter(st.mark, id)
	if f != nil && f.prog.closed.Load() {
		leave(st.mark)
		pool.put(st)
		return 0, fmt.Errorf("call %s: %w", f.name, ErrClosed)
	}
	// Set field by field: a composite literal is built in a temporary and
	// copied with 16-byte moves that stall on the 8-byte stores just made
	// (store forwarding fails), which cost about 10 ns a call here.
	var c callCtx
	c.stackLimit, c.stackTop, c.base = st.limit, st.top, base
	c.intr = uintptr(unsafe.Pointer(intr))
	c.fn, c.nargs = fn, int64(len(args))
	jitcall(&c, unsafe.SliceData(args))
	if c.exit == exitYield {
		resume(&c) // parked in a yield: still inside, the mark stays
	}
	runtime.KeepAlive(intr) // c.intr is only its address
	if c.exit != exitOK {
		if f != nil {
			err = f.exitErr(c.exit, c.faultPC) // inside still: see above
		} else {
			err = fmt.Errorf("machine code exited with code %d", c.exit)
		}
	}
	leave(st.mark)
	runtime.KeepAlive(st)
	pool.put(st)
	if err != nil {
		return 0, err
	}
	return c.result, nil
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
