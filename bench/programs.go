package bench

import (
	"fmt"
	"strings"
)

// Workload is one algorithm written for each runtime compared: jasm source
// for syncore, Wasm functions for wazero (the exported "main" is the entry
// point in both) and a reference result.
type Workload struct {
	Name string
	Jasm string
	Wasm []WasmFunc
	Arg  int64
	Want int64
	Ops  int // jasm instructions in the program
}

// FibJasm is examples/fib.jasm without its comments (TestJasmMatchesExamples checks it): tree-recursive fib.
const FibJasm = `func fib 1
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
`

// SumJasm is examples/sum.jasm without its comments (checked likewise): 1 + … + n by a loop.
const SumJasm = `func main 1
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

// IdentityJasm is the trivial function of the call-overhead benchmark.
const IdentityJasm = "func main 1\n    arg 0\n    ret\nend\n"

// Fib is fib(n) with the same recursion in every form.
func Fib(n int64) Workload {
	fib := wasmCode(nil).
		get(0).i64(2).op(opI64LtS).
		op(opIf, typeI64).
		get(0).
		op(opElse).
		get(0).i64(1).op(opI64Sub).call(0).
		get(0).i64(2).op(opI64Sub).call(0).
		op(opI64Add).
		op(opEnd)
	main := wasmCode(nil).get(0).call(0)
	return Workload{
		Name: "fib",
		Jasm: FibJasm,
		Wasm: []WasmFunc{{Params: 1, Body: fib}, {Params: 1, Body: main, Export: "main"}},
		Arg:  n,
		Want: GoFib(n),
		Ops:  countOps(FibJasm),
	}
}

// Sum is 1 + … + n with a counting-down loop in every form.
func Sum(n int64) Workload {
	// local 0 is the parameter i, local 1 the sum.
	body := wasmCode(nil).
		op(opBlock, blockVoid).
		op(opLoop, blockVoid).
		get(0).i64(0).op(opI64LeS).br(opBrIf, 1).
		get(1).get(0).op(opI64Add).set(1).
		get(0).i64(1).op(opI64Sub).set(0).
		br(opBr, 0).
		op(opEnd).
		op(opEnd).
		get(1)
	return Workload{
		Name: "sum",
		Jasm: SumJasm,
		Wasm: []WasmFunc{{Params: 1, Locals: 1, Body: body, Export: "main"}},
		Arg:  n,
		Want: GoSum(n),
		Ops:  countOps(SumJasm),
	}
}

// GcdSumJasm sums gcd(i, 360360) for i = n … 1, with examples/gcd.jasm's
// recursive gcd (for positive operands): a call and a division per step.
const GcdSumJasm = `func gcd 2
    arg 1
    jz done
    arg 1
    arg 0
    arg 1
    rem
    call gcd
    ret
done:
    arg 0
    ret
end
func main 1
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
    push 360360
    call gcd
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

// GcdSum is Σ gcd(i, 360360) for i = 1 … n in every form.
func GcdSum(n int64) Workload {
	gcd := wasmCode(nil).
		get(1).op(opI64Eqz).
		op(opIf, typeI64).
		get(0).
		op(opElse).
		get(1).get(0).get(1).op(opI64RemS).call(0).
		op(opEnd)
	// local 0 is i, local 1 the sum.
	main := wasmCode(nil).
		op(opBlock, blockVoid).
		op(opLoop, blockVoid).
		get(0).i64(0).op(opI64LeS).br(opBrIf, 1).
		get(1).get(0).i64(360360).call(0).op(opI64Add).set(1).
		get(0).i64(1).op(opI64Sub).set(0).
		br(opBr, 0).
		op(opEnd).
		op(opEnd).
		get(1)
	return Workload{
		Name: "gcdsum",
		Jasm: GcdSumJasm,
		Wasm: []WasmFunc{{Params: 2, Body: gcd}, {Params: 1, Locals: 1, Body: main, Export: "main"}},
		Arg:  n,
		Want: GoGcdSum(n),
		Ops:  countOps(GcdSumJasm),
	}
}

// CollatzSumJasm counts the Collatz steps of every start value n … 1 with
// examples/collatz.jasm's loop nested in another: branches, and, shifts.
const CollatzSumJasm = `func main 1
    locals 3
    arg 0
    store 0
outer:
    load 0
    push 0
    le
    jnz done
    load 0
    store 1
inner:
    load 1
    push 1
    le
    jnz next
    load 1
    push 1
    and
    jnz odd
    load 1
    push 1
    sar
    store 1
    jmp step
odd:
    load 1
    push 3
    mul
    push 1
    add
    store 1
step:
    load 2
    push 1
    add
    store 2
    jmp inner
next:
    load 0
    push 1
    sub
    store 0
    jmp outer
done:
    load 2
    ret
end
`

