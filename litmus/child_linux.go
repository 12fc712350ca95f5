//go:build linux && (amd64 || arm64 || ppc64le)

package litmus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/membarrier/selfexec"
)

// The child process. The parent maps a memfd shared with the child (the
// child's file descriptor 3): word 0 is set to counterMagic once the child
// is set up, word 1 counts finished iterations, words 2… are the
// histogram's counters, and the word after them counts the iterations in
// which an exec reached a parked site. The child adds to them after every iteration, so
// when it dies the parent knows exactly what ran before.

const (
	childEnv     = "SYNCORE_LITMUS_CHILD"
	counterMagic = 0x6c69746d75730002 // "litmus", version 2
	counterFD    = 3
	// exitSetup is the child's exit status when it could not set up.
	exitSetup = 3
)

// counterBytes is the size of the shared counters for sp.
func counterBytes(sp *space) int {
	n := (3 + sp.size) * 8
	page := os.Getpagesize()
	return (n + page - 1) / page * page
}

func words(mem []byte) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(&mem[0])), len(mem)/8)
}

// ChildMain runs a litmus child when this process is one (the environment
// says so) and then exits; otherwise it returns at once. Call it first
// thing in main (and in TestMain of tests that call Run): Run starts this
// executable again to run a test's iterations.
func ChildMain() {
	text := os.Getenv(childEnv)
	if text == "" {
		return
	}
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "litmus child: "+format+"\n", args...)
		os.Exit(exitSetup)
	}
	var cfg childConfig
	if err := json.Unmarshal([]byte(text), &cfg); err != nil {
		fail("bad configuration: %v", err)
	}
	t, err := ParseFile(cfg.File, []byte(cfg.Src))
	if err != nil {
		fail("%v", err)
	}
	sp, err := newSpace(t)
	if err != nil {
		fail("%v", err)
	}
	size := counterBytes(sp)
	var st unix.Stat_t
	if err := unix.Fstat(counterFD, &st); err != nil || st.Size != int64(size) {
		fail("no shared counters of %d bytes on fd %d (%v, %d bytes)", size, counterFD, err, st.Size)
	}
	mem, err := unix.Mmap(counterFD, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		fail("mapping the counters: %v", err)
	}
	w := words(mem)
	e, err := newEngine(t, sp, cfg.Heap, cfg.MaxDelay, cfg.Seed, cfg.Pin)
	if err != nil {
		fail("%v", err)
	}
	info, _ := json.Marshal(e.info)
	os.Stdout.Write(append(info, '\n'))
	// Where the sites are, for the parent's crash report.
	for _, s := range e.sites {
		fmt.Fprintf(os.Stderr, "litmus site %s %#x %d\n", s.s.Name, s.rx, len(s.block.RW))
	}
	e.fault = faultHook()
	debug.SetGCPercent(-1) // see engine.run
	atomic.StoreUint64(&w[0], counterMagic)
	e.run(cfg.Iterations, counters{w[2 : 2+sp.size], &w[1], &w[2+sp.size]}, nil)
	os.Exit(0)
}

// faultEnv makes a child fail on purpose, so that tests can show how a
// crash or a hang is counted: "crash@K" dereferences nil (SIGSEGV) and
// "hang@K" blocks for good when the child starts its K-th iteration
// (counted from 1 in each child).
const faultEnv = "SYNCORE_LITMUS_TEST_FAULT"

func faultHook() func(it int) {
	var kind string
	var at int
	if _, err := fmt.Sscanf(strings.Replace(os.Getenv(faultEnv), "@", " ", 1), "%s %d", &kind, &at); err != nil {
		return nil
	}
	return func(it int) {
		if it+1 != at {
			return
		}
		switch kind {
		case "crash":
			var p *uint64
			storeRelease(p, 1) // SIGSEGV in assembly: not a Go panic
		case "hang":
			select {}
		}
	}
}

// runChildren runs r's iterations in child processes, a new one after each
// crash, until they have all run or MaxCrashes is reached.
func runChildren(ctx context.Context, t *Test, sp *space, r *Result, mode jit.HeapMode, opts Options) error {
	if os.Getenv(childEnv) != "" {
		// A child that did not call ChildMain would start children of its
		// own, without end.
		return fmt.Errorf("%w: this process is a litmus child that did not call ChildMain", ErrChild)
	}
	size := counterBytes(sp)
	fd, err := unix.MemfdCreate("litmus-counters", unix.MFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("%w: memfd_create: %v", ErrChild, err)
	}
	file := os.NewFile(uintptr(fd), "litmus-counters")
	defer file.Close()
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		return fmt.Errorf("%w: ftruncate: %v", ErrChild, err)
	}
	mem, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("%w: mmap: %v", ErrChild, err)
	}
	defer unix.Munmap(mem)
	w := words(mem)

	src := t.String()
	total := make([]uint64, sp.size)
	var parked uint64
	crashes, left := 0, opts.Iterations
	for left > 0 {
		for i := range w {
			atomic.StoreUint64(&w[i], 0)
		}
		cfg := childConfig{File: t.File, Src: src, Iterations: left, Seed: opts.Seed + uint64(r.Children)*0x9e3779b97f4a7c15,
			MaxDelay: opts.MaxDelay, Heap: mode, Pin: !opts.NoPin}
		out, crash, err := runChild(ctx, cfg, file, w, opts.HangTimeout)
		r.Children++
		ran := int(atomic.LoadUint64(&w[1]))
		for i := range total {
			total[i] += atomic.LoadUint64(&w[2+i])
		}
		parked += atomic.LoadUint64(&w[2+sp.size])
		left -= ran
		if line, _, _ := bytes.Cut(out, []byte("\n")); len(line) > 0 {
			var info childInfo
			if json.Unmarshal(line, &info) == nil {
				r.addInfo(info)
			}
		}
		if err != nil {
			r.tally(sp, total, crashes)
			r.tallyParked(t, parked)
			if ctx.Err() != nil {
				r.Stopped = "stopped: " + ctx.Err().Error()
				return ctx.Err()
			}
			return err
		}
		if crash == "" {
			if left != 0 {
				return fmt.Errorf("%w: the child ran %d of %d iterations and exited normally", ErrChild, ran, cfg.Iterations)
			}
			break
		}
		crashes++
		left--
		if len(r.CrashDetails) < 5 {
			r.CrashDetails = append(r.CrashDetails, fmt.Sprintf("iteration %d: %s", opts.Iterations-left, crash))
		}
		if crashes >= opts.MaxCrashes && left > 0 {
			r.Stopped = fmt.Sprintf("stopped after %d crashes (MaxCrashes)", crashes)
			break
		}
	}
	r.tally(sp, total, crashes)
	r.tallyParked(t, parked)
	return nil
}

