package patch

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/membarrier"
)

const sitesProgram = `
func one 0
    push 1
    ret
end
func two 0
    push 2
    ret
end
func konst 0
    pconst k 7
    ret
end
func call 0
    pcall c one
    ret
end
func guarded 0
    guard g slow
    push 10
    ret
slow:
    push 20
    ret
end
func main 0
    push 0
    ret
end
`

func setup(t *testing.T, jo jit.Options, po Options) (*jit.Program, *Patcher) {
	t.Helper()
	rt, err := jit.New(jo)
	require.NoError(t, err)
	t.Cleanup(func() { rt.Close() })
	prog, err := rt.Compile("sites.jasm", []byte(sitesProgram))
	require.NoError(t, err)
	p, err := New(rt, po)
	require.NoError(t, err)
	return prog, p
}

func call(t *testing.T, prog *jit.Program, fn string) int64 {
	t.Helper()
	v, err := prog.Func(fn).Call()
	require.NoError(t, err)
	return v
}

func TestSiteOperations(t *testing.T) {
	host, _ := jit.HostArch()
	type cfg struct {
		pconst jit.PConstMode
		proto  Protocol
	}
	cfgs := []cfg{{jit.PConstData, Auto}, {jit.PConstData, Unsafe}}
	if host == jit.ArchAMD64 {
		cfgs = append(cfgs, cfg{jit.PConstCode, Auto}, cfg{jit.PConstCode, Straddle}, cfg{jit.PConstData, Straddle})
	}
	for _, barrier := range []string{"synccore", "expedited", "mprotect", "handshake", "global", "none"} {
		for _, c := range cfgs {
			t.Run(fmt.Sprintf("%s/%v/%v", barrier, c.pconst, c.proto), func(t *testing.T) {
				po := Options{Barrier: barrier, Protocol: c.proto}
				if c.proto == Straddle {
					po.Protocol = Auto // only the const site allows it; forced below
				}
				prog, p := setup(t, jit.Options{PConst: c.pconst}, po)
				k, err := p.Site(prog, "k")
				require.NoError(t, err)
				if c.proto == Straddle {
					k.proto = Straddle
				}
				cs, err := p.Site(prog, "c")
				require.NoError(t, err)
				g, err := p.Site(prog, "g")
				require.NoError(t, err)
				t.Logf("protocols: k %v, c %v, g %v; barrier %s (%s)", k.Protocol(), cs.Protocol(), g.Protocol(), p.Barrier().Name(), p.Reason())

				assert.EqualValues(t, 7, call(t, prog, "konst"))
				for _, v := range []int64{-1, 1 << 40, -1 << 63, 0x0102030405060708, 7} {
					require.NoError(t, k.SetConst(v))
					assert.Equal(t, v, call(t, prog, "konst"))
					assert.Equal(t, v, k.Value())
				}
				assert.EqualValues(t, 1, call(t, prog, "call"))
				two, _ := prog.Jasm().Func("two")
				one, _ := prog.Jasm().Func("one")
				require.NoError(t, cs.Retarget(two))
				assert.EqualValues(t, 2, call(t, prog, "call"))
				require.NoError(t, cs.Retarget(one))
				assert.EqualValues(t, 1, call(t, prog, "call"))
				assert.EqualValues(t, 10, call(t, prog, "guarded"))
				require.NoError(t, g.Arm())
				assert.EqualValues(t, 20, call(t, prog, "guarded"))
				require.NoError(t, g.Disarm())
				assert.EqualValues(t, 10, call(t, prog, "guarded"))

				// The same site twice in a batch: the later change wins.
				require.NoError(t, p.Batch().SetConst(k, 5).SetConst(k, 6).Commit())
				assert.EqualValues(t, 6, call(t, prog, "konst"))
				// A batch: all three at once.
				require.NoError(t, p.Batch().SetConst(k, 99).Retarget(cs, two).Arm(g).Commit())
				assert.EqualValues(t, 99, call(t, prog, "konst"))
				assert.EqualValues(t, 2, call(t, prog, "call"))
				assert.EqualValues(t, 20, call(t, prog, "guarded"))
			})
		}
	}
}

