package main

import (
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/membarrier"
	"github.com/syncore/syncore/patch"
	"github.com/syncore/syncore/patch/stress"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "measure patch latency per barrier strategy, busy workers and batch size",
		usage:   "bench [--quick] [--json] [--plot FILE.png|FILE.svg] [--samples N] [--workers LIST]",
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
						msg := fmt.Sprintf("--plot %s: %v", cfg.Plot, err)
						if *asJSON {
							return jsonFail(stdout, 2, jsonError{Kind: errKindUsage, Message: msg})
						}
						fmt.Fprintf(stderr, "jitdemo bench: %s\n", msg)
						return 2
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
// creating one and removing it.
func checkWritableDir(dir string) error {
	f, err := os.CreateTemp(dir, ".bench-check-*")
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

// benchMachine names where the figures come from.
type benchMachine struct {
	GOARCH     string `json:"goarch"`
	CPUs       int    `json:"cpus"`
	Kernel     string `json:"kernel"`      // release
	KernelArch string `json:"kernel_arch"` // the kernel's own architecture
	Emulated   bool   `json:"emulated"`    // GOARCH runs under emulation (qemu-user)
	HeapMode   string `json:"heap_mode"`   // "dual" or "rwx"
	HeapReason string `json:"heap_reason"` // why (jit.Info.HeapReason)
}

func (m benchMachine) String() string {
	s := fmt.Sprintf("%s, %d CPUs, Linux %s", m.GOARCH, m.CPUs, m.Kernel)
	if m.Emulated {
		s += fmt.Sprintf(", emulated on %s", m.KernelArch)
	}
	return s
}

// Cell statuses.
const (
	cellOK          = "ok"
	cellUnavailable = "unavailable" // the strategy cannot be used here
	cellSkipped     = "skipped"     // not measured in this configuration
	cellFailed      = "failed"      // a patch or the workers failed
)

// benchCell is one figure: a strategy at one busy-worker count.
type benchCell struct {
	Workers int     `json:"workers"`
	Status  string  `json:"status"`
	Samples int     `json:"samples"`
	Median  int64   `json:"median_ns,omitempty"`
	Ratio   float64 `json:"ratio_to_bare,omitempty"` // Median / the bare SYNC_CORE median at the same worker count
	Error   string  `json:"error,omitempty"`

	durs []time.Duration
}

// benchRow is one strategy (or the bare SYNC_CORE reference) across the
// worker counts.
type benchRow struct {
	Name        string      `json:"name"`
	Serialising bool        `json:"serialising"`
	Available   bool        `json:"available"`
	Reason      string      `json:"reason"` // what the strategy is, or why it is unavailable
	Cells       []benchCell `json:"cells"`

	patcher *patch.Patcher
	site    *patch.Site
}

// benchBatch is one batch size.
type benchBatch struct {
	Sites          int     `json:"sites"`
	Samples        int     `json:"samples"`
	MedianPerBatch int64   `json:"median_ns"`   // one Batch.Commit
	MedianPerSite  int64   `json:"per_site_ns"` // MedianPerBatch / Sites, rounded
	BarriersPer    float64 `json:"barriers_per_batch"`
	Bare           int64   `json:"bare_synccore_median_ns,omitempty"` // a bare SYNC_CORE after each batch
	Ratio          float64 `json:"ratio_to_bare,omitempty"`           // MedianPerBatch / Bare
}

// benchReport is what bench prints; as JSON, docs/schema/bench.json.
type benchReport struct {
	SchemaVersion int          `json:"schema_version"`
	Machine       benchMachine `json:"machine"`
	Quick         bool         `json:"quick"`
	Samples       int          `json:"samples"`
	GlobalSamples int          `json:"global_samples"`
	Workers       []int        `json:"workers"`
	Bare          benchRow     `json:"bare_synccore"`
	Strategies    []benchRow   `json:"strategies"`
	BatchBarrier  string       `json:"batch_barrier,omitempty"`
	BatchReason   string       `json:"batch_barrier_reason,omitempty"`
	Batches       []benchBatch `json:"batches"`
	ElapsedNanos  int64        `json:"elapsed_ns"`
	Plot          string       `json:"plot,omitempty"`
	Failures      []string     `json:"failures,omitempty"`
}

// benchProgram: main calls one (returns 1) through the pcall site c; a
// patch retargets c between one and two (returns 2).
const benchProgram = `
func one 0
    push 1
    ret
end
func two 0
    push 2
    ret
end
func main 0
    pcall c one
    ret
end
`

// batchBenchProgram is a function of n pconst sites k0 … k(n-1) whose
// result is their sum.
func batchBenchProgram(n int) string {
	var s strings.Builder
	s.WriteString("func main 0\n    push 0\n")
	for i := range n {
		fmt.Fprintf(&s, "    pconst k%d %d\n    add\n", i, i)
	}
	s.WriteString("    ret\nend\n")
	return s.String()
}

func benchMachineInfo() benchMachine {
	m := benchMachine{GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), KernelArch: jit.KernelArch(), Emulated: jit.Emulated()}
	var machine string
	m.Kernel, machine = uname()
	if m.KernelArch == "" {
		m.KernelArch = machine
	}
	return m
}

// runBench measures everything cfg asks for. An error means nothing could be
// measured; a figure that failed is in the report's Failures.
func runBench(cfg benchConfig) (*benchReport, error) {
	start := time.Now()
	rep := &benchReport{SchemaVersion: schemaVersion, Machine: benchMachineInfo(), Quick: cfg.Quick, Samples: cfg.Samples,
		GlobalSamples: cfg.GlobalSamples, Workers: cfg.Workers}
	rt, err := jit.New(jit.Options{})
	if err != nil {
		return nil, fmt.Errorf("jit runtime: %w", err)
	}
	defer rt.Close()
	rep.Machine.HeapMode, rep.Machine.HeapReason = heapModeName(rt.Info().HeapMode), rt.Info().HeapReason
	prog, err := rt.Compile("bench.jasm", []byte(benchProgram))
	if err != nil {
		return nil, fmt.Errorf("compile the bench program: %w", err)
	}

	rep.Bare = benchRow{Name: "bare-synccore", Serialising: true, Available: rt.Info().SyncCore == nil,
		Reason: "a bare membarrier PRIVATE_EXPEDITED_SYNC_CORE call, the reference of every ratio"}
	if err := rt.Info().SyncCore; err != nil {
		rep.Bare.Reason = "registering for SYNC_CORE failed: " + err.Error()
		rep.Failures = append(rep.Failures, "bare SYNC_CORE unavailable, so no ratio: "+err.Error())
	}
	var hs *patch.Handshake
	for _, name := range patch.BarrierNames {
		row := benchRow{Name: name}
		p, err := patch.New(rt, patch.Options{Barrier: name})
		if err == nil {
			row.site, err = p.Site(prog, "c")
		}
		if err != nil {
			row.Reason = err.Error()
		} else {
			row.Available, row.Serialising, row.Reason, row.patcher = true, p.Barrier().Serialising(), p.Reason(), p
			if h := p.Handshake(); h != nil {
				hs = h
			}
		}
		rep.Strategies = append(rep.Strategies, row)
	}

	if top := slices.Max(append([]int{0}, cfg.Workers...)); runtime.GOMAXPROCS(0) < top+1 {
		// The patching goroutine keeps a P of its own: the operating
		// system, not the Go scheduler, shares the cores.
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(top + 1))
	}
	one, _ := prog.Jasm().Func("one")
	two, _ := prog.Jasm().Func("two")
	targets := [2]int{two, one}
	for _, w := range cfg.Workers {
		benchWorkerCount(rep, cfg, prog.Entry(), hs, w, targets)
	}

	benchBatches(rep, rt, cfg)
	rep.ElapsedNanos = time.Since(start).Nanoseconds()
	return rep, nil
}