// runChild runs one child until it exits, crashes or stops answering. It
// returns the child's standard output, a description of the crash ("" for
// a normal exit), and an error when the child failed in another way (ctx's
// error when ctx ended: however the child then died, that is no crash).
//
// The child's hang watchdog is this function, so the child must not outlive
// it: it gets SIGKILL when its parent dies (Pdeathsig), and it has a process
// group of its own (Setpgid), so that a Ctrl-C at the terminal reaches the
// parent alone, which stops the run and kills the child. The kernel sends
// the parent-death signal when the thread that forked the child exits, not
// the process: the goroutine stays locked to that thread until the child
// has been waited for.
func runChild(ctx context.Context, cfg childConfig, counters *os.File, w []uint64, hang time.Duration) ([]byte, string, error) {
	text, err := json.Marshal(cfg)
	if err != nil {
		return nil, "", err
	}
	cmd, err := selfexec.Command()
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrChild, err)
	}
	cmd.Env = append(os.Environ(), childEnv+"="+string(text))
	if _, set := os.LookupEnv("GORACE"); !set {
		// A binary built with -race sleeps a second at exit by default
		// (atexit_sleep_ms); children exit often.
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	}
	cmd.ExtraFiles = []*os.File{counters}                                          // fd 3
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: unix.SIGKILL, Setpgid: true} // os/exec takes syscall's type
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runtime.LockOSThread()
	defer runtime.UnlockOSThread() // every return below waits for the child first
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrChild, selfexec.Explain(err))
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	// A child that stops finishing iterations for hang is killed; setting
	// up (starting a process, under an emulator too, and a runtime) may
	// take longer.
	setup := max(hang, 2*time.Minute)
	last, since, started := uint64(0), time.Now(), false
	hung := false
wait:
	for {
		select {
		case err = <-exited:
			break wait
		case <-ctx.Done():
			cmd.Process.Kill()
			<-exited
			return stdout.Bytes(), "", ctx.Err()
		case <-tick.C:
			limit := hang
			if n := atomic.LoadUint64(&w[1]); n != last {
				last, since = n, time.Now()
			}
			if !started {
				if atomic.LoadUint64(&w[0]) == counterMagic {
					started, since = true, time.Now()
				} else {
					limit = setup
				}
			}
			if time.Since(since) > limit {
				cmd.Process.Kill()
				err = <-exited
				hung = err != nil // it may have finished just before the kill
				break wait
			}
		}
	}
	if err != nil && ctx.Err() != nil {
		// The child died as ctx ended (a Ctrl-C, say, that reached it
		// too): not a crash of the code under test.
		return stdout.Bytes(), "", ctx.Err()
	}
	started = atomic.LoadUint64(&w[0]) == counterMagic
	switch {
	case hung && started:
		return stdout.Bytes(), fmt.Sprintf("hang: no iteration finished in %v; the child was killed", hang), nil
	case hung:
		return stdout.Bytes(), "", fmt.Errorf("%w: the child did not set up within %v\n%s", ErrChild, setup, selfexec.Tail(stderr.String(), 20))
	case err == nil && !started:
		return stdout.Bytes(), "", fmt.Errorf("%w: the child exited without running the test: the executable must call litmus.ChildMain at start-up", ErrChild)
	case err == nil:
		return stdout.Bytes(), "", nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == exitSetup {
		return stdout.Bytes(), "", fmt.Errorf("%w: %s", ErrChild, strings.TrimSpace(stderr.String()))
	}
	if !started {
		return stdout.Bytes(), "", fmt.Errorf("%w: the child failed while setting up: %v\n%s", ErrChild, err, selfexec.Tail(stderr.String(), 20))
	}
	return stdout.Bytes(), crashOf(err, stderr.String()), nil
}

// siteRE matches the lines in which a child says where its sites are.
var siteRE = regexp.MustCompile(`(?m)^litmus site (\w+) (0x[0-9a-f]+) (\d+)$`)

// crashOf describes how a child died: its crash report (selfexec.Crash:
// the signal, the PC and the site it falls in, or the first fatal error or
// panic line), else the exit status err.
func crashOf(err error, stderr string) string {
	var sites []selfexec.Site
	for _, m := range siteRE.FindAllStringSubmatch(stderr, -1) {
		addr, _ := strconv.ParseUint(m[2], 0, 64)
		size, _ := strconv.ParseUint(m[3], 10, 64)
		sites = append(sites, selfexec.Site{Name: m[1], Addr: addr, Size: size})
	}
	if desc, ok := selfexec.Crash(stderr, sites); ok {
		return desc
	}
	return err.Error()
}
