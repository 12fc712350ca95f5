package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
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
		usage:   "run [--interp] [--entry NAME] [--timeout D] [--perf [--perf-dir DIR]] [--json] FILE [ARGS...]  |  run --workload NAME [--duration D] [--threads N] [--json] [--quiet]",
		details: `
Runs the entry function (main unless --entry names another, or the program
sets one) with ARGS as signed 64-bit integers (decimal or 0x hex) and prints
the value it returns on one line. A runtime error (division by zero, stack
overflow, interrupted) goes to stderr with the function and file:line:col
where it happened and exit status 1; a program that does not parse or
verify, to stderr as file:line:col: message with exit status 2. --timeout D
interrupts the call after D; so does ^C (SIGINT), through the same interrupt
word that loops poll (a second ^C exits at once). With --json the value, or
the error, is one JSON object on stdout (docs/json.md). See docs/jasm.md for
the language.

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
			timeout := fs.Duration("timeout", 0, "interrupt the call after this long (0: no limit; ^C interrupts it too)")
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
				if *timeout < 0 {
					return usageError(stderr, "run", "--timeout %v is negative", *timeout)
				}
				if *perf && *perfDir != "" {
					// Before compiling: the jitdump file is created as the
					// runtime starts, and a directory it cannot be written
					// in is the user's mistake, not this machine's.
					if err := checkWritableDir(*perfDir); err != nil {
						return usageError(stderr, "run", "--perf-dir: %v", err)
					}
				}
				ro := runOptions{interp: *interp, entry: *entry, timeout: *timeout, json: d.asJSON,
					jit: jit.Options{JITDump: *perf, JITDumpDir: *perfDir}}
				return runFile(args[0], args[1:], ro, stdout, stderr)
			}
		},
	})
}

// runOptions are run's flags for a FILE.
type runOptions struct {
	interp  bool
	entry   string
	timeout time.Duration
	json    bool
	jit     jit.Options
}

func runFile(file string, argText []string, ro runOptions, stdout, stderr io.Writer) int {
	args := make([]int64, len(argText))
	for i, s := range argText {
		v, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return usageError(stderr, "run", "argument %d: %q is not a 64-bit integer", i+1, s)
		}
		args[i] = v
	}
	fail := func(kind string, status int, err error) int {
		if ro.json {
			return jsonFail(stdout, status, jsonError{Kind: kind, Message: err.Error()})
		} else {
			fmt.Fprintf(stderr, "jitdemo run: %v\n", err)
		}
		return status
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return usageError(stderr, "run", "%v", err)
	}
	prog, err := jasm.Parse(file, src)
	if err != nil {
		if ro.json {
			return jsonFail(stdout, 2, jsonError{Kind: "parse", Message: parseMessage(err)})
		}
		fmt.Fprintln(stderr, err)
		return 2
	}
	entry := ro.entry
	if entry == "" {
		entry = prog.EntryName()
	}
	fi, ok := prog.Func(entry)
	if !ok {
		return usageError(stderr, "run", "%s has no function %q", file, entry)
	}
	if want := prog.Funcs[fi].Params; want != len(args) {
		return usageError(stderr, "run", "%s takes %s, %d given", entry, plural(want, "argument"), len(args))
	}
	// --timeout and ^C interrupt the call through its context: machine code
	// polls the interrupt word at loop back-edges and calls. A second ^C
	// exits at once (130, as a shell reports SIGINT).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if ro.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, ro.timeout)
		defer cancel()
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	go interruptLoop(sigs, cancel, os.Exit, time.Now)
	var v int64
	if ro.interp {
		it, err := jasm.NewInterp(prog)
		if err != nil {
			return fail("internal", 1, err)
		}
		v, err = it.Call(ctx, fi, args...)
		if err != nil {
			return runtimeError(stdout, stderr, ro.json, err)
		}
	} else {
		rt, err := jit.New(ro.jit)
		if err != nil {
			kind := errKindFailed
			if errors.Is(err, jit.ErrUnsupported) {
				kind = "unsupported" // this platform cannot run machine code
			}
			return fail(kind, 1, err)
		}
		defer rt.Close()
		if path := rt.Info().JITDump; path != "" {
			fmt.Fprintf(stderr, "jitdemo run: jitdump for perf: %s\n", path)
		}
		p, err := rt.Load(prog)
		if err != nil {
			return fail("compile", 1, err)
		}
		v, err = p.FuncAt(fi).CallContext(ctx, args...)
		if err != nil {
			return runtimeError(stdout, stderr, ro.json, err)
		}
	}
	if ro.json {
		writeJSON(stdout, runValue{SchemaVersion: schemaVersion, Value: v})
	} else {
		fmt.Fprintln(stdout, v)
	}
	return 0
}

// parseMessage is the one-line message of the errors jasm.Parse returned:
// the first, and how many more there are.
func parseMessage(err error) string {
	var list jasm.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		msg := list[0].Error()
		if len(list) > 1 {
			msg += " (and " + plural(len(list)-1, "more error") + ")"
		}
		return msg
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

// sameInterrupt is how close a second SIGINT may follow the first and still
// be the same ^C, delivered twice: timeout(1) signals the command and then
// its process group, and a terminal signals the whole foreground group.
const sameInterrupt = 300 * time.Millisecond

// interruptLoop handles run's SIGINTs, read from sigs until it is closed:
// the first calls cancel (the call stops at its next poll of the interrupt
// word); one that follows it within sameInterrupt is the same ^C delivered
// twice and changes nothing; a later one calls exit(130) (a shell's status
// for SIGINT) and ends the loop. now is the clock.
func interruptLoop(sigs <-chan os.Signal, cancel func(), exit func(int), now func() time.Time) {
	var first time.Time
	seen := false
	for range sigs {
		switch {
		case !seen:
			seen, first = true, now()
			cancel()
		case now().Sub(first) < sameInterrupt:
			// the same ^C, delivered twice
		default:
			exit(130)
			return
		}
	}
}

// runValue is what run --json prints for a result (docs/schema/run.json).
type runValue struct {
	SchemaVersion int   `json:"schema_version"`
	Value         int64 `json:"value"`
}

func runtimeError(stdout, stderr io.Writer, asJSON bool, err error) int {
	var re *jasm.RuntimeError
	if !errors.As(err, &re) {
		if asJSON {
			return jsonFail(stdout, 1, jsonError{Kind: "call", Message: err.Error()})
		} else {
			fmt.Fprintf(stderr, "jitdemo run: %v\n", err)
		}
		return 1
	}
	if asJSON {
		e := jsonError{Kind: re.Err.Error(), Message: err.Error(), Func: re.Func}
		if re.Pos.IsValid() {
			e.Pos = re.Pos.String()
		}
		return jsonFail(stdout, 1, e)
	}
	fmt.Fprintf(stderr, "runtime error: %v\n", err)
	return 1
}
