package litmus

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Observation words for the condition, as litmus7 prints them.
const (
	Never     = "Never"
	Sometimes = "Sometimes"
	Always    = "Always"
)

// Result is what one Run of a test saw.
type Result struct {
	Test string   `json:"test"`
	File string   `json:"file"`
	Doc  []string `json:"doc,omitempty"`
	// Arch is the ISA the test ran on; Emulated is true under qemu-user
	// (see Notes: qemu cannot show hardware instruction fetch).
	Arch     string `json:"arch"`
	Emulated bool   `json:"emulated"`
	// Heap is the code heap's mode (jit.HeapMode's text).
	Heap string `json:"heap"`
	// Notes say what qualifies the result: emulation, a heap on which
	// writes through rw use the executable mapping itself, threads that
	// could not be pinned.
	Notes []string `json:"notes,omitempty"`
	// NotApplicable is set (and nothing ran) when this machine cannot run
	// one of the test's operations: the heap ("not applicable on this heap:
	// …", a write through same on a dual heap) or the kernel ("not
	// applicable: membarrier SYNC_CORE is unavailable here: …").
	NotApplicable string `json:"not_applicable,omitempty"`

	Threads int    `json:"threads"`
	CPUs    []int  `json:"cpus,omitempty"` // the CPU each thread was pinned to; empty: not pinned
	Seed    uint64 `json:"seed"`
	// Iterations is how many were asked for; Ran how many ran (those that
	// finished and those that crashed); fewer when Stopped says why.
	Iterations int    `json:"iterations"`
	Ran        int    `json:"ran"`
	Stopped    string `json:"stopped,omitempty"`
	// Crashes counts iterations that killed their child process or made
	// it stop answering; CrashDetails describes the first few.
	Crashes      int      `json:"crashes"`
	CrashDetails []string `json:"crash_details,omitempty"`
	Children     int      `json:"children"` // child processes started (0: ran in-process)

	// Condition is the exists condition; Outcomes the histogram, keyed by
	// the registers it names; Matches the iterations whose outcome
	// satisfies it; Observed Never, Sometimes or Always.
	Condition string    `json:"condition"`
	Outcomes  []Outcome `json:"outcomes"`
	Matches   int       `json:"matches"`
	Observed  string    `json:"observed,omitempty"`

	// Parked counts the iterations in which an exec reached a parked site
	// (ran its park stub): the evidence that a park write was exercised.
	// Nil for a test that parks nothing.
	Parked *int `json:"parked,omitempty"`

	// Expect is the test's verdict for Arch (nil: the test states none).
	Expect *Expectation `json:"expect,omitempty"`
	// ForbiddenObserved: Expect says forbidden and Matches > 0, as
	// Forbidden computes it (filled for JSON; Forbidden does not read it).
	ForbiddenObserved bool `json:"forbidden_observed"`

	Elapsed time.Duration `json:"elapsed_ns"`
}

// Outcome is one bin of the histogram.
type Outcome struct {
	// Key is "1:flag=1; 1:ran=old", or "crash".
	Key string `json:"key"`
	// Values maps "T:reg" to the value ("1", "old", "torn", "other": a
	// loaded value no store wrote); empty for a crash.
	Values    map[string]string `json:"values,omitempty"`
	Count     int               `json:"count"`
	Satisfies bool              `json:"satisfies"` // the outcome satisfies the condition
}

// Forbidden reports whether the run observed an outcome that the running
// ISA's rules forbid (Expect says forbidden and Matches > 0): a command-line
// runner exits 1 on it. It is computed from Expect and Matches, not read from
// ForbiddenObserved.
func (r *Result) Forbidden() bool {
	return r.Expect != nil && r.Expect.Verdict == Forbidden && r.Matches > 0
}

// ExitCode is 1 when any result observed a forbidden outcome, else 0.
func ExitCode(results []*Result) int {
	for _, r := range results {
		if r.Forbidden() {
			return 1
		}
	}
	return 0
}

// newResult starts the result of running t on arch.
func newResult(t *Test, arch string, emulated bool) *Result {
	r := &Result{Test: t.Name, File: t.File, Doc: t.Doc, Arch: arch, Emulated: emulated,
		Threads: len(t.Threads), Condition: "exists (" + t.Exists.String() + ")", Outcomes: []Outcome{}}
	if e := t.ExpectFor(arch); e != nil {
		c := *e
		c.Pos = Pos{}
		r.Expect = &c
	}
	if emulated {
		r.Notes = append(r.Notes, "emulated: qemu-user translates the code and keeps instruction and data caches coherent; "+
			"it cannot show what "+arch+" hardware instruction fetch does")
	}
	return r
}

// tally fills the histogram from the counters (counts[i] for outcome i)
// and the crashes, and judges the condition.
func (r *Result) tally(sp *space, counts []uint64, crashes int) {
	r.Outcomes = r.Outcomes[:0]
	r.Matches, r.Crashes = 0, crashes
	finished := 0
	for i, n := range counts {
		if n == 0 {
			continue
		}
		o := Outcome{Key: sp.key(i), Values: sp.values(i), Count: int(n), Satisfies: sp.satisfies(i)}
		r.Outcomes = append(r.Outcomes, o)
		finished += int(n)
		if o.Satisfies {
			r.Matches += int(n)
		}
	}
	if crashes > 0 {
		o := Outcome{Key: "crash", Count: crashes, Satisfies: sp.satisfiedByCrash()}
		r.Outcomes = append(r.Outcomes, o)
		if o.Satisfies {
			r.Matches += crashes
		}
	}
	r.Ran = finished + crashes
	switch {
	case r.Ran == 0:
		r.Observed = ""
	case r.Matches == 0:
		r.Observed = Never
	case r.Matches == r.Ran:
		r.Observed = Always
	default:
		r.Observed = Sometimes
	}
	r.ForbiddenObserved = r.Forbidden()
}

