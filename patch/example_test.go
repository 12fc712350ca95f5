package patch_test

import (
	"errors"
	"fmt"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/patch"
)

// Change a constant in compiled code. When SetConst returns, every thread that
// next reaches the site gets the new value; a thread that is at the site
// while it changes gets the old or the new one, never a mix.
func Example() {
	rt, err := jit.New(jit.Options{}) // registers SYNC_CORE once, at start-up
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	prog, err := rt.Compile("scale.jasm", []byte(`
func main 1
    arg 0
    pconst factor 3
    mul
    ret
end`))
	if err != nil {
		panic(err)
	}
	p, err := patch.New(rt, patch.Options{}) // the barrier: SYNC_CORE where the process has it
	if err != nil {
		panic(err)
	}
	factor, err := p.Site(prog, "factor")
	if err != nil {
		panic(err)
	}
	main := prog.Entry()
	v, _ := main.Call(14)
	fmt.Println(v)
	if err := factor.SetConst(10); err != nil {
		panic(err)
	}
	v, _ = main.Call(14)
	fmt.Println(v)
	// Output:
	// 42
	// 140
}

// A guard is a nop until it is armed, then a branch: deoptimisation.
func ExampleSite_Arm() {
	rt, err := jit.New(jit.Options{})
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	prog, err := rt.Compile("guard.jasm", []byte(`
func main 1
    guard slow slowpath
    arg 0
    push 1
    add
    ret
slowpath:
    push -1
    ret
end`))
	if err != nil {
		panic(err)
	}
	p, err := patch.New(rt, patch.Options{})
	if err != nil {
		panic(err)
	}
	slow, err := p.Site(prog, "slow")
	if err != nil {
		panic(err)
	}
	v, _ := prog.Entry().Call(41)
	fmt.Println("disarmed:", v)
	if err := slow.Arm(); err != nil {
		panic(err)
	}
	v, _ = prog.Entry().Call(41)
	fmt.Println("armed:", v)
	// Output:
	// disarmed: 42
	// armed: -1
}

// A Batch patches many sites with one barrier per protocol phase instead of
// one per site.
func ExampleBatch() {
	rt, err := jit.New(jit.Options{})
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	prog, err := rt.Compile("ic.jasm", []byte(`
func one 0
    push 1
    ret
end
func two 0
    push 2
    ret
end
func main 0
    pcall target one
    pconst k 10
    mul
    guard g negative
    ret
negative:
    neg
    ret
end`))
	if err != nil {
		panic(err)
	}
	p, err := patch.New(rt, patch.Options{})
	if err != nil {
		panic(err)
	}
	target, _ := p.Site(prog, "target")
	k, _ := p.Site(prog, "k")
	g, _ := p.Site(prog, "g")
	two, _ := prog.Jasm().Func("two")

	v, _ := prog.Entry().Call()
	fmt.Println("before:", v)
	before := p.Barriers()
	err = p.Batch().Retarget(target, two).SetConst(k, 100).Arm(g).Commit()
	v, _ = prog.Entry().Call()
	fmt.Println("after:", v, err)
	fmt.Println("barriers:", p.Barriers()-before)
	// Output:
	// before: 10
	// after: -200 <nil>
	// barriers: 1
}

// Tiering: retarget a live call site to a freshly compiled tier of its own
// program, then close the tier it replaced. A tier that a site still calls
// cannot be closed.
func ExampleSite_RetargetFunc() {
	rt, err := jit.New(jit.Options{})
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	compile := func(name, src string) *jit.Program {
		prog, err := rt.Compile(name, []byte(src))
		if err != nil {
			panic(err)
		}
		return prog
	}
	driver := compile("driver.jasm", `
func main 1
    arg 0
    pcall hot stub
    ret
end
func stub 1
    push 0
    ret
end`)
	// Two tiers of 1 + 2 + ... + n: a loop, and the closed form.
	tier1 := compile("tier1.jasm", `
func main 1
    locals 2        ; 0: i, 1: sum
    arg 0
    store 0
loop:
    load 0
    jz done
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
end`)
	tier2 := compile("tier2.jasm", `
func main 1
    arg 0
    arg 0
    push 1
    add
    mul
    push 2
    div
    ret
end`)

	p, err := patch.New(rt, patch.Options{})
	if err != nil {
		panic(err)
	}
	hot, err := p.Site(driver, "hot")
	if err != nil {
		panic(err)
	}
	if err := hot.RetargetFunc(tier1.Entry()); err != nil {
		panic(err)
	}
	v, _ := driver.Entry().Call(100)
	fmt.Println("tier 1:", v)

	if err := hot.RetargetFunc(tier2.Entry()); err != nil {
		panic(err)
	}
	v, _ = driver.Entry().Call(100)
	fmt.Println("tier 2:", v)
	fmt.Println("close tier 1:", tier1.Close())
	fmt.Println("close tier 2 in use:", errors.Is(tier2.Close(), jit.ErrInUse))
	// Output:
	// tier 1: 5050
	// tier 2: 5050
	// close tier 1: <nil>
	// close tier 2 in use: true
}
