package jit_test

import (
	"fmt"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/ppc64"
	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/patch"
)

// assembleDispatch assembles, with codegen/ppc64, functions one and two
// (returning 1 and 2) and main, which calls one through a patchable bl
// named "op" and returns what it returns (saving LR around the call, in a
// frame of its own; R0 stays 0, as Go's ABI requires).
func assembleDispatch() (*codegen.Blob, []jit.Entry, error) {
	a := ppc64.New()
	one, two, main := a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.Bind(one)
	a.Li(ppc64.R3, 1)
	a.Blr()
	a.Bind(two)
	a.Li(ppc64.R3, 2)
	a.Blr()
	a.Bind(main)
	a.Mflr(ppc64.R12)
	a.Addi(ppc64.R1, ppc64.R1, -32)
	a.Std(ppc64.R12, ppc64.R1, 16)
	a.CallSite("op", one) // bl one: a patch-class word
	a.Ld(ppc64.R12, ppc64.R1, 16)
	a.Addi(ppc64.R1, ppc64.R1, 32)
	a.Mtlr(ppc64.R12)
	a.Blr()
	blob, err := a.Finish()
	if err != nil {
		return nil, nil, err
	}
	return blob, []jit.Entry{
		{Name: "one", Offset: blob.Offset(one)},
		{Name: "two", Offset: blob.Offset(two)},
		{Name: "main", Offset: blob.Offset(main)},
	}, nil
}

// A VM with a compiler of its own assembles with codegen/ppc64, loads the
// code, calls it, and retargets its call site with package patch.
func ExampleRuntime_LoadAsm() {
	rt, err := jit.New(jit.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()
	blob, entries, err := assembleDispatch()
	if err != nil {
		fmt.Println(err)
		return
	}
	prog, err := rt.LoadAsm("dispatch", blob, entries)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := prog.Func("main").Call()
	fmt.Println(v, err)

	p, _ := patch.New(rt, patch.Options{})
	op, _ := p.Site(prog, "op")
	fmt.Println(op.Kind(), op.Protocol())
	if err := op.RetargetFunc(prog.Func("two")); err != nil {
		fmt.Println(err)
		return
	}
	v, err = prog.Func("main").Call()
	fmt.Println(v, err)
	// Output:
	// 1 <nil>
	// call patchclass
	// 2 <nil>
}
