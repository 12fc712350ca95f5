// Command icount loads a jasm program, calls its main function once with
// the given arguments and prints, on standard error, the executable address
// range of the program's code block and the result:
//
//	RANGE 0x7f0000 0x7f0148 result 111 <nil>
//
// icount.sh runs it for ppc64le under qemu-user with one instruction per
// translation block and counts the traced instructions inside that range:
// how many instructions the compiled code executes (emulated). It uses only
// jit and jasm APIs that have existed since the first register-allocating
// lowering's parent commit, so the same file builds in an older tree.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/jit/jasm"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: icount FILE [ARG...]")
		os.Exit(2)
	}
	src, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	var args []int64
	for _, a := range os.Args[2:] {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			fail(err)
		}
		args = append(args, n)
	}
	p, err := jasm.Parse(os.Args[1], src)
	if err != nil {
		fail(err)
	}
	rt, err := jit.New(jit.Options{})
	if err != nil {
		fail(err)
	}
	prog, err := rt.Load(p)
	if err != nil {
		fail(err)
	}
	blk := prog.Block()
	r, err := prog.Func("main").Call(args...)
	fmt.Fprintf(os.Stderr, "RANGE %#x %#x result %d %v\n", blk.RX, blk.RX+uintptr(len(blk.RW)), r, err)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "icount:", err)
	os.Exit(1)
}
