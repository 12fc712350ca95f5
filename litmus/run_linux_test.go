//go:build linux && (amd64 || arm64 || ppc64le)

package litmus

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/membarrier"
	"github.com/syncore/syncore/membarrier/selfexec"
)

func parse(t *testing.T, src string) *Test {
	t.Helper()
	tt, err := ParseFile(t.Name()+".litmus", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return tt
}

func run(t *testing.T, tt *Test, opts Options) *Result {
	t.Helper()
	r, err := Run(context.Background(), tt, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sum is the histogram's total.
func sum(r *Result) int {
	n := 0
	for _, o := range r.Outcomes {
		n += o.Count
	}
	return n
}

// mpTest is message passing of new code through a flag.
const mpTest = `litmus mp
site f branch old new
data flag
thread 0
    write f new atomic rw
    sync_icache f
    membarrier
    store flag 1
thread 1
    flag = load flag
    ran = exec f
exists (1:flag=1 /\ ~1:ran=new)
expect amd64 forbidden "membarrier(2)"
expect ppc64le forbidden "membarrier(2)"
expect arm64 forbidden "membarrier(2)"
`

// TestRun: a run in a child process and one in this process count every
// iteration, key the outcomes by the condition's registers, and judge the
// condition; the result says where it ran.
func TestRun(t *testing.T) {
	tt := parse(t, mpTest)
	for _, inProcess := range []bool{false, true} {
		t.Run(fmt.Sprintf("in-process=%v", inProcess), func(t *testing.T) {
			r := run(t, tt, Options{Iterations: 300, InProcess: inProcess, Seed: 7})
			if r.Ran != 300 || r.Iterations != 300 || sum(r) != 300 || r.Crashes != 0 || r.Stopped != "" {
				t.Errorf("ran %d of %d, histogram %d, %d crashes, stopped %q", r.Ran, r.Iterations, sum(r), r.Crashes, r.Stopped)
			}
			wantChildren := 1
			if inProcess {
				wantChildren = 0
			}
			if r.Children != wantChildren {
				t.Errorf("%d children", r.Children)
			}
			host, _ := jit.HostArch()
			if r.Arch != string(host) || r.Emulated != jit.Emulated() || r.Heap == "" || r.Threads != 2 || r.Seed != 7 {
				t.Errorf("arch %s emulated %v heap %q threads %d seed %d", r.Arch, r.Emulated, r.Heap, r.Threads, r.Seed)
			}
			if r.Emulated != (len(r.Notes) > 0 && strings.HasPrefix(r.Notes[0], "emulated:")) {
				t.Errorf("emulated %v, notes %q", r.Emulated, r.Notes)
			}
			keys := map[string]bool{}
			for _, o := range r.Outcomes {
				keys[o.Key] = true
				if len(o.Values) != 2 || o.Satisfies != (o.Values["1:flag"] == "1" && o.Values["1:ran"] != "new") {
					t.Errorf("outcome %+v", o)
				}
			}
			for k := range keys {
				switch k {
				case "1:flag=0; 1:ran=old", "1:flag=0; 1:ran=new", "1:flag=1; 1:ran=new":
				default:
					t.Errorf("unexpected outcome %s", k)
				}
			}
			if r.Matches != 0 || r.Observed != Never || r.Forbidden() || r.Expect == nil || r.Expect.Verdict != Forbidden {
				t.Errorf("matches %d, observed %s, forbidden %v, expect %+v", r.Matches, r.Observed, r.Forbidden(), r.Expect)
			}
			var b bytes.Buffer
			if err := r.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"mp  (", "condition  exists (1:flag=1 /\\ ~1:ran=new): Never (0 of 300)", "verdict    " + r.Arch + " forbidden (membarrier(2)): ok"} {
				if !strings.Contains(b.String(), want) {
					t.Errorf("text lacks %q:\n%s", want, b.String())
				}
			}
			if r.Emulated && !strings.Contains(b.String(), "(emulated)") {
				t.Errorf("an emulated result not labelled so:\n%s", b.String())
			}
			t.Logf("\n%s", b.String())
		})
	}
}

// TestRunEveryShape: each shape's versions, written in each mode and
// executed on this ISA, return the version written (the assembled code
// and the outcome's decoding agree), through rw and through same.
func TestRunEveryShape(t *testing.T) {
	for sh := ShapeImm; sh <= ShapeSlot; sh++ {
		for _, via := range []View{RW, Same} {
			t.Run(fmt.Sprintf("%s/%s", sh, via), func(t *testing.T) {
				versions, last := "a b c", "c"
				if sh == ShapeGuard {
					versions, last = "a b", "a"
				}
				at := ""
				straddle := "bytewise"
				if sh == ShapeWide {
					at, straddle = " at 4", "straddle"
				}
				atomic := "atomic"
				if sh == ShapeWide {
					atomic = "bytewise" // at 4 no single store covers it
				}
				src := fmt.Sprintf(`litmus shapes
site s %s %s%s
thread 0
    r0 = exec s
    write s b %s %s
    sync_icache s
    serialise
    r1 = exec s
    write s %s %s %s
    sync_icache s
    serialise
    r2 = exec s
exists (0:r0=a /\ 0:r1=b /\ 0:r2=%s)
`, sh, versions, at, atomic, via, last, straddle, via, last)
				r := run(t, parse(t, src), Options{Iterations: 50, InProcess: true})
				if r.Observed != Always {
					var b bytes.Buffer
					r.WriteText(&b)
					t.Errorf("observed %s:\n%s", r.Observed, b.String())
				}
				if via == Same && !strings.HasPrefix(r.Heap, "rwx") {
					t.Errorf("a test that writes through same ran on heap %s", r.Heap)
				}
			})
		}
	}
}

// negativeControl claims that a thread cannot run a site's initial version
// before it rewrites it: wrong, and observed every time.
const negativeControl = `litmus wrong
site f branch old new
thread 0
    ran = exec f
    write f new
exists (0:ran=old)
expect amd64 forbidden "deliberately wrong"
expect ppc64le forbidden "deliberately wrong"
expect arm64 forbidden "deliberately wrong"
`

// TestForbiddenIsReported: an outcome the expectation forbids makes the
// result Forbidden, ExitCode 1, and the text says so loudly.
func TestForbiddenIsReported(t *testing.T) {
	r := run(t, parse(t, negativeControl), Options{Iterations: 20})
	if !r.Forbidden() || !r.ForbiddenObserved || r.Observed != Always || r.Matches != 20 {
		t.Errorf("forbidden %v, observed %s, matches %d", r.Forbidden(), r.Observed, r.Matches)
	}
	if ExitCode([]*Result{r}) != 1 {
		t.Error("ExitCode is not 1")
	}
	var b bytes.Buffer
	r.WriteText(&b)
	if !strings.Contains(b.String(), "!!! FORBIDDEN OUTCOME OBSERVED: 20 of 20 iterations") || !strings.Contains(b.String(), "FORBIDDEN OBSERVED") {
		t.Errorf("text:\n%s", b.String())
	}
	b.Reset()
	WriteSummary(&b, []*Result{r})
	if !strings.Contains(b.String(), "FORBIDDEN OBSERVED") || !strings.Contains(b.String(), "!!! 1 test(s) observed an outcome their ISA forbids") {
		t.Errorf("summary:\n%s", b.String())
	}
	// The same test with the expectation allowed passes.
	ok := *r
	ok.Expect = &Expectation{Arch: r.Arch, Verdict: Allowed, Source: "x"}
	if ExitCode([]*Result{&ok}) != 0 {
		t.Error("ExitCode is not 0")
	}
}

// crashTest's condition holds on a crash only.
const crashTest = `litmus crashes
site f branch old new
thread 0
    write f new
thread 1
    ran = exec f
exists (1:ran=torn \/ crash)
`

// TestCrashIsAnOutcome: a child that dies (a SIGSEGV from the fault hook at
// its 4th iteration) counts one crash; the run goes on in a new child and
// every other iteration is counted; MaxCrashes ends it.
func TestCrashIsAnOutcome(t *testing.T) {
	t.Setenv(faultEnv, "crash@4")
	tt := parse(t, crashTest)
	// 10 iterations: 3 + crash, 3 + crash, 2.
	r := run(t, tt, Options{Iterations: 10})
	if r.Ran != 10 || r.Crashes != 2 || sum(r) != 10 || r.Children != 3 || r.Stopped != "" || r.Matches != 2 || r.Observed != Sometimes {
		t.Errorf("ran %d, crashes %d, histogram %d, children %d, stopped %q, matches %d, observed %s",
			r.Ran, r.Crashes, sum(r), r.Children, r.Stopped, r.Matches, r.Observed)
	}
	last := r.Outcomes[len(r.Outcomes)-1]
	if last.Key != "crash" || last.Count != 2 || !last.Satisfies || len(r.CrashDetails) != 2 ||
		!strings.Contains(r.CrashDetails[0], "iteration 4: ") || !strings.Contains(r.CrashDetails[0], "SIGSEGV") {
		t.Errorf("crash outcome %+v, details %q", last, r.CrashDetails)
	}
	// MaxCrashes 2 of 100 iterations: 3 + crash, 3 + crash, then stop.
	r = run(t, tt, Options{Iterations: 100, MaxCrashes: 2})
	if r.Ran != 8 || r.Crashes != 2 || r.Children != 2 || !strings.Contains(r.Stopped, "after 2 crashes") {
		t.Errorf("ran %d, crashes %d, children %d, stopped %q", r.Ran, r.Crashes, r.Children, r.Stopped)
	}
	var b bytes.Buffer
	r.WriteText(&b)
	if !strings.Contains(b.String(), "ran        8 of 100 iterations") || !strings.Contains(b.String(), "stopped after 2 crashes") {
		t.Errorf("text:\n%s", b.String())
	}
}

// TestHangIsACrash: a child that stops finishing iterations is killed after
// HangTimeout and the iteration counted as a crash.
func TestHangIsACrash(t *testing.T) {
	t.Setenv(faultEnv, "hang@2")
	hang := time.Second
	if jit.Emulated() {
		hang = 5 * time.Second
	}
	r := run(t, parse(t, crashTest), Options{Iterations: 3, HangTimeout: hang})
	if r.Ran != 3 || r.Crashes != 1 || r.Children != 2 || len(r.CrashDetails) != 1 || !strings.Contains(r.CrashDetails[0], "iteration 2: hang") {
		t.Errorf("ran %d, crashes %d, children %d, details %q", r.Ran, r.Crashes, r.Children, r.CrashDetails)
	}
}

// TestNotApplicable: a write through the executable mapping on a heap
// forced to the dual mapping cannot happen: the result says so, nothing
// runs, and nothing is forbidden.
func TestNotApplicable(t *testing.T) {
	tt := parse(t, "litmus smc\nsite f branch old new\nthread 0\n    write f new atomic same\n    r = exec f\nexists (~0:r=new)\nexpect amd64 forbidden \"x\"\nexpect ppc64le forbidden \"x\"\nexpect arm64 forbidden \"x\"\n")
	r := run(t, tt, Options{Iterations: 10, Heap: jit.HeapDual})
	if !strings.HasPrefix(r.NotApplicable, "not applicable on this heap") || r.Ran != 0 || r.Forbidden() || r.Children != 0 || !strings.HasPrefix(r.Heap, "dual") {
		t.Errorf("not applicable %q, ran %d, forbidden %v, children %d, heap %s", r.NotApplicable, r.Ran, r.Forbidden(), r.Children, r.Heap)
	}
	var b bytes.Buffer
	r.WriteText(&b)
	if !strings.Contains(b.String(), "result     not applicable on this heap") {
		t.Errorf("text:\n%s", b.String())
	}
	b.Reset()
	WriteSummary(&b, []*Result{r})
	if !strings.Contains(b.String(), "n/a") || !strings.Contains(b.String(), "not applicable on this heap") {
		t.Errorf("summary:\n%s", b.String())
	}
	// With the heap left to Run, it asks for RWX and runs.
	r = run(t, tt, Options{Iterations: 10})
	if r.NotApplicable != "" || r.Ran != 10 || !strings.HasPrefix(r.Heap, "rwx") {
		t.Errorf("not applicable %q, ran %d, heap %s", r.NotApplicable, r.Ran, r.Heap)
	}
}

// TestRunStops: a cancelled context ends a run with what it has and the
// context's error.
func TestRunStops(t *testing.T) {
	tt := parse(t, mpTest)
	for _, inProcess := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r, err := Run(ctx, tt, Options{Iterations: 1 << 30, InProcess: inProcess})
		if !errors.Is(err, context.Canceled) || r == nil || r.Ran >= 1<<30 || !strings.Contains(r.Stopped, "canceled") {
			t.Errorf("in-process %v: %v, %+v", inProcess, err, r)
		}
	}
}

// TestNestedChildRefused: a process that is a litmus child but did not call
// ChildMain does not start children of its own.
func TestNestedChildRefused(t *testing.T) {
	t.Setenv(childEnv, "{}")
	_, err := Run(context.Background(), parse(t, mpTest), Options{Iterations: 1})
	if !errors.Is(err, ErrChild) || !strings.Contains(err.Error(), "did not call ChildMain") {
		t.Errorf("err = %v", err)
	}
}

// TestResultJSON: a Result survives JSON, with verdicts as words.
func TestResultJSON(t *testing.T) {
	r := run(t, parse(t, mpTest), Options{Iterations: 20, InProcess: true})
	text, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"verdict":"forbidden"`, `"observed":"Never"`, `"forbidden_observed":false`, `"condition":"exists (1:flag=1 /\\ ~1:ran=new)"`} {
		if !strings.Contains(string(text), want) {
			t.Errorf("JSON lacks %s: %s", want, text)
		}
	}
	var back Result
	if err := json.Unmarshal(text, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, r) {
		t.Errorf("JSON round trip:\n%+v\n%+v", back, *r)
	}
}

// TestFewCPUsIsNoted: when the threads cannot each have a CPU (here the
// child inherits a one-CPU affinity mask from the thread that starts it),
// the result says that they cannot all run at once, so that a Never is not
// read as evidence.
func TestFewCPUsIsNoted(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old, one unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		t.Fatal(err)
	}
	for c := 0; c < len(old)*64; c++ {
		if old.IsSet(c) {
			one.Set(c)
			break
		}
	}
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		t.Fatal(err)
	}
	defer unix.SchedSetaffinity(0, &old)
	r := run(t, parse(t, mpTest), Options{Iterations: 10})
	if !slices.ContainsFunc(r.Notes, func(n string) bool {
		return strings.Contains(n, "2 threads, 1 CPU(s) allowed") && strings.Contains(n, "cannot all run at once")
	}) || r.CPUs != nil {
		t.Errorf("notes %q, CPUs %v", r.Notes, r.CPUs)
	}
}

// TestNotApplicableWithoutSyncCore: where QUERY offers no SYNC_CORE, a test
// that issues membarrier is not applicable (a result: nothing runs, no
// child starts, nothing is forbidden); a test that does not runs as ever.
func TestNotApplicableWithoutSyncCore(t *testing.T) {
	defer func(q func() (membarrier.CmdSet, error)) { membarrierQuery = q }(membarrierQuery)
	membarrierQuery = func() (membarrier.CmdSet, error) { return 0, unix.ENOSYS }
	tt := parse(t, mpTest)
	for _, inProcess := range []bool{false, true} {
		r := run(t, tt, Options{Iterations: 10, InProcess: inProcess})
		want := "not applicable: membarrier SYNC_CORE is unavailable here: " + unix.ENOSYS.Error()
		if r.NotApplicable != want || r.Ran != 0 || r.Children != 0 || r.Forbidden() || len(r.Outcomes) != 0 {
			t.Errorf("in process %v: not applicable %q, ran %d, children %d, forbidden %v", inProcess, r.NotApplicable, r.Ran, r.Children, r.Forbidden())
		}
		var b bytes.Buffer
		r.WriteText(&b)
		WriteSummary(&b, []*Result{r})
		if !strings.Contains(b.String(), "result     "+want) || !strings.Contains(b.String(), "n/a") || ExitCode([]*Result{r}) != 0 {
			t.Errorf("text:\n%s", b.String())
		}
	}
	r := run(t, parse(t, crashTest), Options{Iterations: 10})
	if r.NotApplicable != "" || r.Ran != 10 {
		t.Errorf("a test without membarrier: not applicable %q, ran %d", r.NotApplicable, r.Ran)
	}
}

// procStat returns the state and parent of process pid from /proc
// (ok false: no such process).
func procStat(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// pid (comm) state ppid …; comm may hold anything but ends at the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	var st string
	if _, err := fmt.Sscanf(string(b[i+1:]), " %s %d", &st, &ppid); err != nil || st == "" {
		return 0, 0, false
	}
	return st[0], ppid, true
}

// alive reports whether process pid exists and is not a zombie (a killed
// process whose new parent has not reaped it yet is dead for good).
func alive(pid int) bool {
	st, _, ok := procStat(pid)
	return ok && st != 'Z' && st != 'X'
}

// childrenOf lists the live child processes of pid.
func childrenOf(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ppid, ok := procStat(c); ok && ppid == pid && st != 'Z' && st != 'X' {
			kids = append(kids, c)
		}
	}
	return kids
}

// TestRunInterrupted: a run in a child process whose context ends midway
// returns what ran with the context's error: iterations counted, no crash
// (the child it killed is no crash of the code under test), Stopped set,
// and the child gone.
func TestRunInterrupted(t *testing.T) {
	after := 300 * time.Millisecond
	if jit.Emulated() {
		after = 10 * time.Second // qemu starts a child in seconds
	}
	ctx, cancel := context.WithTimeout(context.Background(), after)
	defer cancel()
	seen := map[int]bool{}
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			for _, c := range childrenOf(os.Getpid()) {
				seen[c] = true
			}
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	r, err := Run(ctx, parse(t, mpTest), Options{Iterations: 1 << 40})
	close(done)
	<-watched
	if !errors.Is(err, context.DeadlineExceeded) || r == nil {
		t.Fatalf("Run = %+v, %v; want a result and the context's error", r, err)
	}
	if r.Ran == 0 || r.Ran >= r.Iterations || r.Crashes != 0 || r.Children != 1 || r.Forbidden() ||
		!strings.Contains(r.Stopped, "stopped: "+context.DeadlineExceeded.Error()) || sum(r) != r.Ran {
		t.Errorf("ran %d of %d, crashes %d, children %d, forbidden %v, stopped %q, histogram %d",
			r.Ran, r.Iterations, r.Crashes, r.Children, r.Forbidden(), r.Stopped, sum(r))
	}
	if len(seen) == 0 {
		t.Error("no child process seen during the run")
	}
	for c := range seen {
		if alive(c) {
			t.Errorf("child %d outlived the run", c)
			unix.Kill(c, unix.SIGKILL)
		}
	}
	if kids := childrenOf(os.Getpid()); len(kids) != 0 {
		t.Errorf("child processes left: %v", kids)
	}
}

// parentHelperEnv makes this test binary, started by TestChildDiesWithParent,
// the parent of a litmus run: it prints its child's process id and waits to
// be killed.
const parentHelperEnv = "SYNCORE_LITMUS_TEST_PARENT"

// helperParent starts an endless run and prints "litmus child PID" once its
// child process exists.
func helperParent() {
	tt, err := ParseFile("helper.litmus", []byte(mpTest))
	if err != nil {
		panic(err)
	}
	go func() {
		_, err := Run(context.Background(), tt, Options{Iterations: 1 << 40})
		fmt.Fprintf(os.Stderr, "helper: the run ended: %v\n", err)
		os.Exit(3)
	}()
	for {
		if kids := childrenOf(os.Getpid()); len(kids) == 1 {
			fmt.Printf("litmus child %d\n", kids[0])
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(time.Hour)
	os.Exit(4)
}

// TestChildDiesWithParent: a litmus child does not outlive its parent. A
// helper process (this binary again) starts an endless run and is killed
// with SIGKILL, which no handler can catch: its child must die with it
// (Pdeathsig) instead of spinning on for good.
func TestChildDiesWithParent(t *testing.T) {
	if os.Getenv(parentHelperEnv) != "" {
		helperParent()
	}
	cmd, err := selfexec.Command("-test.run=^TestChildDiesWithParent$")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), parentHelperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(selfexec.Explain(err))
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "litmus child ") {
				lines <- sc.Text()
				return
			}
		}
		close(lines)
	}()
	var child int
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatalf("the helper printed no child:\n%s", stderr.String())
		}
		fmt.Sscanf(line, "litmus child %d", &child)
	case <-time.After(2 * time.Minute):
		t.Fatalf("the helper started no child in two minutes:\n%s", stderr.String())
	}
	defer func() {
		if alive(child) {
			unix.Kill(child, unix.SIGKILL) // a failed test leaves no spinning child behind
		}
	}()
	// Let the child exec and set up; then kill its parent.
	time.Sleep(500 * time.Millisecond)
	if st, ppid, ok := procStat(child); !ok || ppid != cmd.Process.Pid || st == 'Z' {
		t.Fatalf("child %d: state %c, parent %d (the helper is %d), exists %v", child, st, ppid, cmd.Process.Pid, ok)
	}
	if err := cmd.Process.Signal(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for alive(child) {
		if time.Now().After(deadline) {
			st, ppid, _ := procStat(child)
			t.Fatalf("child %d still runs 5 s after its parent was killed (state %c, parent %d)", child, st, ppid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
