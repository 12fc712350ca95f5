package jasm_test

import (
	"context"
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
	fmt.Println(err, err == jasm.ErrDivisionByZero)
	// Output:
	// division by zero true
}