func TestSiteErrors(t *testing.T) {
	prog, p := setup(t, jit.Options{}, Options{})
	_, err := p.Site(prog, "nope")
	assert.ErrorIs(t, err, ErrNoSite)
	k, _ := p.Site(prog, "k")
	cs, _ := p.Site(prog, "c")
	assert.ErrorIs(t, k.Arm(), ErrSiteKind)
	main, _ := prog.Jasm().Func("main")
	assert.NoError(t, cs.Retarget(main), "same arity (0) is fine")
	assert.ErrorIs(t, cs.Retarget(99), ErrOtherTarget)
	assert.ErrorIs(t, p.Batch().SetConst(cs, 1).Commit(), ErrSiteKind)
	_, err = New(nil, Options{Barrier: "bogus"})
	assert.Error(t, err)
	host, _ := jit.HostArch()
	switch host {
	case jit.ArchAMD64:
		prog2, p2 := setup(t, jit.Options{PConst: jit.PConstCode}, Options{Protocol: AtomicSlot})
		_, err := p2.Site(prog2, "k")
		assert.ErrorIs(t, err, ErrProtocol, "a movabs site straddles qwords: no single atomic store")
		prog3, p3 := setup(t, jit.Options{}, Options{Protocol: SelfLoop})
		_, err = p3.Site(prog3, "c")
		assert.ErrorIs(t, err, ErrProtocol, "a call slot has nowhere to park threads that can poll")
		_, err = p3.Site(prog3, "g")
		assert.NoError(t, err, "a guard parks threads on its label")
	case jit.ArchPPC64LE, jit.ArchARM64:
		// Every code site is one word of the ISA's concurrently
		// modifiable set (Power patch class; Arm ARM B2.2.5): AtomicSlot
		// means PatchClass, Straddle has nothing to split, and a constant
		// can only be data.
		prog2, p2 := setup(t, jit.Options{}, Options{Protocol: AtomicSlot})
		for _, name := range []string{"c", "g"} {
			s, err := p2.Site(prog2, name)
			require.NoError(t, err, name)
			assert.Equal(t, PatchClass, s.Protocol(), name)
		}
		prog3, p3 := setup(t, jit.Options{}, Options{Protocol: Straddle})
		for _, name := range []string{"c", "g"} {
			_, err := p3.Site(prog3, name)
			assert.ErrorIs(t, err, ErrProtocol, "%s: one word is one store", name)
		}
		_, err := p3.Site(prog3, "k")
		assert.NoError(t, err, "a data slot can be straddled (the negative control)")
		rt, err := jit.New(jit.Options{PConst: jit.PConstCode})
		require.NoError(t, err)
		defer rt.Close()
		_, err = rt.Compile("sites.jasm", []byte(sitesProgram))
		assert.ErrorIs(t, err, jit.ErrCompile, "no immediate may change under running threads on %s", host)
	default:
		t.Fatalf("no expectation for %s", host)
	}
}

// TestBarrierFallback covers the selection logic with injected failures
// (the seccomp test runs the real thing natively).
func TestBarrierFallback(t *testing.T) {
	denied := &membarrier.Error{Op: "register", Cmd: membarrier.CmdRegisterPrivateExpeditedSyncCore, Kind: membarrier.ErrUnsupported}
	b, why, err := chooseBarrier("", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "synccore", b.Name())
	t.Log(why)

	// With SYNC_CORE denied the second strategy of this GOARCH's order is
	// chosen: mprotect on x86, global elsewhere (FallbackOrderFor). GLOBAL
	// is reported available so the choice does not depend on the kernel.
	withGlobal := func() (membarrier.CmdSet, error) { return membarrier.CmdSet(membarrier.CmdGlobal), nil }
	b, why, err = chooseBarrier("", denied, withGlobal)
	require.NoError(t, err)
	assert.Equal(t, FallbackOrder[1], b.Name(), why)
	assert.Contains(t, why, "synccore: registering for SYNC_CORE failed")
	assert.Contains(t, why, "chose "+FallbackOrder[1])

	_, _, err = chooseBarrier("synccore", denied, nil)
	assert.ErrorIs(t, err, ErrBarrier)
	assert.ErrorIs(t, err, membarrier.ErrUnsupported)

	noGlobal := func() (membarrier.CmdSet, error) { return 0, errors.New("no membarrier") }
	_, _, err = chooseBarrier("global", nil, noGlobal)
	assert.ErrorIs(t, err, ErrBarrier)
}

func TestSitesOfAClosedProgram(t *testing.T) {
	prog, p := setup(t, jit.Options{}, Options{})
	k, err := p.Site(prog, "k")
	require.NoError(t, err)
	require.NoError(t, prog.Close())
	assert.ErrorIs(t, k.SetConst(1), jit.ErrClosed)
	assert.ErrorIs(t, p.Batch().SetConst(k, 1).Commit(), jit.ErrClosed)
}

// TestInitialState: a fresh site's Value is its initial state: the pconst
// value, the pcall callee's index, and 0 for a guard (disarmed), whose jasm
// Init is its label's instruction index, not a state.
func TestInitialState(t *testing.T) {
	prog, p := setup(t, jit.Options{}, Options{})
	sites := map[string]*Site{}
	for _, name := range []string{"k", "c", "g"} {
		s, err := p.Site(prog, name)
		require.NoError(t, err)
		sites[name] = s
	}
	gi, _ := prog.Jasm().Site("g")
	require.NotZero(t, prog.Jasm().Sites[gi].Init, "precondition: the guard's Init is not 0")
	one, _ := prog.Jasm().Func("one")
	assert.EqualValues(t, 7, sites["k"].Value())
	assert.EqualValues(t, one, sites["c"].Value())
	assert.Same(t, prog.Func("one"), sites["c"].Target())
	assert.EqualValues(t, 0, sites["g"].Value(), "a guard starts disarmed")
	assert.Nil(t, sites["k"].Target())
	assert.Nil(t, sites["g"].Target())
}
