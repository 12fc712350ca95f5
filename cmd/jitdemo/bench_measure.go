package main

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/membarrier"
	"github.com/syncore/syncore/patch"
	"github.com/syncore/syncore/patch/stress"
)

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
	m := benchMachine{GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), Emulated: jit.Emulated()}
	m.Kernel, _, m.KernelArch = hostKernel()
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