// benchWorkerCount measures every row at w busy workers, one sample of each
// strategy per round, in a rotating order, so that drift (frequency, other
// load) and the after-effects of one strategy on the next spread evenly.
func benchWorkerCount(rep *benchReport, cfg benchConfig, entry *jit.Func, hs *patch.Handshake, w int, targets [2]int) {
	rows := append([]*benchRow{&rep.Bare}, ptrs(rep.Strategies)...)
	cells := make([]*benchCell, len(rows))
	for i, r := range rows {
		r.Cells = append(r.Cells, benchCell{Workers: w, Status: cellOK})
		c := &r.Cells[len(r.Cells)-1]
		cells[i] = c
		switch {
		case !r.Available:
			c.Status = cellUnavailable
		case r.Name == "global" && cfg.GlobalMax >= 0 && w > cfg.GlobalMax:
			c.Status, c.Error = cellSkipped, fmt.Sprintf("--quick measures global with at most %d workers", cfg.GlobalMax)
		}
	}
	stop, err := stress.Busy(w, entry, nil, func(v int64) bool { return v == 1 || v == 2 }, hs)
	if err != nil {
		rep.Failures = append(rep.Failures, fmt.Sprintf("busy workers: %v", err))
		return
	}
	flip := 0
	sample := func(i int, timed bool) {
		r, c := rows[i], cells[i]
		if c.Status != cellOK {
			return
		}
		var err error
		t0 := time.Now()
		if i == 0 {
			err = membarrier.SyncCore()
		} else {
			err = r.site.Retarget(targets[flip&1])
			flip++
		}
		d := time.Since(t0)
		if err != nil {
			c.Status, c.Error = cellFailed, err.Error()
			rep.Failures = append(rep.Failures, fmt.Sprintf("%s with %d workers: %v", r.Name, w, err))
			return
		}
		if timed {
			c.durs = append(c.durs, d)
		}
	}
	isGlobal := func(i int) bool { return rows[i].Name == "global" }
	for range cfg.Warmup {
		for i := range rows {
			if !isGlobal(i) {
				sample(i, false)
			}
		}
	}
	every := max(1, cfg.Samples/max(1, cfg.GlobalSamples))
	for round := range cfg.Samples {
		if cfg.Progress != nil && round%10 == 0 {
			cfg.Progress(fmt.Sprintf("bench: %d busy workers, round %d of %d", w, round, cfg.Samples))
		}
		for k := range rows {
			i := (round + k) % len(rows) // no row always follows the same one
			if isGlobal(i) && (round%every != 0 || len(cells[i].durs) >= cfg.GlobalSamples) {
				continue
			}
			sample(i, true)
		}
	}
	if _, err := stop(); err != nil {
		rep.Failures = append(rep.Failures, fmt.Sprintf("%d busy workers: %v", w, err))
		for _, c := range cells {
			if c.Status == cellOK {
				c.Status, c.Error = cellFailed, err.Error()
			}
		}
	}
	bare := cells[0]
	for _, c := range cells {
		if c.Status != cellOK {
			continue
		}
		c.Samples = len(c.durs)
		c.Median = median(c.durs).Nanoseconds()
		if bare.Status == cellOK && bare.Median > 0 {
			c.Ratio = float64(c.Median) / float64(bare.Median)
		}
	}
	if bare.Status == cellOK && bare.Median == 0 {
		bare.Ratio = 1
	}
}

