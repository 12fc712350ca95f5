package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/patch"
	"github.com/syncore/syncore/patch/stress"
)

func init() {
	register(&command{
		name:    "stress",
		summary: "patch JIT code while threads run it, and check every result",
		usage:   "stress [flags]",
		details: `
Worker threads call JIT code in a tight loop while patcher goroutines change
its sites as fast as they can. Every result is checked against the versions
the patchers published: a result from a version older than the one whose
patch had returned before the call is "stale", a value no patch wrote is
"torn", and a fault in the code is a "crash" (the run happens in a child
process).

A run passes only with evidence: some calls, and at least --min-overlap
patches that overlapped a call (a worker was inside the patched code when the
commit began, or entered it during the commit). A handful of such patches
proves nothing; without enough of them the verdict is "inconclusive", and the
report says what was missing.

Exit status:
  0  pass: no violation, with evidence
  1  fail: violations (or the run itself failed: see stderr)
  2  usage or configuration mistake
  3  inconclusive: no violation, but not enough evidence

With --site retire, the call sites' targets are whole programs, replaced
for every version as a tiering VM replaces code: compile the next version,
retarget the site to it, close the version it replaces while the workers keep
calling. Close frees code only after a grace period; --reclaim unsafe frees it
at once (a negative control that must be caught: crashes or stale results).

Safe runs:      jitdemo stress --duration 10s --threads 8
                jitdemo stress --site retire --duration 10s --threads 8
Caught unsafe:  jitdemo stress --protocol unsafe --barrier none
                jitdemo stress --site retire --reclaim unsafe`,
		flags: func(fs *flag.FlagSet) func([]string, io.Writer, io.Writer) int {
			site := fs.String("site", "const", "site kind: const, call, guard, or retire (replace and close whole programs)")
			reclaim := fs.String("reclaim", "grace", "with --site retire: grace (free closed code after a grace period) or unsafe (the negative control: free at once)")
			proto := fs.String("protocol", "auto", "auto, atomic, selfloop, dataslot, patchclass, or the negative controls unsafe and straddle")
			barrier := fs.String("barrier", "auto", "auto (synccore, falling back as patch.FallbackOrder says), synccore, expedited, mprotect, handshake, global, none")
			threads := fs.Int("threads", 0, "worker threads (default max(2, CPUs))")
			patchers := fs.Int("patchers", 1, "patcher goroutines (each owns a share of the sites)")
			sites := fs.Int("sites", 8, "number of sites")
			duration := fs.Duration("duration", 5*time.Second, "how long to run")
			patches := fs.Int("patches", 0, "stop after this many patches instead of --duration")
			seed := fs.Uint64("seed", 1, "random seed (site choice of workers and patchers)")
			minOverlap := fs.Int("min-overlap", stress.DefaultMinOverlap, "patches that must overlap a call for a run without violations to pass")
			asJSON := fs.Bool("json", false, "print one JSON object instead of text")
			quiet := fs.Bool("quiet", false, quietUsage)
			return func(args []string, stdout, stderr io.Writer) int {
				if len(args) > 0 {
					return usageError(stderr, "stress", "unexpected argument %q", args[0])
				}
				p, err := patch.ParseProtocol(*proto)
				if err != nil {
					return usageError(stderr, "stress", "%v", err)
				}
				b := *barrier
				if b == "auto" {
					b = ""
				} else if !slices.Contains(patch.BarrierNames, b) {
					return usageError(stderr, "stress", "unknown barrier %q (want auto or one of %s)", b, strings.Join(patch.BarrierNames, ", "))
				}
				if !slices.Contains(stress.SiteKinds, *site) {
					return usageError(stderr, "stress", "unknown site kind %q (want %s)", *site, strings.Join(stress.SiteKinds, ", "))
				}
				if _, err := jit.ParseReclaimMode(*reclaim); err != nil {
					return usageError(stderr, "stress", "%v", err)
				}
				if *reclaim != "grace" && *site != "retire" {
					return usageError(stderr, "stress", "--reclaim %s applies to --site retire only", *reclaim)
				}
				for _, r := range []struct {
					flag      string
					v, lo, hi int // hi < 0: no upper bound
					zero      string
				}{
					{"threads", *threads, 0, maxStressThreads, "0: max(2, CPUs)"},
					{"patchers", *patchers, 1, maxStressPatchers, ""},
					{"sites", *sites, 1, maxStressSites, ""},
					{"patches", *patches, 0, -1, "0: no limit, run for --duration"},
					{"min-overlap", *minOverlap, 1, -1, ""},
				} {
					if r.v < r.lo || r.hi >= 0 && r.v > r.hi {
						return usageError(stderr, "stress", "--%s %d is out of range: want %s", r.flag, r.v, rangeText(r.lo, r.hi, r.zero))
					}
				}
				if *duration <= 0 {
					return usageError(stderr, "stress", "--duration must be positive")
				}
				cfg := stress.Config{Site: *site, Protocol: p, Barrier: b, Threads: *threads, Patchers: *patchers,
					Sites: *sites, Duration: *duration, Patches: *patches, Seed: *seed, MinOverlap: *minOverlap, Reclaim: *reclaim}
				return runStress(cfg, *asJSON, *quiet, stdout, stderr)
			}
		},
	})
}

// The bounds patch/stress puts on a run (its configuration check refuses
// more), checked here first so that the usage error names the flag.
const (
	maxStressThreads  = 1024
	maxStressPatchers = 1024
	maxStressSites    = 4096
)

