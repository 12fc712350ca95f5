package stress

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	x86 "github.com/syncore/syncore/codegen/amd64"
	a64 "github.com/syncore/syncore/codegen/arm64"
	ppc "github.com/syncore/syncore/codegen/ppc64"
	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/jit/jasm"
	"github.com/syncore/syncore/patch"
)

func TestMain(m *testing.M) {
	ChildMain()
	os.Exit(m.Run())
}

// TestSafeProtocolsHold: every site kind with its protocol and the default
// barrier (synccore) gives zero violations, and passes: with calls, and
// with patches that overlapped calls (ppc64le and arm64: emulated, the heap
// in the mode its probe chose).
func TestSafeProtocolsHold(t *testing.T) {
	host, _ := jit.HostArch()
	type tc struct {
		site  string
		proto patch.Protocol
	}
	cases := []tc{{"const", patch.Auto}, {"call", patch.Auto}, {"guard", patch.Auto}, {"retire", patch.Auto}}
	// The protocol Auto picks for a call or guard site (a constant is a
	// data slot everywhere).
	var word patch.Protocol
	switch host {
	case jit.ArchAMD64:
		word = patch.AtomicSlot
		cases = append(cases, tc{"const", patch.SelfLoop}, tc{"guard", patch.SelfLoop})
	case jit.ArchPPC64LE, jit.ArchARM64:
		// One word of the Power patch class or of the Arm ARM's B2.2.5
		// set: there is no multi-phase protocol to run as well.
		word = patch.PatchClass
	default:
		t.Fatalf("no expectation for %s", host)
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%v", c.site, c.proto), func(t *testing.T) {
			d := 700 * time.Millisecond
			if c.site == "retire" {
				d = 2 * time.Second // a compile and a grace period per patch
			}
			rep, err := RunChild(context.Background(), Config{Site: c.site, Protocol: c.proto, Barrier: "synccore",
				Threads: 2, Sites: 4, Duration: d}, nil)
			require.NoError(t, err)
			t.Logf("%s: %d calls, %d patches (%d overlapped a call), p50 %v p99 %v, protocol %s, heap %s, emulated %v",
				c.site, rep.Calls, rep.Patches, rep.Overlap, rep.Latency.P50, rep.Latency.P99, rep.Protocol, rep.HeapMode, rep.Emulated)
			want := c.proto
			if want == patch.Auto {
				want = map[string]patch.Protocol{"const": patch.DataSlot, "call": word, "guard": word, "retire": word}[c.site]
			}
			assert.Equal(t, want.String(), rep.Protocol, "on %s", host)
			assert.Zero(t, rep.Violations.Total(), "violations: %+v %v %s", rep.Violations, rep.Examples, rep.Crash)
			assert.Positive(t, rep.Calls)
			assert.Positive(t, rep.Patches)
			assert.Positive(t, rep.Overlap, "no patch overlapped a call")
			assert.LessOrEqual(t, rep.Overlap, rep.Patches)
			assert.Equal(t, VerdictPass, rep.Verdict, rep.VerdictReason)
			assert.EqualValues(t, DefaultMinOverlap, rep.Config.MinOverlap)
			if c.site == "retire" {
				assert.Positive(t, rep.Retired)
				assert.Less(t, rep.HeapPeak, 64<<10, "closed versions are reclaimed: %d retired", rep.Retired)
			}
		})
	}
}