func ptrs(rows []benchRow) []*benchRow {
	out := make([]*benchRow, len(rows))
	for i := range rows {
		out[i] = &rows[i]
	}
	return out
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchBatches measures one Batch.Commit of n pconst data slots, for each
// batch size, with the default barrier and no busy worker.
func benchBatches(rep *benchReport, rt *jit.Runtime, cfg benchConfig) {
	fail := func(format string, args ...any) {
		rep.Failures = append(rep.Failures, "batch: "+fmt.Sprintf(format, args...))
	}
	for _, n := range cfg.BatchSizes {
		if cfg.Progress != nil {
			cfg.Progress(fmt.Sprintf("bench: batches of %d sites", n))
		}
		prog, err := rt.Compile("batch.jasm", []byte(batchBenchProgram(n)))
		if err != nil {
			fail("compile %d sites: %v", n, err)
			return
		}
		p, err := patch.New(rt, patch.Options{})
		if err != nil {
			fail("%v", err)
			return
		}
		rep.BatchBarrier, rep.BatchReason = p.Barrier().Name(), p.Reason()
		sites := make([]*patch.Site, n)
		for i := range sites {
			if sites[i], err = p.Site(prog, fmt.Sprintf("k%d", i)); err != nil {
				fail("%v", err)
				return
			}
		}
		commit := func(v int64) error {
			b := p.Batch()
			for _, s := range sites {
				b.SetConst(s, v)
			}
			return b.Commit()
		}
		// A bare SYNC_CORE after every batch, in the same conditions, is
		// the reference of the batch's ratio.
		var durs, bares []time.Duration
		bareOK := rep.Bare.Available
		before := p.Barriers()
		v := int64(1)
		for i := range cfg.Warmup + cfg.BatchSamples {
			t0 := time.Now()
			err := commit(v)
			d := time.Since(t0)
			v++
			if err != nil {
				fail("%d sites: %v", n, err)
				return
			}
			var bd time.Duration
			if bareOK {
				t0 = time.Now()
				bareOK = membarrier.SyncCore() == nil
				bd = time.Since(t0)
			}
			if i >= cfg.Warmup {
				durs = append(durs, d)
				bares = append(bares, bd)
			}
		}
		barriers := float64(p.Barriers()-before) / float64(cfg.Warmup+cfg.BatchSamples)
		if got, err := prog.Entry().Call(); err != nil || got != int64(n)*(v-1) {
			fail("%d sites: after the last batch main() = %d (%v), want %d", n, got, err, int64(n)*(v-1))
			return
		}
		m := median(durs).Nanoseconds()
		b := benchBatch{Sites: n, Samples: len(durs), MedianPerBatch: m, MedianPerSite: int64(math.Round(float64(m) / float64(n))), BarriersPer: barriers}
		if bare := median(bares).Nanoseconds(); bareOK && bare > 0 {
			b.Bare, b.Ratio = bare, float64(m)/float64(bare)
		}
		rep.Batches = append(rep.Batches, b)
	}
}

// fmtNanos prints ns with three significant digits and a unit.
func fmtNanos(ns float64) string {
	unit := []struct {
		div  float64
		name string
	}{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}, {1, "ns"}}
	for _, u := range unit {
		if ns >= u.div || u.div == 1 {
			v := ns / u.div
			switch {
			case v >= 100 || u.div == 1 && v == math.Trunc(v):
				return fmt.Sprintf("%.0f%s", v, u.name)
			case v >= 10:
				return fmt.Sprintf("%.1f%s", v, u.name)
			}
			return fmt.Sprintf("%.2f%s", v, u.name)
		}
	}
	return ""
}

