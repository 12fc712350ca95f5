package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/jit/jasm"
)

func init() {
	register(&command{
		name:    "run",
		summary: "compile a jasm program and run it (or interpret it with --interp)",
		usage:   "run [--interp] [--entry NAME] [--perf] FILE [ARGS...]  |  run --workload NAME [--duration D] [--threads N] [--json]",
		details: `
Runs the entry function (main unless --entry names another, or the program
sets one) with ARGS as signed 64-bit integers (decimal or 0x hex) and prints
the value it returns on one line. A runtime error (division by zero, stack
overflow, interrupted) goes to stderr with exit status 1; a program that does
not parse or verify, to stderr as file:line:col: message with exit status 2.
See docs/jasm.md for the language.

With --perf it writes a jitdump file (jit-PID.dump in --perf-dir, default the
temporary directory) that names every JIT function and its jasm lines for
perf; the path goes to stderr. Profile with:
  perf record -k 1 -e cpu-clock jitdemo run --perf examples/fib.jasm 32
  perf inject --jit -i perf.data -o perf.jit.data
  perf report -i perf.jit.data

With --workload NAME it runs a built-in workload instead: worker threads call
a program from examples/ while its sites are patched live, and every result is
checked (violations must be 0; exit status 1 otherwise). Workloads:
  tiering       a pcall site retargeted between freshly compiled tiers; the old tier is closed
  inline-cache  a polymorphic call site retargeted among monomorphic targets
  deopt         a guard armed live to divert every thread to a slow path, and disarmed
  constants     a pconst site changed live (data slot, and code patch on amd64)`,
		flags: func(fs *flag.FlagSet) func([]string, io.Writer, io.Writer) int {
			interp := fs.Bool("interp", false, "run in the interpreter (the reference semantics) instead of machine code")
			entry := fs.String("entry", "", "the function to run (default: the program's entry, main)")
			workload := fs.String("workload", "", "run a built-in workload: "+strings.Join(workloadNames(), ", "))
			perf := fs.Bool("perf", false, "write a jitdump file that names JIT code for perf (see above)")
			perfDir := fs.String("perf-dir", "", "directory for the jitdump file (default: the temporary directory)")
			var d demoFlags
			d.declare(fs, 3*time.Second)
			return func(args []string, stdout, stderr io.Writer) int {
				if *workload != "" {
					spec := findWorkload(*workload)
					if spec == nil {
						return usageError(stderr, "run", "unknown workload %q (want %s)", *workload, strings.Join(workloadNames(), ", "))
					}
					if len(args) > 0 {
						return usageError(stderr, "run", "--workload takes no FILE or ARGS (got %q)", args[0])
					}
					if err := d.check(); err != nil {
						return usageError(stderr, "run", "%v", err)
					}
					return runWorkloadCmd(spec, d, stdout, stderr)
				}
				if len(args) == 0 {
					return usageError(stderr, "run", "missing FILE (or --workload NAME)")
				}
				if *perf && *interp {
					return usageError(stderr, "run", "--perf profiles machine code: it does not go with --interp")
				}
				dump := jit.Options{JITDump: *perf, JITDumpDir: *perfDir}
				return runFile(args[0], args[1:], *interp, *entry, dump, stdout, stderr)
			}
		},
	})
}

func runFile(file string, argText []string, interp bool, entry string, opts jit.Options, stdout, stderr io.Writer) int {
	args := make([]int64, len(argText))
	for i, s := range argText {
		v, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return usageError(stderr, "run", "argument %d: %q is not a 64-bit integer", i+1, s)
		}
		args[i] = v
	}
	src, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "jitdemo run: %v\n", err)
		return 2
	}
	prog, err := jasm.Parse(file, src)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if entry == "" {
		entry = prog.EntryName()
	}
	fi, ok := prog.Func(entry)
	if !ok {
		fmt.Fprintf(stderr, "jitdemo run: %s has no function %q\n", file, entry)
		return 2
	}
	if want := prog.Funcs[fi].Params; want != len(args) {
		return usageError(stderr, "run", "%s takes %d arguments, %d given", entry, want, len(args))
	}
	var v int64
	if interp {
		it, err := jasm.NewInterp(prog)
		if err != nil {
			fmt.Fprintf(stderr, "jitdemo run: %v\n", err)
			return 1
		}
		v, err = it.Call(context.Background(), fi, args...)
		if err != nil {
			return runtimeError(stderr, err)
		}
	} else {
		rt, err := jit.New(opts)
		if err != nil {
			fmt.Fprintf(stderr, "jitdemo run: %v\n", err)
			return 1
		}
		defer rt.Close()
		if path := rt.Info().JITDump; path != "" {
			fmt.Fprintf(stderr, "jitdemo run: jitdump for perf: %s\n", path)
		}
		p, err := rt.Load(prog)
		if err != nil {
			fmt.Fprintf(stderr, "jitdemo run: %v\n", err)
			return 1
		}
		v, err = p.FuncAt(fi).Call(args...)
		if err != nil {
			return runtimeError(stderr, err)
		}
	}
	fmt.Fprintln(stdout, v)
	return 0
}

func runtimeError(stderr io.Writer, err error) int {
	if errors.Is(err, jasm.ErrDivisionByZero) || errors.Is(err, jasm.ErrStackOverflow) || errors.Is(err, jasm.ErrInterrupted) {
		fmt.Fprintf(stderr, "runtime error: %v\n", err)
	} else {
		fmt.Fprintf(stderr, "jitdemo run: %v\n", err)
	}
	return 1
}
