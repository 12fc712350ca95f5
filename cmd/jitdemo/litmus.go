package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/litmus"
)

func init() {
	register(&command{
		name:    "litmus",
		summary: "run cross-modification litmus tests: what this CPU shows when code changes under a running thread",
		usage:   "litmus [--iterations N] [--json] [--quiet] [--plot FILE.png|FILE.svg] (--all | FILE...)",
		details: `
Runs litmus tests for cross-modifying code (the format is in docs/litmus.md;
--all runs the built-in catalogue of litmus/tests). Each test has patch
sites with named versions, data words and two or more threads that write
sites, store and load words, execute sites, serialise, issue membarrier
SYNC_CORE or cache maintenance; an exists condition names an outcome, and
the test says whether each ISA's rules allow or forbid it (with the manual
section).

Every test runs --iterations times on threads locked to OS threads (pinned
to CPUs of their own where there are enough), the iterations started
together at a spin barrier with random delays; the iterations run in a child
process, so an iteration that executes torn code and crashes is counted as
the outcome "crash" and the run goes on. For each test it prints the
histogram of outcomes, whether the condition was observed Never, Sometimes
or Always, the architecture's verdict, and a loud line when a forbidden
outcome was observed. Under qemu-user the results are emulated: qemu keeps
instruction caches coherent and cannot show what hardware instruction fetch
does.

--plot draws every outcome's count, test by test, as a chart (the results
page docs/litmus-results.md has one).

An interruption (Ctrl-C, SIGTERM) stops the run: the results so far, the
interrupted test's partial one among them, are printed, and the exit
status is 1.

Exit status: 0 when no forbidden outcome was observed, 1 when one was (or a
test could not run, or the run was interrupted), 2 for a usage mistake (a
file that does not parse, or that this ISA cannot run as written).`,
		flags: func(fs *flag.FlagSet) func([]string, io.Writer, io.Writer) int {
			all := fs.Bool("all", false, "run every test of the built-in catalogue")
			iterations := fs.Int("iterations", 10000, "iterations of each test")
			asJSON := fs.Bool("json", false, "print one JSON document (docs/schema/litmus.json)")
			quiet := fs.Bool("quiet", false, "print only the summary table (text output)")
			plotFile := fs.String("plot", "", "draw the outcomes of every test to `FILE` (.png or .svg)")
			return func(args []string, stdout, stderr io.Writer) int {
				if *iterations < 1 {
					return usageError(stderr, "litmus", "--iterations %d is out of range: want 1 or more", *iterations)
				}
				if *all == (len(args) > 0) {
					return usageError(stderr, "litmus", "give --all or one or more FILEs (not both)")
				}
				format := ""
				if *plotFile != "" {
					switch ext := strings.ToLower(filepath.Ext(*plotFile)); ext {
					case ".png", ".svg":
						format = ext[1:]
					default:
						return usageError(stderr, "litmus", "--plot %s: the chart is written as .png or .svg, not %q", *plotFile, ext)
					}
					if err := checkWritableDir(filepath.Dir(*plotFile)); err != nil {
						return usageError(stderr, "litmus", "--plot %s: %v", *plotFile, err)
					}
				}
				var tests []*litmus.Test
				if *all {
					tests = litmus.All()
				}
				for _, name := range args {
					src, err := os.ReadFile(name)
					if err != nil {
						return usageError(stderr, "litmus", "%v", err)
					}
					t, err := litmus.ParseFile(name, src)
					if err != nil {
						return usageError(stderr, "litmus", "%v", err)
					}
					tests = append(tests, t)
				}
				// What Run would refuse (a write this ISA cannot do as
				// written, more outcomes than a run can count) is refused
				// here, before anything runs.
				if host, _ := jit.HostArch(); slices.Contains(litmus.Arches, string(host)) {
					for _, t := range tests {
						if err := litmus.Check(t, string(host)); err != nil {
							return usageError(stderr, "litmus", "%v", err)
						}
					}
				}
				ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM) // syscall: x/sys/unix has no Windows build
				defer stop()
				var results []*litmus.Result
				for _, t := range tests {
					r, err := litmus.Run(ctx, t, litmus.Options{Iterations: *iterations})
					if err != nil && !errors.Is(err, context.Canceled) {
						return commandFailed(*asJSON, stdout, stderr, "litmus", 1, "%s: %v", t.Name, err)
					}
					if r != nil {
						// On an interruption, the test's partial result.
						results = append(results, r)
						if !*asJSON && !*quiet {
							if err := r.WriteText(stdout); err != nil {
								return 1
							}
							fmt.Fprintln(stdout)
						}
					}
					if err != nil {
						break
					}
				}
				if *asJSON {
					if err := writeJSON(stdout, litmusDoc{SchemaVersion: schemaVersion, Results: results}); err != nil {
						return 1
					}
				} else if err := litmus.WriteSummary(stdout, results); err != nil {
					return 1
				}
				if *plotFile != "" {
					if err := plotLitmus(results, *plotFile, format); err != nil {
						return commandFailed(*asJSON, stdout, stderr, "litmus", 1, "--plot %s: %v", *plotFile, err)
					}
				}
				if ctx.Err() != nil {
					fmt.Fprintln(stderr, "jitdemo litmus: interrupted")
					return 1
				}
				return litmus.ExitCode(results)
			}
		},
	})
}

// litmusDoc is litmus --json's document.
type litmusDoc struct {
	SchemaVersion int              `json:"schema_version"`
	Results       []*litmus.Result `json:"results"`
}