// TestNegativeControlsAreCaught: the harness must detect an unsafe protocol
// (byte-by-byte writes with a pause, no barrier), a protocol that writes a
// site wider than one atomic store with several stores, and patches
// published before they took effect (Config.PublishEarly: stale results, of
// every site kind, guards included). A harness that never fails proves
// nothing; each control's verdict must be "fail". (The call control is
// caught on arm64 only because the harness's call targets lie far apart:
// see padding.)
func TestNegativeControlsAreCaught(t *testing.T) {
	host, _ := jit.HostArch()
	cases := []struct {
		cfg Config
		// stale: the control must be caught by the stale check itself
		// (its stores are atomic, so nothing is torn).
		stale bool
	}{
		{cfg: Config{Site: "const", Protocol: patch.Unsafe, Barrier: "none"}},
		{cfg: Config{Site: "call", Protocol: patch.Unsafe, Barrier: "none"}},
		{cfg: Config{Site: "guard", Protocol: patch.Unsafe, Barrier: "none"}},
		{cfg: Config{Site: "const", Protocol: patch.Straddle, Barrier: "synccore"}},
		{cfg: Config{Site: "guard", Barrier: "synccore", PublishEarly: true}, stale: true},
		{cfg: Config{Site: "call", Barrier: "synccore", PublishEarly: true}, stale: true},
		{cfg: Config{Site: "const", Barrier: "synccore", PublishEarly: true}, stale: true},
		// Programs closed without a grace period: a call still inside the
		// retired version runs traps (a crash) or a later version's code.
		{cfg: Config{Site: "retire", Barrier: "synccore", Reclaim: "unsafe"}},
	}
	for _, c := range cases {
		cfg := c.cfg
		name := fmt.Sprintf("%s/%v/%s", cfg.Site, cfg.Protocol, cfg.Barrier)
		if cfg.PublishEarly {
			name += "/publish-early"
		}
		if cfg.Reclaim != "" {
			name += "/reclaim-" + cfg.Reclaim
		}
		t.Run(name, func(t *testing.T) {
			cfg.Threads, cfg.Sites, cfg.Duration, cfg.StopOnViolation = 2, 2, 4*time.Second, true
			// A child that ran torn code may stop answering: it is then
			// killed at 2×4 s + 10 s and reported as a hang.
			defer func(g time.Duration) { childGrace = g }(childGrace)
			childGrace = 10 * time.Second
			start := time.Now()
			rep, err := RunChild(context.Background(), cfg, nil)
			require.NoError(t, err)
			t.Logf("%s on %s caught in %v after %d overlapping of %d patches, %d calls: %+v %v %s", name, host,
				time.Since(start).Round(time.Millisecond), rep.Overlap, rep.Patches, rep.Calls, rep.Violations, rep.Examples, rep.Crash)
			assert.Positive(t, rep.Violations.Total(), "the harness missed %s (%d calls, %d patches)", name, rep.Calls, rep.Patches)
			assert.Equal(t, VerdictFail, rep.Verdict)
			assert.Contains(t, rep.VerdictReason, "violation")
			if c.stale {
				assert.Positive(t, rep.Violations.Stale, "the stale check missed %s", name)
				assert.Zero(t, rep.Violations.Torn+rep.Violations.Crash+rep.Violations.Hang, "%v %s", rep.Examples, rep.Crash)
			}
		})
	}
}

// TestCallTargetsDifferInSeveralBytes: on every ISA, the call the harness's
// call sites make to one target and the call to the next differ in at least
// two bytes, so that the Unsafe control's byte-by-byte retarget passes
// through calls no patch wrote (a BL whose imm26 changed in one byte only
// was written whole in effect, and the control went uncaught on arm64).
func TestCallTargetsDifferInSeveralBytes(t *testing.T) {
	const sites = 4
	p, err := jasm.Parse("stress.jasm", []byte(program(kindOf("call"), sites)))
	require.NoError(t, err)
	encode := map[jit.Arch]func(from, to uint64) ([]byte, error){
		jit.ArchAMD64: func(from, to uint64) ([]byte, error) {
			b, err := x86.EncodeCallRel32(from, to)
			return b[:], err
		},
		jit.ArchPPC64LE: func(from, to uint64) ([]byte, error) {
			w, err := ppc.EncodeB(from, to, true)
			return binary.LittleEndian.AppendUint32(nil, w), err
		},
		jit.ArchARM64: func(from, to uint64) ([]byte, error) {
			w, err := a64.EncodeB(from, to, true)
			return binary.LittleEndian.AppendUint32(nil, w), err
		},
	}
	for arch, enc := range encode {
		code, err := jit.Compile(p, jit.CompileOptions{Arch: arch})
		require.NoError(t, err, arch)
		for i := range sites {
			si, ok := p.Site(fmt.Sprintf("s%d", i))
			require.True(t, ok)
			c := code.Sites[si].Site
			from := uint64(c.Offset + c.Change) // where the call or branch starts
			var calls [targets][]byte
			for j := range targets {
				f, ok := p.Func(fmt.Sprintf("t%d", j))
				require.True(t, ok)
				calls[j], err = enc(from, uint64(code.Entries[f]))
				require.NoError(t, err)
				require.Len(t, calls[j], c.ChangeLen, "%s: the bytes a retarget writes", arch)
			}
			for j := range targets {
				a, b := calls[j], calls[(j+1)%targets]
				differ := 0
				for k := range a {
					if a[k] != b[k] {
						differ++
					}
				}
				assert.GreaterOrEqual(t, differ, 2, "%s site s%d: t%d % x, t%d % x", arch, i, j, a, (j+1)%targets, b)
			}
		}
	}
}

