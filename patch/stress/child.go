package stress

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/membarrier/selfexec"
)

// RunChild performs the run in a child process (this executable started
// again, through the emulator named by selfexec.WrapperEnv when set): a
// crash of JIT code there becomes Report.Violations.Crash with the signal
// and the faulting site in Report.Crash. The executable must call ChildMain
// at start-up.
//
// onProgress, when not nil, receives the child's progress reports (set
// Config.ProgressEvery). The report of a child that crashed or hung keeps
// the counts of its last progress report, and its verdict is "fail".
func RunChild(ctx context.Context, cfg Config, onProgress func(Progress)) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	text, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	cmd, err := selfexec.Command()
	if err != nil {
		return nil, err
	}
	cmd.Env = append(os.Environ(), childEnv+"="+string(text))
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrChild, selfexec.Explain(err))
	}
	// Progress lines go to onProgress; everything else is kept for the
	// crash report.
	var last atomic.Pointer[Progress] // the child's last progress report
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(errPipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, progressPrefix); ok {
				var pr Progress
				if json.Unmarshal([]byte(rest), &pr) == nil {
					last.Store(&pr)
					if onProgress != nil {
						onProgress(pr)
					}
				}
				continue
			}
			stderr.WriteString(line)
			stderr.WriteByte('\n')
		}
	}()
	done := make(chan error, 1)
	go func() { <-read; done <- cmd.Wait() }()
	// A child that runs past its time by more than the grace period has
	// stopped answering: torn code may have jumped into a loop that never
	// polls, or corrupted the runtime. That is a result, not a reason to
	// hang the parent.
	limit := time.NewTimer(childDeadline(cfg))
	defer limit.Stop()
	hung := false
	select {
	case err = <-done:
	case <-ctx.Done():
		cmd.Process.Kill()
		err = <-done
	case <-limit.C:
		hung = true
		cmd.Process.Kill()
		err = <-done
	}
	if hung {
		return lostChild(cfg, &last, Violations{Hang: 1},
			fmt.Sprintf("the child stopped answering and was killed after %v", childDeadline(cfg))), nil
	}
	if err == nil {
		var rep Report
		if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil {
			return nil, fmt.Errorf("%w: unreadable report: %v\n%s", ErrChild, jerr, stderr.String())
		}
		return &rep, nil
	}
	if crash, ok := crashOf(stderr.String()); ok {
		return lostChild(cfg, &last, Violations{Crash: 1}, crash), nil
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 4 {
		return nil, fmt.Errorf("%w: %s", ErrConfig, strings.TrimSpace(stderr.String()))
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
		return nil, fmt.Errorf("%w: %s", ErrChild, strings.TrimSpace(stderr.String()))
	}
	return nil, fmt.Errorf("%w: %v\n%s", ErrChild, err, selfexec.Tail(stderr.String(), 40))
}

// lostChild is the report of a child that crashed or hung before it could
// write its own: the violation, and the counts of its last progress report
// (when Config.ProgressEvery asked for them) as lower bounds.
func lostChild(cfg Config, last *atomic.Pointer[Progress], v Violations, crash string) *Report {
	host, _ := jit.HostArch()
	rep := &Report{Config: cfg, Arch: string(host), Emulated: jit.Emulated(), Barrier: barrierName(cfg),
		Protocol: cfg.Protocol.String(), Violations: v, Crash: crash}
	if p := last.Load(); p != nil {
		rep.Elapsed, rep.Calls, rep.Patches, rep.Overlap = p.Elapsed, p.Calls, p.Patches, p.Overlap
		rep.Violations.Stale += p.Violations.Stale
		rep.Violations.Torn += p.Violations.Torn
	}
	rep.judge()
	return rep
}

// barrierName names the configured barrier for a report the child could
// not write itself.
func barrierName(cfg Config) string {
	if cfg.Barrier == "" {
		return "auto"
	}
	return cfg.Barrier
}

// childDeadline is how long a child may run: its duration (or, for a run
// bounded by a patch count, a minute) plus a grace period for start-up and
// for an emulator's slowness.
func childDeadline(cfg Config) time.Duration {
	d := cfg.Duration
	if cfg.Patches > 0 {
		d = time.Minute
	}
	return 2*d + childGrace
}

// childGrace is the deadline's fixed part (tests shorten it).
var childGrace = 30 * time.Second

// hangEnv makes a child block instead of running: the tests' way to show
// that RunChild reports a child that stops answering.
const hangEnv = "SYNCORE_STRESS_TEST_HANG"

// siteRE matches the lines in which a child says where its sites are.
var siteRE = regexp.MustCompile(`(?m)^site (s\d+) (\w+) (0x[0-9a-f]+) (\d+)$`)

// crashOf describes the crash report in a child's stderr
// (selfexec.Crash), naming the site its PC falls in or follows; ok is
// false when there is none.
func crashOf(stderr string) (string, bool) {
	var sites []selfexec.Site
	for _, m := range siteRE.FindAllStringSubmatch(stderr, -1) {
		addr, _ := strconv.ParseUint(m[3], 0, 64)
		size, _ := strconv.ParseUint(m[4], 10, 64)
		sites = append(sites, selfexec.Site{Name: m[1], Addr: addr, Size: size})
	}
	return selfexec.Crash(stderr, sites)
}