func fmtRatio(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("×%.0f", r)
	case r >= 10:
		return fmt.Sprintf("×%.1f", r)
	}
	return fmt.Sprintf("×%.2f", r)
}

// pad right-aligns (width > 0) or left-aligns (width < 0) s in runes.
func pad(s string, width int) string {
	n := utf8.RuneCountInString(s)
	if width > 0 {
		return strings.Repeat(" ", max(0, width-n)) + s
	}
	return s + strings.Repeat(" ", max(0, -width-n))
}

func (r *benchReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "syncore bench: %s, heap %s, %v\n", r.Machine, heapModeText(r.Machine.HeapMode), time.Duration(r.ElapsedNanos).Round(10*time.Millisecond))
	if r.Machine.Emulated {
		fmt.Fprintln(w, "  (emulated: the figures are those of qemu-user, not of real hardware)")
	}
	fmt.Fprintf(w, "\npatch latency: median of one pcall retarget (write + barrier) with N busy worker threads,\n"+
		"and its ratio to a bare SYNC_CORE at the same N (%d samples each, global %d)\n\n", r.Samples, r.GlobalSamples)
	const nameW, cellW = 15, 17
	var b strings.Builder
	b.WriteString(pad("busy workers", -nameW))
	for _, n := range r.Workers {
		b.WriteString(pad(strconv.Itoa(n), cellW))
	}
	fmt.Fprintln(w, b.String())
	for _, row := range append([]benchRow{r.Bare}, r.Strategies...) {
		b.Reset()
		name := row.Name
		if name == "bare-synccore" {
			name = "bare SYNC_CORE"
		}
		b.WriteString(pad(name, -nameW))
		if !row.Available {
			fmt.Fprintf(w, "%s  unavailable: %s\n", b.String(), row.Reason)
			continue
		}
		for _, c := range row.Cells {
			var s string
			switch c.Status {
			case cellOK:
				s = fmtNanos(float64(c.Median))
				if c.Ratio > 0 {
					s = pad(s, 7) + " " + pad(fmtRatio(c.Ratio), 6)
				}
			default:
				s = c.Status
			}
			b.WriteString(pad(s, cellW))
		}
		fmt.Fprintln(w, b.String())
	}
	if len(r.Batches) > 0 {
		fmt.Fprintf(w, "\nbatch: one Batch.Commit of N pconst sites, barrier %s, no busy worker (median of %d;\n"+
			"vs bare: ratio to a bare SYNC_CORE issued after each batch)\n\n", r.BatchBarrier, r.Batches[0].Samples)
		fmt.Fprintf(w, "%8s %12s %12s %10s %10s\n", "sites", "per batch", "per site", "barriers", "vs bare")
		for _, bt := range r.Batches {
			ratio := "-"
			if bt.Ratio > 0 {
				ratio = fmtRatio(bt.Ratio)
			}
			fmt.Fprintf(w, "%8d %12s %12s %10.0f %s\n", bt.Sites, fmtNanos(float64(bt.MedianPerBatch)),
				fmtNanos(float64(bt.MedianPerSite)), bt.BarriersPer, pad(ratio, 10))
		}
	}
	if r.Plot != "" {
		fmt.Fprintf(w, "\nchart: %s\n", r.Plot)
	}
}