// CollatzSum is the total number of Collatz steps from 1 … n in every form.
func CollatzSum(n int64) Workload {
	// local 0 is i, local 1 x, local 2 the steps.
	body := wasmCode(nil).
		op(opBlock, blockVoid).
		op(opLoop, blockVoid).
		get(0).i64(0).op(opI64LeS).br(opBrIf, 1).
		get(0).set(1).
		op(opBlock, blockVoid).
		op(opLoop, blockVoid).
		get(1).i64(1).op(opI64LeS).br(opBrIf, 1).
		get(1).i64(1).op(opI64And).op(opI64Eqz).
		op(opIf, blockVoid).
		get(1).i64(1).op(opI64ShrS).set(1).
		op(opElse).
		get(1).i64(3).op(opI64Mul).i64(1).op(opI64Add).set(1).
		op(opEnd).
		get(2).i64(1).op(opI64Add).set(2).
		br(opBr, 0).
		op(opEnd).
		op(opEnd).
		get(0).i64(1).op(opI64Sub).set(0).
		br(opBr, 0).
		op(opEnd).
		op(opEnd).
		get(2)
	return Workload{
		Name: "collatzsum",
		Jasm: CollatzSumJasm,
		Wasm: []WasmFunc{{Params: 1, Locals: 2, Body: body, Export: "main"}},
		Arg:  n,
		Want: GoCollatzSum(n),
		Ops:  countOps(CollatzSumJasm),
	}
}

// Straight is one function of 2n+2 instructions: x + 0 + 1 + … + (n-1),
// one push and one add per term.
func Straight(n int) Workload {
	var s strings.Builder
	s.WriteString("func main 1\n    arg 0\n")
	body := wasmCode(nil).get(0)
	for i := range n {
		fmt.Fprintf(&s, "    push %d\n    add\n", i)
		body = body.i64(int64(i)).op(opI64Add)
	}
	s.WriteString("    ret\nend\n")
	src := s.String()
	return Workload{
		Name: fmt.Sprintf("straight%d", 2*n+2),
		Jasm: src,
		Wasm: []WasmFunc{{Params: 1, Body: body, Export: "main"}},
		Arg:  1,
		Want: 1 + int64(n)*int64(n-1)/2,
		Ops:  countOps(src),
	}
}

// Chain is a program of n small functions f0 … f(n-1) and main:
// fk(x) = x + k + f(k+1)(x), the last one x + (n-1); main(x) = f0(x).
func Chain(n int) Workload {
	var s strings.Builder
	funcs := make([]WasmFunc, 0, n+1)
	for k := range n {
		fmt.Fprintf(&s, "func f%d 1\n    arg 0\n    push %d\n    add\n", k, k)
		body := wasmCode(nil).get(0).i64(int64(k)).op(opI64Add)
		if k < n-1 {
			fmt.Fprintf(&s, "    arg 0\n    call f%d\n    add\n", k+1)
			body = body.get(0).call(k + 1).op(opI64Add)
		}
		s.WriteString("    ret\nend\n")
		funcs = append(funcs, WasmFunc{Params: 1, Body: body})
	}
	s.WriteString("func main 1\n    arg 0\n    call f0\n    ret\nend\n")
	funcs = append(funcs, WasmFunc{Params: 1, Body: wasmCode(nil).get(0).call(0), Export: "main"})
	src := s.String()
	return Workload{
		Name: fmt.Sprintf("funcs%d", n),
		Jasm: src,
		Wasm: funcs,
		Arg:  1,
		Want: int64(n) + int64(n)*int64(n-1)/2,
		Ops:  countOps(src),
	}
}

// Identity is the trivial function main(x) = x.
func Identity() Workload {
	return Workload{
		Name: "identity",
		Jasm: IdentityJasm,
		Wasm: []WasmFunc{{Params: 1, Body: wasmCode(nil).get(0), Export: "main"}},
		Arg:  42,
		Want: 42,
		Ops:  countOps(IdentityJasm),
	}
}

// countOps counts the instruction lines of jasm source (not func, locals,
// end, labels or comments).
func countOps(src string) int {
	n := 0
	for _, line := range strings.Split(src, "\n") {
		if i := strings.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) > 0 && strings.HasSuffix(f[0], ":") {
			f = f[1:]
		}
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "func", "locals", "end", "entry":
			continue
		}
		n++
	}
	return n
}

// GoFib is fib in Go, never inlined.
//
//go:noinline
func GoFib(n int64) int64 {
	if n < 2 {
		return n
	}
	return GoFib(n-1) + GoFib(n-2)
}

// GoSum is the sum loop in Go, never inlined.
//
//go:noinline
func GoSum(n int64) int64 {
	var s int64
	for i := n; i > 0; i-- {
		s += i
	}
	return s
}

// GoIdentity is the trivial function in Go, never inlined.
//
//go:noinline
func GoIdentity(x int64) int64 { return x }

// GoGcd is the workloads' recursive gcd in Go, never inlined.
//
//go:noinline
func GoGcd(a, b int64) int64 {
	if b == 0 {
		return a
	}
	return GoGcd(b, a%b)
}

// GoGcdSum is Σ gcd(i, 360360) for i = 1 … n, never inlined.
//
//go:noinline
func GoGcdSum(n int64) int64 {
	var s int64
	for i := n; i > 0; i-- {
		s += GoGcd(i, 360360)
	}
	return s
}

// GoCollatzSum counts the Collatz steps from every start value 1 … n,
// never inlined.
//
//go:noinline
func GoCollatzSum(n int64) int64 {
	var steps int64
	for i := n; i > 0; i-- {
		for x := i; x > 1; steps++ {
			if x&1 == 0 {
				x >>= 1
			} else {
				x = 3*x + 1
			}
		}
	}
	return steps
}
