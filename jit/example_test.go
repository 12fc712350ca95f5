package jit_test

import (
	"fmt"

	"github.com/syncore/syncore/jit"
)

// Compile a jasm program and call a function from Go.
func ExampleRuntime_Compile() {
	rt, err := jit.New(jit.Options{})
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	prog, err := rt.Compile("fib.jasm", []byte(`
func fib 1
    arg 0
    push 2
    lt
    jz recurse
    arg 0
    ret
recurse:
    arg 0
    push 1
    sub
    call fib
    arg 0
    push 2
    sub
    call fib
    add
    ret
end
func main 1
    arg 0
    call fib
    ret
end
`))
	if err != nil {
		panic(err)
	}
	v, err := prog.Func("main").Call(30)
	fmt.Println(v, err)
	// Output: 832040 <nil>
}

// Runtime errors are the interpreter's, compared with errors.Is.
func ExampleFunc_Call_divisionByZero() {
	rt, _ := jit.New(jit.Options{})
	defer rt.Close()
	prog, _ := rt.Compile("div.jasm", []byte("func main 2\n arg 0\n arg 1\n div\n ret\nend\n"))
	_, err := prog.Entry().Call(1, 0)
	fmt.Println(err)
	// Output: division by zero
}

// Compile for either ISA on any host and print the listing.
func ExampleCompile() {
	rt, _ := jit.New(jit.Options{})
	defer rt.Close()
	prog, _ := rt.Compile("one.jasm", []byte("func main 0\n push 1\n ret\nend\n"))
	code, err := jit.Compile(prog.Jasm(), jit.CompileOptions{Arch: jit.ArchPPC64LE})
	fmt.Println(len(code.Blob.Code) > 0, err)
	// Output: true <nil>
}
