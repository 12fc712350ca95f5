package stress

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/patch"
)

func TestMain(m *testing.M) {
	ChildMain()
	os.Exit(m.Run())
}

// TestSafeProtocolsHold: every site kind with its protocol and the default
// barrier (synccore) gives zero violations (ppc64le: emulated, the heap in
// the mode its probe chose).
func TestSafeProtocolsHold(t *testing.T) {
	host, _ := jit.HostArch()
	type tc struct {
		site  string
		proto patch.Protocol
	}
	cases := []tc{{"const", patch.Auto}, {"call", patch.Auto}, {"guard", patch.Auto}}
	if host == jit.ArchAMD64 {
		cases = append(cases, tc{"const", patch.SelfLoop}, tc{"guard", patch.SelfLoop})
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%v", c.site, c.proto), func(t *testing.T) {
			rep, err := RunChild(context.Background(), Config{Site: c.site, Protocol: c.proto, Barrier: "synccore",
				Threads: 2, Sites: 4, Duration: 700 * time.Millisecond}, nil)
			require.NoError(t, err)
			t.Logf("%s: %d calls, %d patches, p50 %v p99 %v, protocol %s, heap %s, emulated %v",
				c.site, rep.Calls, rep.Patches, rep.Latency.P50, rep.Latency.P99, rep.Protocol, rep.HeapMode, rep.Emulated)
			assert.Zero(t, rep.Violations.Total(), "violations: %+v %v %s", rep.Violations, rep.Examples, rep.Crash)
			assert.Positive(t, rep.Calls)
			assert.Positive(t, rep.Patches)
		})
	}
}

