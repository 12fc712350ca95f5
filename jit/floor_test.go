package jit

import (
	"runtime"
	"testing"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/amd64"
	"github.com/syncore/syncore/codegen/ppc64"
)

// loadFloorStubs loads two stubs into rt's code heap for jitfloor: id
// returns its first argument (amd64: mov rax,rdi; ret — ppc64le: blr, R3 is
// both argument and result), sp returns its stack pointer at entry (amd64:
// mov rax,rsp; ret, the top of the stack less the return address —
// ppc64le: mr r3,r1; blr).
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
