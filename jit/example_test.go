package jit_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/jit/jasm"
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
	fmt.Println(errors.Is(err, jasm.ErrDivisionByZero))
	// Output:
	// division by zero in main at div.jasm:4:2
	// true
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

// A Caller is one goroutine's execution context (its own JIT stack): the
// cheapest way to call machine code in a loop.
func ExampleFunc_NewCaller() {
	rt, err := jit.New(jit.Options{})
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	prog, err := rt.Compile("square.jasm", []byte("func main 1\n arg 0\n arg 0\n mul\n ret\nend\n"))
	if err != nil {
		panic(err)
	}
	c, err := prog.Entry().NewCaller()
	if err != nil {
		panic(err)
	}
	defer c.Close()
	var sum int64
	for i := int64(1); i <= 100; i++ {
		v, err := c.Call(i)
		if err != nil {
			panic(err)
		}
		sum += v
	}
	fmt.Println(sum)
	// Output: 338350
}

// Machine code is not preemptible, so loops poll: a call stops with
// jasm.ErrInterrupted when its context is done.
func ExampleFunc_CallContext() {
	rt, err := jit.New(jit.Options{})
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	prog, err := rt.Compile("spin.jasm", []byte("func main 0\nloop:\n jmp loop\nend\n"))
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = prog.Entry().CallContext(ctx)
	fmt.Println(errors.Is(err, jasm.ErrInterrupted))
	// Output: true
}

// Close retires a program: new calls fail with ErrClosed, calls in flight
// are interrupted (or finish), and the code is freed only after a grace
// period, when no thread can be running it.
func ExampleProgram_Close() {
	rt, err := jit.New(jit.Options{})
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	prog, err := rt.Compile("spin.jasm", []byte("func main 0\nloop:\n jmp loop\nend\n"))
	if err != nil {
		panic(err)
	}
	done := make(chan error)
	go func() {
		_, err := prog.Entry().Call() // spins until Close interrupts it
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	fmt.Println("close:", prog.Close())
	fmt.Println("call in flight closed:", errors.Is(<-done, jit.ErrClosed))
	_, err = prog.Entry().Call()
	fmt.Println("new call closed:", errors.Is(err, jit.ErrClosed))
	// Output:
	// close: <nil>
	// call in flight closed: true
	// new call closed: true
}