// TestTooLittleEvidenceIsInconclusive: a safe run without violations does
// not pass when too few patches overlapped a call.
func TestTooLittleEvidenceIsInconclusive(t *testing.T) {
	// Three patches cannot reach the default of 100 overlapping ones.
	rep, err := RunChild(context.Background(), Config{Site: "guard", Threads: 2, Sites: 2, Patches: 3}, nil)
	require.NoError(t, err)
	require.Zero(t, rep.Violations.Total(), "%v %s", rep.Examples, rep.Crash)
	assert.LessOrEqual(t, rep.Overlap, rep.Patches)
	assert.EqualValues(t, 3, rep.Patches)
	assert.Equal(t, VerdictInconclusive, rep.Verdict, rep.VerdictReason)
	assert.Regexp(t, `^(0 calls|only [0-3] of 3 patches overlapped a call \(need 100\))`, rep.VerdictReason)

	// The same evidence as a passing run, judged against a higher bar.
	rep, err = RunChild(context.Background(), Config{Site: "call", Threads: 2, Sites: 2, Duration: 200 * time.Millisecond,
		MinOverlap: math.MaxInt}, nil)
	require.NoError(t, err)
	require.Zero(t, rep.Violations.Total(), "%v %s", rep.Examples, rep.Crash)
	assert.Positive(t, rep.Overlap)
	assert.Equal(t, VerdictInconclusive, rep.Verdict, rep.VerdictReason)
	assert.Equal(t, fmt.Sprintf("only %d of %d patches overlapped a call (need %d)", rep.Overlap, rep.Patches, math.MaxInt), rep.VerdictReason)
}

func TestCheck(t *testing.T) {
	// before: the version published (finished) before the call; hi: the
	// version started when it returned. Results from [before, hi] are fine.
	tests := []struct {
		kind        string
		r           int64
		before, hi  uint64
		stale, torn bool
	}{
		{"const", constValue(5), 5, 5, false, false},
		{"const", constValue(6), 5, 6, false, false}, // a patch to 6 in flight
		{"const", constValue(6), 5, 5, true, false},  // version 6 had not started
		{"const", constValue(4), 5, 5, true, false},
		{"const", constValue(4), 5, 6, true, false},
		{"const", constValue(4), 250, 260, false, false}, // 260 has low byte 4
		{"const", constValue(249), 250, 260, true, false},
		{"const", constValue(0), 1, 256, false, false}, // every byte possible
		{"const", 0x0505050505050504, 5, 5, false, true},
		{"call", 2, 1, 1, false, false},
		{"call", 1, 1, 1, true, false}, // target 0 is version 0 (or 4)
		{"call", 3, 1, 1, true, false}, // version 2 had not started
		{"call", 3, 1, 2, false, false},
		{"call", 4, 1, 3, false, false},
		{"call", 1, 1, 3, true, false},
		{"call", 1, 1, 4, false, false}, // version 4 calls target 0
		{"call", 1, 9, 12, false, false},
		{"call", 5, 1, 1, false, true},
		{"call", 0, 1, 1, false, true},
		// Guards: odd versions are armed (result 2), even ones disarmed (1).
		{"guard", 2, 1, 1, false, false},
		{"guard", 1, 1, 1, true, false}, // Arm to 1 returned: the disarmed path is stale
		{"guard", 2, 2, 2, true, false}, // Disarm to 2 returned: the armed path is stale
		{"guard", 1, 0, 0, false, false},
		{"guard", 2, 0, 0, true, false},     // Arm to 1 had not started
		{"guard", 1, 1, 2, false, false},    // Disarm to 2 in flight
		{"guard", 2, 2, 3, false, false},    // Arm to 3 in flight
		{"guard", 1, 101, 101, true, false}, // far from 0
		{"guard", 2, 100, 100, true, false}, //
		{"guard", 1, 5, 4, true, false},     // hi below before is read as before
		{"guard", 3, 0, 0, false, true},
		{"guard", 0, 0, 5, false, true},
		// Retire: version v's program returns v+1; versions never repeat.
		{"retire", 6, 5, 5, false, false},
		{"retire", 7, 5, 6, false, false},        // a retarget to 6 in flight
		{"retire", 7, 5, 5, true, false},         // version 6 had not started
		{"retire", 5, 5, 5, true, false},         // version 4 was retired
		{"retire", 5, 5, 9, true, false},         // older than before, whatever hi is
		{"retire", 1, 5, 9, true, false},         // version 0, t0 in the program itself
		{"retire", 1, 0, 0, false, false},        //
		{"retire", 1000, 5, 9, true, false},      // far above hi: no patch had begun it
		{"retire", 1 << 61, 5, 9, true, false},   // far above hi, still a version
		{"retire", 0, 5, 9, false, true},         // no version returns 0
		{"retire", -3, 5, 9, false, true},        //
		{"retire", 1<<62 + 1, 5, 9, false, true}, // beyond every version
		{"retire", math.MaxInt64, 0, 0, false, true},
	}
	for _, tc := range tests {
		k := kindOf(tc.kind)
		require.NotNil(t, k, tc.kind)
		stale, torn := k.check(tc.r, tc.before, tc.hi)
		assert.Equal(t, tc.stale, stale, "stale: %+v", tc)
		assert.Equal(t, tc.torn, torn, "torn: %+v", tc)
	}
	for _, name := range SiteKinds {
		assert.NotNil(t, kindOf(name), name)
	}
}