// rangeText is "1 to 4096", "1 or more" (hi < 0), with what 0 means when
// zero says it: "0 to 1024 (0: max(2, CPUs))".
func rangeText(lo, hi int, zero string) string {
	s := fmt.Sprintf("%d or more", lo)
	if hi >= 0 {
		s = fmt.Sprintf("%d to %d", lo, hi)
	}
	if zero != "" {
		s += " (" + zero + ")"
	}
	return s
}

func runStress(cfg stress.Config, asJSON, quiet bool, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var onProgress func(stress.Progress)
	pw := progressTo(stderr, quiet)
	if pw != nil {
		cfg.ProgressEvery = 250 * time.Millisecond
		onProgress = func(p stress.Progress) {
			fmt.Fprintf(pw, "\r\033[K%5.1fs  calls %s  patches %s (overlapped a call %s)  violations %d",
				p.Elapsed.Seconds(), human(p.Calls), human(p.Patches), human(p.Overlap), p.Violations.Total())
		}
	}
	rep, err := stress.RunChild(ctx, cfg, onProgress)
	if pw != nil {
		fmt.Fprint(pw, "\r\033[K")
	}
	if errors.Is(err, stress.ErrConfig) {
		msg := strings.TrimPrefix(err.Error(), stress.ErrConfig.Error()+": ")
		if asJSON {
			return jsonFail(stdout, exitUsage, jsonError{Kind: errKindConfig, Message: msg})
		}
		return usageError(stderr, "stress", "%s", msg)
	}
	if err != nil {
		return commandFailed(asJSON, stdout, stderr, "stress", exitFail, "%v", err)
	}
	if asJSON {
		if err := writeJSON(stdout, stressJSON{SchemaVersion: schemaVersion, Report: rep}); err != nil {
			fmt.Fprintf(stderr, "jitdemo stress: %v\n", err)
			return exitFail
		}
	} else {
		writeStressReport(stdout, rep)
	}
	return exitStatus(rep.Verdict)
}

// stressJSON is what stress --json prints (docs/schema/stress.json): the
// report with the schema version.
type stressJSON struct {
	SchemaVersion int `json:"schema_version"`
	*stress.Report
}

// Exit statuses of jitdemo stress (see its help text).
const (
	exitPass         = 0
	exitFail         = 1
	exitUsage        = 2
	exitInconclusive = 3
)

// exitStatus maps a verdict to the command's exit status.
func exitStatus(v stress.Verdict) int {
	switch v {
	case stress.VerdictPass:
		return exitPass
	case stress.VerdictInconclusive:
		return exitInconclusive
	}
	return exitFail // a fail, or a verdict this build does not know
}

func writeStressReport(w io.Writer, r *stress.Report) {
	arch := r.Arch + " (native)"
	if r.Emulated {
		arch = r.Arch + " (emulated: results check encodings and protocol logic, not real memory ordering)"
	}
	c := r.Config
	fmt.Fprintf(w, "syncore stress: %d %s sites, protocol %s, barrier %s\n", c.Sites, c.Site, r.Protocol, r.Barrier)
	if r.BarrierReason != "" {
		fmt.Fprintf(w, "  barrier    %s\n", r.BarrierReason)
	}
	fmt.Fprintf(w, "  arch       %s\n", arch)
	if r.HeapMode != "" {
		fmt.Fprintf(w, "  heap       %s\n", heapModeText(r.HeapMode))
	}
	fmt.Fprintf(w, "  workers    %s, %s, %v\n", plural(c.Threads, "thread"), plural(c.Patchers, "patcher"), r.Elapsed.Round(time.Millisecond))
	secs := r.Elapsed.Seconds()
	if secs <= 0 {
		secs = 1
	}
	fmt.Fprintf(w, "  calls      %s (%s/s)\n", human(r.Calls), human(uint64(float64(r.Calls)/secs)))
	fmt.Fprintf(w, "  patches    %s (%s/s), latency p50 %v  p99 %v  max %v\n", human(r.Patches),
		human(uint64(float64(r.Patches)/secs)), r.Latency.P50, r.Latency.P99, r.Latency.Max)
	fmt.Fprintf(w, "  overlap    %s of %s patches overlapped a call (need %d)\n", human(r.Overlap), human(r.Patches), c.MinOverlap)
	if c.Site == "retire" {
		fmt.Fprintf(w, "  retired    %s programs closed (%s/s), reclaim %s: %s\n",
			human(r.Retired), human(uint64(float64(r.Retired)/secs)), c.Reclaim, r.Reclaim)
		fmt.Fprintf(w, "  code heap  %s bytes in use at the end, at most %s at any 100 ms sample\n",
			human(uint64(r.HeapInUse)), human(uint64(r.HeapPeak)))
	}
	v := r.Violations
	fmt.Fprintf(w, "  violations %d (stale %d, torn %d, crash %d, hang %d)\n", v.Total(), v.Stale, v.Torn, v.Crash, v.Hang)
	if r.Crash != "" {
		fmt.Fprintf(w, "  crash      %s\n", r.Crash)
	}
	for i, e := range r.Examples {
		if i == 3 {
			break
		}
		fmt.Fprintf(w, "  example    %s\n", e)
	}
	fmt.Fprintf(w, "  verdict    %s: %s\n", r.Verdict, r.VerdictReason)
}

// human prints n with k/M/G suffixes.
func human(n uint64) string {
	switch {
	case n >= 1_000_000_000:
		return fmt.Sprintf("%.1fG", float64(n)/1e9)
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
