package jit_test

import (
	"fmt"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/amd64"
	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/patch"
)

// assembleDispatch assembles, with codegen/amd64, functions one and two
// (returning 1 and 2) and main, which calls one through a patchable call
// slot named "op" and returns what it returns.
func assembleDispatch() (*codegen.Blob, []jit.Entry, error) {
	a := amd64.New()
	one, two, main := a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.Bind(one)
	a.MovRI(amd64.RAX, 1)
	a.Ret()
	a.Bind(two)
	a.MovRI(amd64.RAX, 2)
	a.Ret()
	a.Bind(main)
	a.CallSite("op", one) // call one, in an aligned qword: patch retargets it atomically
	a.Ret()
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

// A VM with a compiler of its own assembles with codegen/amd64, loads the
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
	// call atomic
	// 2 <nil>
}
