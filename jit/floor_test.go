package jit

import (
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/amd64"
	"github.com/syncore/syncore/codegen/arm64"
	"github.com/syncore/syncore/codegen/ppc64"
	"github.com/syncore/syncore/jit/jasm"
)

// loadFloorStubs loads two stubs into rt's code heap for jitfloor: id
// returns its first argument (amd64: mov rax,rdi; ret — ppc64le: blr, R3 is
// both argument and result — arm64: ret, X0 likewise), sp returns its stack
// pointer at entry (amd64: mov rax,rsp; ret, the top of the stack less the
// return address — ppc64le: mr r3,r1; blr — arm64: mov x0,sp; ret).
func loadFloorStubs(t testing.TB, rt *Runtime) (id, sp *Func) {
	t.Helper()
	var blob *codegen.Blob
	var err error
	var idAt, spAt codegen.Label
	switch rt.Info().Arch {
	case ArchAMD64:
		a := amd64.New()
		idAt, spAt = a.NewLabel(), a.NewLabel()
		a.Bind(idAt)
		a.MovRR(amd64.RAX, amd64.RDI)
		a.Ret()
		a.Bind(spAt)
		a.MovRR(amd64.RAX, amd64.RSP)
		a.Ret()
		blob, err = a.Finish()
	case ArchPPC64LE:
		a := ppc64.New()
		idAt, spAt = a.NewLabel(), a.NewLabel()
		a.Bind(idAt)
		a.Blr()
		a.Bind(spAt)
		a.Mr(ppc64.R3, ppc64.R1)
		a.Blr()
		blob, err = a.Finish()
	case ArchARM64:
		a := arm64.New()
		idAt, spAt = a.NewLabel(), a.NewLabel()
		a.Bind(idAt)
		a.Ret()
		a.Bind(spAt)
		a.MovRR(arm64.R0, arm64.SP)
		a.Ret()
		blob, err = a.Finish()
	default:
		t.Fatalf("no stubs for %s", rt.Info().Arch)
	}
	if err != nil {
		t.Fatal(err)
	}
	p, err := rt.LoadAsm("floor", blob, []Entry{
		{Name: "id", Offset: blob.Offset(idAt), Params: 1},
		{Name: "sp", Offset: blob.Offset(spAt)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p.Func("id"), p.Func("sp")
}

// TestCallFloor: jitfloor runs the stub it is given, on the stack it is
// given, and comes back to Go with the stub's result.
func TestCallFloor(t *testing.T) {
	if !canExecute {
		t.Skip(ErrUnsupported)
	}
	rt := newTestRuntime(t, Options{})
	id, sp := loadFloorStubs(t, rt)
	st, err := rt.stacks.get()
	if err != nil {
		t.Fatal(err)
	}
	defer rt.stacks.put(st)
	for _, x := range []int64{0, 1, -1, 1 << 62, -1 << 63} {
		if got := jitfloor(id.Addr(), st.top, x); got != x {
			t.Errorf("jitfloor(id, %d) = %d", x, got)
		}
	}
	want := st.top // ppc64le: R1 as the caller left it
	if runtime.GOARCH == "amd64" {
		want -= 8 // the return address that CALL pushed
	}
	if got := uintptr(jitfloor(sp.Addr(), st.top, 0)); got != want {
		t.Errorf("the stub ran with SP %#x, want %#x (the top of the JIT stack %#x)", got, want, st.top)
	}
}

// callerExits: a function that divides (so that a call can fault) and
// sum.jasm's loop (so that a call can yield, or spin until interrupted).
const callerExits = `func main 0
    push 0
    ret
end
func div 2
    arg 0
    arg 1
    div
    ret
end
func sum 1
    locals 2
    arg 0
    store 0
loop:
    load 0
    push 0
    le
    jnz done
    load 1
    load 0
    add
    store 1
    load 0
    push 1
    sub
    store 0
    jmp loop
done:
    load 1
    ret
end
`

// TestCallerAfterEveryExit: Caller.Call's common path does not clear
// callCtx.exit before a call (its slow path resets it after any other
// exit), loads the arguments straight from the caller's slice and takes the
// interrupt word's address afresh each call. So after every kind of exit —
// a runtime error, a refused call, yields, an interrupt — the next call
// must return the right value, and no call may leave its entry mark behind.
func TestCallerAfterEveryExit(t *testing.T) {
	if !canExecute {
		t.Skip(ErrUnsupported)
	}
	rt := newTestRuntime(t, Options{})
	p, err := jasm.Parse("exits.jasm", []byte(callerExits))
	if err != nil {
		t.Fatal(err)
	}
	prog, err := rt.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want := func(c *Caller, args []int64, v int64) {
		t.Helper()
		if got, err := c.Call(args...); got != v || err != nil {
			t.Fatalf("Call%v = %d, %v; want %d", args, got, err, v)
		}
		if n := inside(rt); n != 0 {
			t.Fatalf("after Call%v, %d context(s) still marked inside", args, n)
		}
	}
	fail := func(c *Caller, args []int64, target error, text string) {
		t.Helper()
		got, err := c.Call(args...)
		if got != 0 || err == nil || target != nil && !errors.Is(err, target) || !strings.Contains(err.Error(), text) {
			t.Fatalf("Call%v = %d, %v; want an error (%v %q)", args, got, err, target, text)
		}
		if n := inside(rt); n != 0 {
			t.Fatalf("after Call%v, %d context(s) still marked inside", args, n)
		}
	}

	div, err := prog.Func("div").NewCaller()
	if err != nil {
		t.Fatal(err)
	}
	want(div, []int64{7, 2}, 3)
	fail(div, []int64{1, 0}, jasm.ErrDivisionByZero, "")
	want(div, []int64{9, 3}, 3)
	fail(div, []int64{1}, jasm.ErrArity, "")
	fail(div, []int64{1, 2, 3}, jasm.ErrArity, "")
	want(div, []int64{-8, 2}, -4)

	// Yields: a GC keeps asking the goroutine to stop while sum loops.
	sum, err := prog.Func("sum").NewCaller()
	if err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		for !stop.Load() {
			runtime.GC()
		}
	}()
	const n = 3_000_000
	for try := 0; sum.c.resumePC == 0; try++ {
		if try == 200 {
			t.Fatal("no call yielded in 200 tries while a GC loop ran")
		}
		want(sum, []int64{n}, n*(n+1)/2)
	}
	stop.Store(true)
	<-gcDone
	want(sum, []int64{100}, 5050)

	// An interrupt, then a call that must run with a fresh word.
	done := make(chan error, 1)
	go func() { _, err := sum.Call(endless); done <- err }()
	waitInside(t, rt, 1)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
interrupt:
	for {
		prog.Func("sum").Interrupt()
		select {
		case err := <-done:
			if !errors.Is(err, jasm.ErrInterrupted) {
				t.Fatalf("interrupted call: %v", err)
			}
			break interrupt
		case <-tick.C:
		}
	}
	want(sum, []int64{100}, 5050)
	// Past the poll budget, so that the word is read: a call after an
	// interrupt runs with a fresh word, not the interrupted one.
	want(sum, []int64{4 * pollBudget}, 4*pollBudget*(4*pollBudget+1)/2)
	want(div, []int64{1, 1}, 1)

	// A closed Caller refuses every call, whatever the argument count; a
	// closed program is refused (and leaves its mark) too.
	sum.Close()
	fail(sum, []int64{1}, nil, "the Caller is closed")
	fail(sum, nil, nil, "the Caller is closed")
	if err := prog.Close(); err != nil {
		t.Fatal(err)
	}
	fail(div, []int64{1, 1}, ErrClosed, "")
	div.Close()
}
