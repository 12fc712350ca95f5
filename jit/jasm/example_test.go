package jasm_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/syncore/syncore/jit/jasm"
)

func Example() {
	src := []byte(`
func main 1
    arg 0
    pconst k 3
    mul
    ret
end`)
	p, err := jasm.Parse("triple.jasm", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	it, err := jasm.NewInterp(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := it.Run(context.Background(), 14)
	fmt.Println(v, err)

	k, _ := p.Site("k")
	_ = it.SetConst(k, 10) // patch the constant
	v, err = it.Run(context.Background(), 14)
	fmt.Println(v, err)
	// Output:
	// 42 <nil>
	// 140 <nil>
}

func ExampleParse_error() {
	_, err := jasm.Parse("bad.jasm", []byte("func main 0\n    push 1\n    jz\n    ret\nend\n"))
	fmt.Println(err)
	// Output:
	// bad.jasm:3:5: expected a label after jz
}

func ExampleInterp_Call_runtimeError() {
	p, _ := jasm.Parse("div.jasm", []byte("func main 2\n arg 0\n arg 1\n div\n ret\nend\n"))
	it, _ := jasm.NewInterp(p)
	_, err := it.Call(context.Background(), 0, 1, 0)
	fmt.Println(err)
	fmt.Println(errors.Is(err, jasm.ErrDivisionByZero))
	// Output:
	// division by zero in main at div.jasm:4:2
	// true
}

// A guard falls through until it is armed, then jumps to its label: how a
// runtime invalidates specialised code. The interpreter holds the live state
// of every site, as the patcher does for compiled code.
func ExampleInterp_Arm() {
	p, err := jasm.Parse("guard.jasm", []byte(`
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
	it, err := jasm.NewInterp(p)
	if err != nil {
		panic(err)
	}
	slow, _ := p.Site("slow")
	v, _ := it.Run(context.Background(), 41)
	fmt.Println("disarmed:", v)
	_ = it.Arm(slow)
	v, _ = it.Run(context.Background(), 41)
	fmt.Println("armed:", v)
	// Output:
	// disarmed: 42
	// armed: -1
}

// Format prints a program back as jasm text; parsing it gives an equal
// program.
func ExampleFormat() {
	p, err := jasm.Parse("abs.jasm", []byte("func main 1\n arg 0\n dup\n push 0\n ge\n jnz done\n neg\ndone: ret\nend\n"))
	if err != nil {
		panic(err)
	}
	text := jasm.Format(p)
	fmt.Print(text)
	q, err := jasm.Parse("abs2.jasm", []byte(text))
	fmt.Println(jasm.Equal(p, q), err)
	// Output:
	// func main 1
	//     arg 0
	//     dup
	//     push 0
	//     ge
	//     jnz L6
	//     neg
	// L6:
	//     ret
	// end
	// true <nil>
}
