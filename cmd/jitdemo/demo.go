package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"

	"github.com/syncore/syncore/jit"
)

// demoFlags are the flags of the default demo and of run --workload.
type demoFlags struct {
	duration time.Duration
	threads  int
	asJSON   bool
	quiet    bool
}

func (d *demoFlags) declare(fs *flag.FlagSet, defDuration time.Duration) {
	fs.DurationVar(&d.duration, "duration", defDuration, "how long to run")
	fs.IntVar(&d.threads, "threads", 0, "worker threads calling the JIT code (default max(2, CPUs))")
	fs.BoolVar(&d.asJSON, "json", false, "print one JSON object instead of text")
	fs.BoolVar(&d.quiet, "quiet", false, quietUsage)
}

func (d *demoFlags) check() error {
	if d.duration <= 0 {
		return fmt.Errorf("--duration must be positive")
	}
	if d.threads < 0 || d.threads > maxStressThreads {
		return fmt.Errorf("--threads %d is out of range: want %s", d.threads, rangeText(0, maxStressThreads, "0: max(2, CPUs)"))
	}
	if d.threads == 0 {
		d.threads = max(2, runtime.NumCPU())
	}
	return nil
}

const demoDetails = `
With no command, jitdemo runs the tiering hot-swap demo for about 5 seconds:
worker threads (one per core, at least 2) call a function through a pcall
site; it starts on a baseline tier, and an optimiser swaps the tiers a few
times: each swap compiles a new tier (optimised, then baseline again),
retargets the site to it live and closes the tier it replaces while the
workers keep calling. It shows calls/s per tier, patches, patch latency and
the barrier in use (progress on stderr when it is a terminal, unless
--quiet), and checks every result: violations must stay 0 (exit status 1
otherwise).`

// demoMain runs the default demo with args as its flags.
func demoMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("jitdemo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var d demoFlags
	d.declare(fs, 5*time.Second)
	if err := parseFlags(fs, args); err != nil {
		return usageError(stderr, "", "%v", err)
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "", "unknown command %q (the commands: %s)", fs.Arg(0), strings.Join(commandNames(), ", "))
	}
	if err := d.check(); err != nil {
		return usageError(stderr, "", "%v", err)
	}
	return runWorkloadCmd(findWorkload("tiering"), d, stdout, stderr)
}

// workloadRuns is the JSON of one workload command (run --workload and the
// default demo; docs/schema/workload.json): one run per code shape
// (constants runs the data-slot and, on amd64, the code-patch form).
type workloadRuns struct {
	SchemaVersion int               `json:"schema_version"`
	Workload      string            `json:"workload"`
	Runs          []*workloadReport `json:"runs"`
}

func runWorkloadCmd(spec *workloadSpec, d demoFlags, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	modes := []jit.PConstMode{jit.PConstData}
	if host, _ := jit.HostArch(); spec.name == "constants" && host == jit.ArchAMD64 {
		modes = append(modes, jit.PConstCode)
	}
	pw := progressTo(stderr, d.quiet)
	out := workloadRuns{SchemaVersion: schemaVersion, Workload: spec.name}
	violations := uint64(0)
	for _, mode := range modes {
		dur := d.duration / time.Duration(len(modes))
		swap := max(dur/7, 10*time.Millisecond)
		var v *liveView
		var tick func(*workloadRun, time.Duration)
		interval := time.Second
		if pw != nil {
			v = &liveView{w: pw, threads: d.threads, dur: dur}
			tick = v.tick
			interval = 200 * time.Millisecond
		}
		rep, err := runWorkload(ctx, spec, mode, dur, d.threads, swap, interval, tick)
		if v != nil {
			v.clear()
		}
		if err != nil {
			return commandFailed(d.asJSON, stdout, stderr, "", 1, "%s: %v", spec.name, err)
		}
		out.Runs = append(out.Runs, rep)
		violations += rep.Violations
		if !d.asJSON {
			writeWorkloadSummary(stdout, rep)
		}
	}
	if d.asJSON {
		if err := writeJSON(stdout, out); err != nil {
			fmt.Fprintf(stderr, "jitdemo: %s: %v\n", spec.name, err)
			return 1
		}
	}
	if violations > 0 {
		return 1
	}
	return 0
}

// liveView prints the running workload to a terminal (stderr): a small
// table redrawn in place.
type liveView struct {
	w       io.Writer
	threads int
	dur     time.Duration
	lines   int // lines drawn last time (terminal)
}

func (v *liveView) tick(w *workloadRun, elapsed time.Duration) {
	calls, rates, cur := w.rates()
	lat := w.latency()
	var b strings.Builder
	if v.lines > 0 {
		fmt.Fprintf(&b, "\033[%dA", v.lines)
	}
	line := func(format string, args ...any) {
		b.WriteString("\r\033[K")
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	line("%s — %s — %.1fs of %v", w.spec.summary, plural(v.threads, "thread"), elapsed.Seconds(), v.dur)
	line("    %-14s %12s %12s", "version", "calls/s", "calls")
	for i, ver := range w.versions {
		mark := "  "
		if i == cur {
			mark = "▶ "
		}
		line("  %s%-14s %12s %12s", mark, ver.name, human(uint64(rates[i])), human(calls[i]))
	}
	line("    patches %d   latency p50 %v  p99 %v   violations %d", w.patches.Load(), lat.P50, lat.P99, w.viol.Load())
	v.lines = 3 + len(w.versions)
	io.WriteString(v.w, b.String())
}

func (v *liveView) clear() {
	if v.lines > 0 {
		fmt.Fprintf(v.w, "\033[%dA\033[J", v.lines)
		v.lines = 0
	}
}

func writeWorkloadSummary(w io.Writer, r *workloadReport) {
	arch := r.Arch + " (native)"
	if r.Emulated {
		arch = r.Arch + " (emulated)"
	}
	title := r.Workload
	if r.PConst != "" {
		title += " (pconst in " + map[string]string{"data": "a data slot", "code": "code: movabs, self-loop protocol"}[r.PConst] + ")"
	}
	fmt.Fprintf(w, "jitdemo %s: %s\n", title, r.Summary)
	fmt.Fprintf(w, "  %-11s %s, %s, %v, heap %s\n", "machine", arch, plural(r.Threads, "worker thread"), r.Elapsed.Round(time.Millisecond), heapModeText(r.HeapMode))
	fmt.Fprintf(w, "  %-11s %s (%s); protocol %s\n", "barrier", r.Barrier, r.BarrierReason, r.Protocol)
	secs := r.Elapsed.Seconds()
	for _, v := range r.Versions {
		fmt.Fprintf(w, "  %-11s %-14s %9s calls  %9s calls/s while current (%.1fs)\n", "version", v.Name, human(v.Calls), human(uint64(v.Rate)), v.Time.Seconds())
	}
	fmt.Fprintf(w, "  %-11s %s calls (%s/s)\n", "total", human(r.Calls), human(uint64(float64(r.Calls)/max(secs, 1e-9))))
	fmt.Fprintf(w, "  %-11s %d, latency p50 %v  p99 %v  max %v\n", "patches", r.Patches, r.Latency.P50, r.Latency.P99, r.Latency.Max)
	fmt.Fprintf(w, "  %-11s %s bytes in use of %s mapped at the end; %d programs retired after a grace period\n", "code heap", human(uint64(r.HeapInUse)), human(uint64(r.HeapMapped)), r.Retired)
	fmt.Fprintf(w, "  %-11s %d — %s\n", "violations", r.Violations, r.Invariant)
	for _, e := range r.Examples {
		fmt.Fprintf(w, "  %-11s %s\n", "example", e)
	}
}
