package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "measure patch latency per barrier strategy, busy workers and batch size",
		usage:   "bench [--quick] [--json] [--quiet] [--plot FILE.png|FILE.svg] [--samples N] [--workers LIST]",
		details: `
Measures, in one run, the latency of one patch — a pcall retarget: the write
and its barrier — for every barrier strategy (synccore, expedited, mprotect,
handshake, global, none) with 0, 1, 2, 4, … busy worker threads, up to
max(8, 2×CPUs). The workers are locked OS threads that call the patched JIT
function in a tight loop (and acknowledge the handshake between calls). At
every worker count a bare membarrier SYNC_CORE call is measured too, the
samples of all strategies interleaved, and every figure is printed as a
median and as its ratio to that bare SYNC_CORE median. Then one Batch.Commit
of 1, 10, 100 and 1000 pconst sites with the default barrier: the median per
batch and per site.

global waits for an RCU grace period (milliseconds): it gets few samples,
and --quick skips it above 2 workers. A strategy this machine cannot use is
reported as unavailable. --plot draws latency against busy workers, one line
per strategy, as PNG or SVG (from the file's extension). Under qemu-user the
figures are those of emulated code and say so.

Exit status 0 when every measurement ran, 1 when one failed, 2 for a usage
mistake.

Quick look:   jitdemo bench --quick --plot bench.png
For scripts:  jitdemo bench --json > bench.json`,
		flags: func(fs *flag.FlagSet) func([]string, io.Writer, io.Writer) int {
			quick := fs.Bool("quick", false, "a short run: fewer samples and worker counts (under 20 s on 2 cores)")
			asJSON := fs.Bool("json", false, "print one JSON object instead of tables")
			quiet := fs.Bool("quiet", false, quietUsage)
			plotFile := fs.String("plot", "", "draw a chart of latency vs busy workers to `FILE` (.png or .svg)")
			samples := fs.Int("samples", 0, "patches timed per strategy and worker count (default 501, 101 with --quick; global gets at most 21, 5 with --quick)")
			workers := fs.String("workers", "", "comma-separated busy-worker counts (default 0,1,2,4,… up to max(8, 2×CPUs))")
			return func(args []string, stdout, stderr io.Writer) int {
				if len(args) > 0 {
					return usageError(stderr, "bench", "unexpected argument %q", args[0])
				}
				cfg := defaultBenchConfig(*quick)
				if *plotFile != "" {
					switch ext := strings.ToLower(filepath.Ext(*plotFile)); ext {
					case ".png", ".svg":
						cfg.Plot, cfg.PlotFormat = *plotFile, ext[1:]
					default:
						return usageError(stderr, "bench", "--plot %s: the chart is written as .png or .svg, not %q", *plotFile, ext)
					}
				}
				if cfg.Plot != "" {
					// Before measuring: a chart that cannot be written
					// would throw the whole run away at the end.
					if err := checkWritableDir(filepath.Dir(cfg.Plot)); err != nil {
						return usageError(stderr, "bench", "--plot %s: %v", cfg.Plot, err)
					}
				}
				if *samples < 0 {
					return usageError(stderr, "bench", "--samples must be positive")
				}
				if *samples > 0 {
					cfg.Samples = *samples
					cfg.BatchSamples = *samples
					cfg.GlobalSamples = min(cfg.GlobalSamples, *samples)
				}
				if *workers != "" {
					w, err := parseWorkers(*workers)
					if err != nil {
						return usageError(stderr, "bench", "--workers %s: %v", *workers, err)
					}
					cfg.Workers = w
				}
				if pw := progressTo(stderr, *quiet); pw != nil {
					cfg.Progress = func(s string) { fmt.Fprintf(pw, "\r\033[K%s", s) }
				}
				rep, err := runBench(cfg)
				if cfg.Progress != nil {
					fmt.Fprint(stderr, "\r\033[K")
				}
				if err != nil {
					return commandFailed(*asJSON, stdout, stderr, "bench", 1, "%v", err)
				}
				if cfg.Plot != "" {
					if err := plotBench(rep, cfg.Plot, cfg.PlotFormat); err != nil {
						rep.Failures = append(rep.Failures, "plot: "+err.Error())
					} else {
						rep.Plot = cfg.Plot
					}
				}
				if *asJSON {
					if err := writeJSON(stdout, rep); err != nil {
						fmt.Fprintf(stderr, "jitdemo bench: %v\n", err)
						return 1
					}
				} else {
					rep.writeText(stdout)
				}
				if len(rep.Failures) > 0 {
					for _, f := range rep.Failures {
						fmt.Fprintf(stderr, "jitdemo bench: %s\n", f)
					}
					return 1
				}
				return 0
			}
		},
	})
}

// benchConfig is what one bench run measures.
type benchConfig struct {
	Quick         bool
	Workers       []int // busy-worker counts, ascending
	Samples       int   // timed patches per strategy and worker count
	GlobalSamples int   // the same for global (milliseconds each)
	GlobalMax     int   // global is skipped above this many workers (-1: never)
	Warmup        int   // untimed patches per strategy before the samples
	BatchSizes    []int
	BatchSamples  int
	Plot          string // chart file, "" for none
	PlotFormat    string // "png" or "svg"
	Progress      func(string)
}

func defaultBenchConfig(quick bool) benchConfig {
	top := max(8, 2*runtime.NumCPU())
	c := benchConfig{Quick: quick, Samples: 501, GlobalSamples: 21, GlobalMax: -1, Warmup: 5,
		BatchSizes: []int{1, 10, 100, 1000}, BatchSamples: 501}
	if quick {
		c.Samples, c.GlobalSamples, c.GlobalMax, c.BatchSamples = 101, 5, 2, 101
		c.Workers = sortedUnique([]int{0, 1, runtime.NumCPU(), top})
		return c
	}
	for w := 1; w < top; w *= 2 {
		c.Workers = append(c.Workers, w)
	}
	c.Workers = sortedUnique(append(c.Workers, 0, top))
	return c
}

// checkWritableDir reports whether a file can be created in dir, by
// creating one and removing it (bench --plot, run --perf-dir).
func checkWritableDir(dir string) error {
	f, err := os.CreateTemp(dir, ".jitdemo-check-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func sortedUnique(s []int) []int {
	slices.Sort(s)
	return slices.Compact(s)
}

// maxBenchWorkers bounds --workers: every worker is an OS thread.
const maxBenchWorkers = 1024

func parseWorkers(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 || n > maxBenchWorkers {
			return nil, fmt.Errorf("%q is not a worker count (0 to %d)", f, maxBenchWorkers)
		}
		out = append(out, n)
	}
	return sortedUnique(out), nil
}