// TestOverlapped: a patch overlapped a call when one was inside the site's
// function as it began, or one entered it before it returned.
func TestOverlapped(t *testing.T) {
	tests := []struct {
		name       string
		e0, x0, e1 uint64
		want       bool
	}{
		{"nothing ran", 0, 0, 0, false},
		{"calls before, none in flight, none during", 5, 5, 5, false},
		{"one in flight as the patch began", 6, 5, 6, true},
		{"several in flight", 9, 5, 9, true},
		{"one entered during the patch", 5, 5, 6, true},
		{"in flight and entered during", 6, 5, 8, true},
		{"one entered and returned between the reads of e0 and x0", 5, 6, 6, true},
		{"counters past 2^63", 1<<63 + 2, 1<<63 + 1, 1<<63 + 2, true},
		{"counters past 2^63, idle", 1<<63 + 2, 1<<63 + 2, 1<<63 + 2, false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, overlapped(tc.e0, tc.x0, tc.e1), tc.name)
	}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		rep    Report
		want   Verdict
		reason string
	}{
		{Report{Calls: 0, Patches: 1}, VerdictInconclusive, "0 calls: no result was checked"},
		{Report{Calls: 10}, VerdictInconclusive, "0 patches: the code never changed under the 10 calls"},
		{Report{Calls: 10, Patches: 1, Overlap: 1}, VerdictInconclusive, "only 1 of 1 patches overlapped a call (need 100)"},
		{Report{Calls: 10, Patches: 500, Overlap: 99}, VerdictInconclusive, "only 99 of 500 patches overlapped a call (need 100)"},
		{Report{Calls: 10, Patches: 500, Overlap: 100}, VerdictPass, "no violation in 10 calls; 100 of 500 patches overlapped a call (need 100)"},
		{Report{Config: Config{MinOverlap: 1}, Calls: 10, Patches: 5, Overlap: 1}, VerdictPass, "no violation in 10 calls; 1 of 5 patches overlapped a call (need 1)"},
		{Report{Calls: 10, Patches: 500, Overlap: 500, Violations: Violations{Stale: 1}}, VerdictFail, "1 violation(s): stale 1, torn 0, crash 0, hang 0"},
		{Report{Violations: Violations{Crash: 1}}, VerdictFail, "1 violation(s): stale 0, torn 0, crash 1, hang 0"},
		{Report{Calls: 3, Patches: 1, Violations: Violations{Torn: 2, Hang: 1}}, VerdictFail, "3 violation(s): stale 0, torn 2, crash 0, hang 1"},
	}
	for _, tc := range tests {
		r := tc.rep
		require.NoError(t, r.Config.defaults())
		r.judge()
		assert.Equal(t, tc.want, r.Verdict, "%+v", tc.rep)
		assert.Equal(t, tc.reason, r.VerdictReason)
	}
}