// tallyParked records how many iterations reached a park, for a test that
// parks a site.
func (r *Result) tallyParked(t *Test, parked uint64) {
	if t.Parks("") {
		n := int(parked)
		r.Parked = &n
	}
}

// parkedText says how often a park was exercised.
func (r *Result) parkedText() string {
	if *r.Parked == 0 {
		return fmt.Sprintf("0 of %d iterations: no exec reached a parked site, so the park itself went untested in this run", r.Ran)
	}
	return fmt.Sprintf("%d of %d iterations had an exec reach a parked site (it spun in the park stub until the head was written)", *r.Parked, r.Ran)
}

// machine describes where the result was measured.
func (r *Result) machine() string {
	s := r.Arch + " (native)"
	if r.Emulated {
		s = r.Arch + " (emulated)"
	}
	return s
}

// verdictText is "allowed (source)", or "no expectation for ARCH".
func (r *Result) verdictText() string {
	if r.Expect == nil {
		return "no expectation for " + r.Arch
	}
	return fmt.Sprintf("%s %s (%s)", r.Arch, r.Expect.Verdict, r.Expect.Source)
}

// status is the one-word judgement of the result.
func (r *Result) status() string {
	switch {
	case r.NotApplicable != "":
		// "not applicable on this heap", "not applicable"
		na, _, _ := strings.Cut(r.NotApplicable, ":")
		return na
	case r.Forbidden():
		return "FORBIDDEN OBSERVED"
	case r.Ran == 0:
		return "nothing ran"
	case r.Expect == nil:
		return "no expectation"
	}
	return "ok"
}

// WriteText writes the result as a table: the histogram (a * marks
// outcomes that satisfy the condition), the condition's observation, the
// verdict, and a loud line when a forbidden outcome was observed.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  (%s)\n", r.Test, r.File)
	for _, d := range r.Doc {
		fmt.Fprintf(&b, "  %s\n", d)
	}
	fmt.Fprintf(&b, "  machine    %s, heap %s, %d thread(s)", r.machine(), r.Heap, r.Threads)
	if len(r.CPUs) > 0 {
		fmt.Fprintf(&b, " pinned to CPUs %s", joinInts(r.CPUs))
	}
	b.WriteByte('\n')
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  note       %s\n", n)
	}
	if r.NotApplicable != "" {
		fmt.Fprintf(&b, "  result     %s\n", r.NotApplicable)
		fmt.Fprintf(&b, "  condition  %s\n", r.Condition)
		fmt.Fprintf(&b, "  verdict    %s\n", r.verdictText())
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "  ran        %d of %d iterations in %v (%d child process(es), seed %d)", r.Ran, r.Iterations,
		r.Elapsed.Round(time.Millisecond), r.Children, r.Seed)
	if r.Stopped != "" {
		fmt.Fprintf(&b, "; %s", r.Stopped)
	}
	b.WriteByte('\n')
	kw, cw := len("outcome"), len("count")
	for _, o := range r.Outcomes {
		kw = max(kw, len(o.Key))
		cw = max(cw, len(fmt.Sprint(o.Count)))
	}
	fmt.Fprintf(&b, "    %-*s  %*s\n", kw, "outcome", cw, "count")
	for _, o := range r.Outcomes {
		mark := " "
		if o.Satisfies {
			mark = "*" // satisfies the condition
		}
		fmt.Fprintf(&b, "  %s %-*s  %*d\n", mark, kw, o.Key, cw, o.Count)
	}
	for _, c := range r.CrashDetails {
		fmt.Fprintf(&b, "  crash      %s\n", c)
	}
	if r.Parked != nil {
		fmt.Fprintf(&b, "  parked     %s\n", r.parkedText())
	}
	obs := r.Observed
	if obs == "" {
		obs = "nothing ran"
	}
	fmt.Fprintf(&b, "  condition  %s: %s (%d of %d)\n", r.Condition, obs, r.Matches, r.Ran)
	fmt.Fprintf(&b, "  verdict    %s: %s\n", r.verdictText(), r.status())
	if r.Forbidden() {
		fmt.Fprintf(&b, "  !!! FORBIDDEN OUTCOME OBSERVED: %d of %d iterations satisfy a condition that %s forbids (%s)\n",
			r.Matches, r.Ran, r.Arch, r.Expect.Source)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteSummary writes one line per result: the test, the condition's
// observation, the verdict, and the judgement (FORBIDDEN OBSERVED loudly).
func WriteSummary(w io.Writer, results []*Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "test\tmachine\truns\toutcomes\tcondition\tmatches\tverdict\tresult\n")
	for _, r := range results {
		verdict := "-"
		if r.Expect != nil {
			verdict = r.Expect.Verdict.String()
		}
		obs := r.Observed
		if r.NotApplicable != "" {
			obs = "n/a"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\t%s\t%s\n", r.Test, r.machine(), r.Ran, len(r.Outcomes), obs, r.Matches, verdict, r.status())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	n := 0
	for _, r := range results {
		if r.Forbidden() {
			n++
		}
	}
	if n > 0 {
		_, err := fmt.Fprintf(w, "!!! %d test(s) observed an outcome their ISA forbids\n", n)
		return err
	}
	return nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}