// TestNegativeControlsAreCaught: the harness must detect an unsafe protocol
// (byte-by-byte writes with a pause, no barrier) and a protocol that writes
// a site wider than one atomic store with several stores. A harness that
// never fails proves nothing.
func TestNegativeControlsAreCaught(t *testing.T) {
	host, _ := jit.HostArch()
	cases := []Config{
		{Site: "const", Protocol: patch.Unsafe, Barrier: "none"},
		{Site: "call", Protocol: patch.Unsafe, Barrier: "none"},
		{Site: "guard", Protocol: patch.Unsafe, Barrier: "none"},
		{Site: "const", Protocol: patch.Straddle, Barrier: "synccore"},
	}
	for _, cfg := range cases {
		t.Run(fmt.Sprintf("%s/%v/%s", cfg.Site, cfg.Protocol, cfg.Barrier), func(t *testing.T) {
			cfg.Threads, cfg.Sites, cfg.Duration, cfg.StopOnViolation = 2, 2, 4*time.Second, true
			// A child that ran torn code may stop answering: it is then
			// killed at 2×4 s + 10 s and reported as a hang.
			defer func(g time.Duration) { childGrace = g }(childGrace)
			childGrace = 10 * time.Second
			start := time.Now()
			rep, err := RunChild(context.Background(), cfg, nil)
			require.NoError(t, err)
			t.Logf("%s on %s caught in %v: %+v %v %s", cfg.Protocol, host, time.Since(start).Round(time.Millisecond),
				rep.Violations, rep.Examples, rep.Crash)
			assert.Positive(t, rep.Violations.Total(), "the harness missed %v (%d calls, %d patches)", cfg.Protocol, rep.Calls, rep.Patches)
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		kind          string
		r             int64
		before, after uint64
		stale, torn   bool
	}{
		{"const", constValue(5), 5, 5, false, false},
		{"const", constValue(6), 5, 5, false, false}, // a patch in flight
		{"const", constValue(4), 5, 5, true, false},
		{"const", 0x0505050505050504, 5, 5, false, true},
		{"call", 2, 1, 1, false, false},
		{"call", 1, 1, 1, true, false},
		{"call", 5, 1, 1, false, true},
		{"call", 1, 1, 9, false, false}, // every target possible
		{"guard", 2, 1, 1, false, false},
		{"guard", 1, 1, 1, false, false}, // version 2 in flight
		{"guard", 1, 1, 0, true, false},
		{"guard", 3, 0, 0, false, true},
	}
	for _, tc := range tests {
		stale, torn := check(tc.kind, tc.r, tc.before, tc.after)
		assert.Equal(t, tc.stale, stale, "%+v", tc)
		assert.Equal(t, tc.torn, torn, "%+v", tc)
	}
}

func TestCrashOf(t *testing.T) {
	stderr := "site s0 call 0x7f0000001000 8\nsite s1 call 0x7f0000001040 8\n" +
		"SIGILL: illegal instruction\nPC=0x7f0000001044 m=3 sigcode=2\n"
	desc, ok := crashOf(stderr)
	require.True(t, ok)
	assert.Contains(t, desc, "SIGILL")
	assert.Contains(t, desc, "inside site s1")
	desc, ok = crashOf("fatal error: fault\n[signal SIGSEGV: segmentation violation code=0x2 addr=0x7f5621a5c000 pc=0x7f0000001003]\n" +
		"site s0 guard 0x7f0000001000 5\n")
	require.True(t, ok)
	assert.Contains(t, desc, "signal SIGSEGV")
	assert.Contains(t, desc, "inside site s0")
	desc, ok = crashOf("runtime: newstack sp=0x4047977fc0\n\tmorebuf={pc:0x404777621c sp:0x4047977fc0 lr:0x0}\n" +
		"fatal error: runtime: split stack overflow\nsite s1 call 0x404777621c 4\n")
	require.True(t, ok)
	assert.Contains(t, desc, "split stack overflow")
	desc, ok = crashOf("panic: BUG: site kind guard\n\ngoroutine 21 [running]:\n")
	require.True(t, ok)
	assert.Equal(t, "panic: BUG: site kind guard", desc)
	_, ok = crashOf("stress child: bad configuration\n")
	assert.False(t, ok)
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{{Site: "nope"}, {Sites: 2, Patchers: 3}, {Threads: 5000}} {
		_, err := Run(context.Background(), cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}

func TestProgressReports(t *testing.T) {
	var got []Progress
	rep, err := RunChild(context.Background(), Config{Threads: 2, Sites: 2, Duration: 500 * time.Millisecond,
		ProgressEvery: 100 * time.Millisecond}, func(p Progress) { got = append(got, p) })
	require.NoError(t, err)
	require.NotEmpty(t, got, "progress reached the parent")
	last := got[len(got)-1]
	assert.LessOrEqual(t, last.Calls, rep.Calls)
	assert.Positive(t, last.Patches)
}

func TestBusy(t *testing.T) {
	rt, err := jit.New(jit.Options{})
	require.NoError(t, err)
	defer rt.Close()
	prog, err := rt.Compile("b.jasm", []byte("func main 1\n arg 0\n ret\nend\n"))
	require.NoError(t, err)
	stop, err := Busy(2, prog.Entry(), []int64{7}, func(v int64) bool { return v == 7 }, nil)
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond)
	calls, err := stop()
	assert.NoError(t, err)
	assert.Positive(t, calls)

	// The check can fail: a result it refuses is reported.
	stop, err = Busy(1, prog.Entry(), []int64{7}, func(v int64) bool { return v == 8 }, nil)
	require.NoError(t, err)
	time.Sleep(5 * time.Millisecond)
	_, err = stop()
	assert.ErrorContains(t, err, "wrong results")
}

// TestChildThatHangsIsReported: a child that stops answering (as one may
// after running torn code) is killed at its deadline and reported as a
// hang, instead of hanging the parent.
func TestChildThatHangsIsReported(t *testing.T) {
	defer func(g time.Duration) { childGrace = g }(childGrace)
	childGrace = 0
	t.Setenv(hangEnv, "1")
	start := time.Now()
	rep, err := RunChild(context.Background(), Config{Duration: 200 * time.Millisecond}, nil)
	require.NoError(t, err)
	assert.EqualValues(t, 1, rep.Violations.Hang)
	assert.EqualValues(t, 1, rep.Violations.Total())
	assert.Contains(t, rep.Crash, "stopped answering")
	assert.Less(t, time.Since(start), 10*time.Second)
}
