package jit_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/codegen/amd64"
	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/patch"
)

// TestLoadAsmSites: every kind of site a VM can assemble on amd64 — a data
// slot, a movabs and a mov-imm32 immediate, a guard — becomes a patch site
// that package patch changes with the protocol its guarantee calls for.
func TestLoadAsmSites(t *testing.T) {
	a := amd64.New()
	data, imm32, imm64, guarded, slow, park := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
	slot := a.NewLabel()
	a.Bind(data) // data() = the data slot's value
	a.LoadRIP(amd64.RAX, slot)
	a.Ret()
	a.Bind(imm32) // imm32() = a mov-imm32 immediate
	a.MovImm32Site("i", amd64.RAX, -5)
	a.Ret()
	a.Bind(imm64) // imm64() = a movabs immediate (self-loop protocol, parked through park)
	a.Align(8)
	site := a.NewLabel()
	a.Bind(site)
	a.MovAbsSite("m", amd64.RAX, 1<<40, park)
	a.Ret()
	a.Bind(park)
	a.Jmp(site)
	a.Bind(guarded) // guarded() = 10, or 20 once armed
	a.GuardSite("g", slow)
	a.MovRI(amd64.RAX, 10)
	a.Ret()
	a.Bind(slow)
	a.MovRI(amd64.RAX, 20)
	a.Ret()
	a.BindDataSlot(slot, "d", 7) // after the code
	blob, err := a.Finish()
	require.NoError(t, err)
	rt, err := jit.New(jit.Options{})
	require.NoError(t, err)
	defer rt.Close()
	prog, err := rt.LoadAsm("sites", blob, []jit.Entry{
		{Name: "data", Offset: blob.Offset(data)}, {Name: "imm32", Offset: blob.Offset(imm32)},
		{Name: "imm64", Offset: blob.Offset(imm64)}, {Name: "guarded", Offset: blob.Offset(guarded)},
	})
	require.NoError(t, err)
	call := func(fn string) int64 {
		v, err := prog.Func(fn).Call()
		require.NoError(t, err)
		return v
	}
	assert.EqualValues(t, 7, call("data"))
	assert.EqualValues(t, -5, call("imm32"))
	assert.EqualValues(t, 1<<40, call("imm64"))
	assert.EqualValues(t, 10, call("guarded"))

	p, err := patch.New(rt, patch.Options{})
	require.NoError(t, err)
	want := map[string]patch.Protocol{"d": patch.DataSlot, "i": patch.AtomicSlot, "m": patch.SelfLoop, "g": patch.AtomicSlot}
	sites := map[string]*patch.Site{}
	for name, proto := range want {
		s, err := p.Site(prog, name)
		require.NoError(t, err, name)
		assert.Equal(t, proto, s.Protocol(), name)
		sites[name] = s
	}
	assert.EqualValues(t, 7, sites["d"].Value())
	assert.EqualValues(t, -5, sites["i"].Value())
	assert.EqualValues(t, 1<<40, sites["m"].Value())
	require.NoError(t, p.Batch().SetConst(sites["d"], 70).SetConst(sites["i"], -1<<31).SetConst(sites["m"], -3).Arm(sites["g"]).Commit())
	assert.EqualValues(t, 70, call("data"))
	assert.EqualValues(t, -1<<31, call("imm32"))
	assert.EqualValues(t, -3, call("imm64"))
	assert.EqualValues(t, 20, call("guarded"))
	assert.ErrorIs(t, sites["i"].SetConst(1<<31), patch.ErrSiteKind, "32-bit immediate")

	require.NoError(t, prog.Close())
	assert.ErrorIs(t, sites["d"].SetConst(1), jit.ErrClosed)
}

// TestLoadAsmRefusesJumpSlots: patch retargets calls; a jump slot is
// refused at load with a clear error.
func TestLoadAsmRefusesJumpSlots(t *testing.T) {
	a := amd64.New()
	f, g := a.NewLabel(), a.NewLabel()
	a.Bind(f)
	a.JumpSite("j", g)
	a.Bind(g)
	a.Ret()
	blob, err := a.Finish()
	require.NoError(t, err)
	rt, err := jit.New(jit.Options{})
	require.NoError(t, err)
	defer rt.Close()
	_, err = rt.LoadAsm("jump", blob, []jit.Entry{{Name: "f", Offset: blob.Offset(f)}, {Name: "g", Offset: blob.Offset(g)}})
	assert.ErrorIs(t, err, jit.ErrAsm)
	assert.ErrorContains(t, err, "jump slot")
}