// plotBench draws latency against busy workers, one line per row, and
// writes it to file as format ("png" or "svg").
func plotBench(r *benchReport, file, format string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("syncore: one patch (pcall retarget + barrier) vs busy workers\n%s; median of %d (global %d)",
		r.Machine, r.Samples, r.GlobalSamples)
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = "busy worker threads calling the patched code (log scale)"
	p.X.Scale = workerScale{}
	// The y label is drawn below, beside the axis: gonum places a rotated
	// label's glyph box at the arithmetic middle of the range, which on a
	// log scale leaves a wide empty band under the title.
	yLabel := "median latency per call (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = durationTicks{}
	var xt plot.ConstantTicks
	for _, n := range r.Workers {
		xt = append(xt, plot.Tick{Value: float64(n), Label: strconv.Itoa(n)})
	}
	p.X.Tick.Marker = xt
	p.Add(plotter.NewGrid())

	legend := plot.NewLegend()
	legend.TextStyle.Font.Size = vg.Points(11)
	lo, hi := math.Inf(1), 0.0
	rows := append([]benchRow{r.Bare}, r.Strategies...)
	for i, row := range rows {
		var xys plotter.XYs
		for _, c := range row.Cells {
			if c.Status == cellOK {
				y := math.Max(float64(c.Median), 1) // log scale
				xys = append(xys, plotter.XY{X: float64(c.Workers), Y: y})
				lo, hi = math.Min(lo, y), math.Max(hi, y)
			}
		}
		name := row.Name
		if i == 0 {
			name = "bare SYNC_CORE (reference)"
		}
		if len(xys) == 0 {
			legend.Add(name + ": unavailable")
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		col := plotutil.Color(i - 1)
		if i == 0 {
			col = color.Black
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		line.Color, line.Width = col, vg.Points(1.5)
		points.Color, points.Shape = col, plotutil.Shape(i)
		p.Add(line, points)
		label := name
		if i > 0 && !row.Serialising {
			label += " (not serialising)"
		}
		for _, c := range row.Cells {
			if c.Status == cellSkipped {
				label += fmt.Sprintf(" (≤ %d workers)", r.Workers[len(xys)-1])
				break
			}
		}
		legend.Add(label, line, points)
	}
	if hi > 0 {
		// Whole decades, so the axis starts and ends on a labelled tick.
		p.Y.Min = math.Pow(10, math.Floor(math.Log10(lo)))
		p.Y.Max = math.Pow(10, math.Ceil(math.Log10(hi)))
	}
	if len(r.Workers) > 0 {
		p.X.Min, p.X.Max = float64(r.Workers[0]), float64(r.Workers[len(r.Workers)-1])
	}
	if p.X.Min == p.X.Max {
		p.X.Max++
	}

	const width, height, legendW = 10 * vg.Inch, 5.5 * vg.Inch, 2.6 * vg.Inch
	c, err := draw.NewFormattedCanvas(width, height, format)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	sty := p.Y.Label.TextStyle
	labelW := sty.Height(yLabel) + vg.Points(4)
	sty.Rotation += math.Pi / 2
	dc.FillText(sty, vg.Point{X: dc.Min.X + labelW - sty.FontExtents().Descent, Y: dc.Center().Y}, yLabel)
	p.Draw(draw.Crop(dc, labelW, -legendW, 0, -vg.Points(6)))
	legend.Top, legend.Left = true, true
	legend.Padding = vg.Points(4)
	legend.YOffs = -vg.Points(50)
	legend.Draw(draw.Crop(dc, width-legendW+vg.Points(10), 0, 0, 0))

	tmp, err := os.CreateTemp(filepath.Dir(file), ".bench-*."+format)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// durationTicks are log-scale ticks labelled as durations (the values are
// nanoseconds).
type durationTicks struct{}

func (durationTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.LogTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = tickNanos(ticks[i].Value)
		}
	}
	return ticks
}

// tickNanos prints a power of ten of nanoseconds: 100ns, 1µs, 10ms.
func tickNanos(ns float64) string {
	for _, u := range []struct {
		div  float64
		name string
	}{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}} {
		if ns >= u.div {
			return strconv.FormatFloat(ns/u.div, 'g', 3, 64) + u.name
		}
	}
	return strconv.FormatFloat(ns, 'g', 3, 64) + "ns"
}

// workerScale spaces worker counts 0, 1, 2, 4, … evenly: log2(1+n).
type workerScale struct{}

func (workerScale) Normalize(lo, hi, x float64) float64 {
	f := func(v float64) float64 { return math.Log2(1 + math.Max(v, 0)) }
	if f(hi) == f(lo) {
		return 0
	}
	return (f(x) - f(lo)) / (f(hi) - f(lo))
}