// TestLostChild: the report of a child that died keeps its last progress
// counts, adds the violations it had found to the crash, and fails.
func TestLostChild(t *testing.T) {
	var last atomic.Pointer[Progress]
	cfg := Config{Site: "call"}
	require.NoError(t, cfg.defaults())
	rep := lostChild(cfg, &last, Violations{Crash: 1}, "SIGILL")
	assert.Equal(t, VerdictFail, rep.Verdict)
	assert.Zero(t, rep.Calls)
	last.Store(&Progress{Elapsed: time.Second, Calls: 1000, Patches: 300, Overlap: 200, Violations: Violations{Torn: 2}})
	rep = lostChild(cfg, &last, Violations{Hang: 1}, "stopped answering")
	assert.Equal(t, Violations{Torn: 2, Hang: 1}, rep.Violations)
	assert.EqualValues(t, 1000, rep.Calls)
	assert.EqualValues(t, 300, rep.Patches)
	assert.EqualValues(t, 200, rep.Overlap)
	assert.Equal(t, VerdictFail, rep.Verdict)
	assert.Equal(t, "3 violation(s): stale 0, torn 2, crash 0, hang 1", rep.VerdictReason)
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
	for _, cfg := range []Config{{Site: "nope"}, {Sites: 2, Patchers: 3}, {Threads: 5000}, {MinOverlap: -1}} {
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
	assert.LessOrEqual(t, last.Overlap, rep.Overlap)
	assert.LessOrEqual(t, last.Overlap, last.Patches)
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
	assert.Equal(t, VerdictFail, rep.Verdict, "a hang is a violation, whatever the evidence")
	assert.Less(t, time.Since(start), 10*time.Second)
}

// flaky is a barrier that fails while fail is set.
type flaky struct{ fail bool }

func (*flaky) Name() string      { return "flaky" }
func (*flaky) Serialising() bool { return true }
func (f *flaky) Sync() error {
	if f.fail {
		return errors.New("barrier failed (test)")
	}
	return patch.SyncCore{}.Sync()
}

// TestRetireMover: the retire kind compiles a version in its prepare step,
// which leaves the site alone; its patch retargets the site and closes the
// version replaced. A retarget that fails closes the prepared version, and
// reports that Close's error too.
func TestRetireMover(t *testing.T) {
	rt, err := jit.New(jit.Options{})
	require.NoError(t, err)
	defer rt.Close()
	k := kindOf("retire")
	prog, err := rt.Compile("stress.jasm", []byte(program(k, 1)))
	require.NoError(t, err)
	var retired atomic.Uint64
	move, err := k.patcher(prog, &retired)
	require.NoError(t, err)
	require.NotNil(t, move.prepare)
	b := &flaky{}
	pt, err := patch.New(rt, patch.Options{Strategy: b})
	require.NoError(t, err)
	s, err := pt.Site(prog, "s0")
	require.NoError(t, err)
	w0 := func() int64 {
		v, err := prog.Func("w0").Call()
		require.NoError(t, err)
		return v
	}
	require.EqualValues(t, 1, w0())
	for v := uint64(1); v <= 3; v++ {
		require.NoError(t, move.prepare(s, v))
		assert.EqualValues(t, v, w0(), "prepare leaves the site alone")
		require.NoError(t, move.patch(s, v))
		assert.EqualValues(t, v+1, w0())
		assert.Equal(t, v-1, retired.Load(), "version 0 is t0, in the program itself")
	}
	assert.ErrorContains(t, move.patch(s, 4), "not prepared")

	// The retarget's barrier fails: the site may call the prepared version
	// already, so closing it fails too (jit.ErrInUse), and both are said.
	inUse := rt.Heap().Stats().InUse
	require.NoError(t, move.prepare(s, 4))
	assert.Greater(t, rt.Heap().Stats().InUse, inUse, "the version is compiled")
	b.fail = true
	err = move.patch(s, 4)
	assert.ErrorIs(t, err, patch.ErrBarrierFailed)
	assert.ErrorIs(t, err, jit.ErrInUse, "%v", err)
	assert.EqualValues(t, 2, retired.Load())

	// The retarget fails before it writes anything: the prepared version
	// is closed, and its code freed.
	b.fail = false
	require.NoError(t, prog.Close())
	inUse = rt.Heap().Stats().InUse
	require.NoError(t, move.prepare(s, 5))
	err = move.patch(s, 5)
	assert.ErrorIs(t, err, jit.ErrClosed)
	assert.NotErrorIs(t, err, jit.ErrInUse)
	assert.Equal(t, inUse, rt.Heap().Stats().InUse, "the prepared version was closed")
}
