//go:build linux

package patch

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/amd64"
	"github.com/syncore/syncore/jit"
)

// Sites of code assembled with codegen/amd64 and loaded with
// jit.Runtime.LoadAsm.

// loadAsm finishes a and loads it into a new runtime with the entries
// named by labels; edit, when not nil, may change the blob first.
func loadAsm(t *testing.T, a *amd64.Asm, labels map[string]codegen.Label, edit func(*codegen.Blob)) *jit.Program {
	t.Helper()
	blob, err := a.Finish()
	require.NoError(t, err)
	if edit != nil {
		edit(blob)
	}
	var entries []jit.Entry
	for name, l := range labels {
		entries = append(entries, jit.Entry{Name: name, Offset: blob.Offset(l)})
	}
	rt, err := jit.New(jit.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { rt.Close() })
	prog, err := rt.LoadAsm("asm", blob, entries)
	require.NoError(t, err)
	return prog
}

// TestMultiWordCallSiteIsRefused: a call slot whose blob claims MultiWord
// would be patched with the self-loop protocol, whose park on a call
// jumps into the callee (a tail call that returns past the caller): no
// protocol is allowed on it.
func TestMultiWordCallSiteIsRefused(t *testing.T) {
	a := amd64.New()
	one, main := a.NewLabel(), a.NewLabel()
	a.Bind(one)
	a.MovRI(amd64.RAX, 1)
	a.Ret()
	a.Bind(main)
	a.CallSite("c", one)
	a.Ret()
	prog := loadAsm(t, a, map[string]codegen.Label{"one": one, "main": main}, func(b *codegen.Blob) {
		require.Equal(t, codegen.SiteBranch, b.Sites[0].Kind)
		b.Sites[0].Guarantee = codegen.MultiWord
	})
	v, err := prog.Func("main").Call()
	require.NoError(t, err)
	require.EqualValues(t, 1, v)
	for _, proto := range []Protocol{Auto, SelfLoop, Straddle} {
		p, err := New(prog.Runtime(), Options{Protocol: proto})
		require.NoError(t, err)
		_, err = p.Site(prog, "c")
		assert.ErrorIs(t, err, ErrProtocol, "%v", proto)
	}
}

// guards assembles f2 and f5, each a guard of that many bytes that returns
// 10 (f5: 30) when disarmed and 20 (f5: 40) when armed.
func guards(t *testing.T) *jit.Program {
	t.Helper()
	a := amd64.New()
	f2, slow2, f5, slow5 := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.Bind(f2)
	a.GuardSite8("g2", slow2)
	a.MovRI(amd64.RAX, 10)
	a.Ret()
	a.Bind(slow2)
	a.MovRI(amd64.RAX, 20)
	a.Ret()
	a.Bind(f5)
	a.GuardSite("g5", slow5)
	a.MovRI(amd64.RAX, 30)
	a.Ret()
	a.Bind(slow5)
	a.MovRI(amd64.RAX, 40)
	a.Ret()
	return loadAsm(t, a, map[string]codegen.Label{"f2": f2, "f5": f5}, nil)
}

// TestTwoByteGuard: a 2-byte guard (codegen/amd64 GuardSite8) is
// armed with jmp rel8 (EB rel8), the size of its nop (66 90). (Before, Arm
// encoded a 5-byte jmp rel32 and panicked: "BUG: 5 new bytes for a site
// that changes 2".) The self-loop protocol, whose park is a 5-byte jmp, is
// refused on it, and still allowed on a 5-byte guard.
func TestTwoByteGuard(t *testing.T) {
	prog := guards(t)
	rt := prog.Runtime()
	call := func(fn string) int64 {
		t.Helper()
		v, err := prog.Func(fn).Call()
		require.NoError(t, err)
		return v
	}
	bytesOf := func(s *Site) []byte {
		rt.LockWrites()
		defer rt.UnlockWrites()
		return s.bytes(nil)
	}
	assert.EqualValues(t, 10, call("f2"))
	assert.EqualValues(t, 30, call("f5"))
	for _, proto := range []Protocol{Auto, Unsafe} {
		t.Run(proto.String(), func(t *testing.T) {
			p, err := New(rt, Options{Protocol: proto})
			require.NoError(t, err)
			g, err := p.Site(prog, "g2")
			require.NoError(t, err)
			require.Equal(t, 2, g.Code().Site.Size)
			if proto == Auto {
				assert.Equal(t, AtomicSlot, g.Protocol())
			}
			for range 3 {
				require.NoError(t, g.Arm())
				assert.EqualValues(t, 1, g.Value())
				assert.EqualValues(t, 20, call("f2"))
				b := bytesOf(g)
				assert.Equal(t, byte(0xEB), b[0], "jmp rel8: % x", b)
				require.NoError(t, g.Disarm())
				assert.EqualValues(t, 0, g.Value())
				assert.EqualValues(t, 10, call("f2"))
				assert.Equal(t, []byte{0x66, 0x90}, bytesOf(g))
			}
			require.NoError(t, p.Batch().Arm(g).Commit())
			assert.EqualValues(t, 20, call("f2"))
			require.NoError(t, p.Batch().Disarm(g).Commit())
			assert.EqualValues(t, 10, call("f2"))
		})
	}
	t.Run("selfloop", func(t *testing.T) {
		p, err := New(rt, Options{Protocol: SelfLoop})
		require.NoError(t, err)
		_, err = p.Site(prog, "g2")
		assert.ErrorIs(t, err, ErrProtocol, "a 2-byte guard has no room for the 5-byte park")
		g5, err := p.Site(prog, "g5")
		require.NoError(t, err)
		require.Equal(t, SelfLoop, g5.Protocol())
		require.NoError(t, g5.Arm())
		assert.EqualValues(t, 40, call("f5"))
		require.NoError(t, g5.Disarm())
		assert.EqualValues(t, 30, call("f5"))
		assert.EqualValues(t, 10, call("f2"), "the 5-byte guard's changes left the other alone")
	})
	t.Run("encoding", func(t *testing.T) {
		p, err := New(rt, Options{})
		require.NoError(t, err)
		g, err := p.Site(prog, "g2")
		require.NoError(t, err)
		at := g.rx(g.Code().Site.Offset)
		b, err := amd64Bytes{}.guardBytes(g, nil, true, at+2+127)
		require.NoError(t, err)
		assert.Equal(t, []byte{0xEB, 0x7F}, b, "the farthest forward target")
		b, err = amd64Bytes{}.guardBytes(g, nil, true, at+2-128)
		require.NoError(t, err)
		assert.Equal(t, []byte{0xEB, 0x80}, b, "the farthest backward target")
		_, err = amd64Bytes{}.guardBytes(g, nil, true, at+2+128)
		assert.ErrorIs(t, err, codegen.ErrOutOfRange, "out of rel8 reach")
		odd := *g
		odd.code.Site.Size, odd.code.Site.ChangeLen = 3, 3
		_, err = amd64Bytes{}.guardBytes(&odd, nil, true, at)
		assert.ErrorIs(t, err, ErrSiteKind, "no 3-byte jmp")
	})
}

// TestBatchThatCannotEncodeLetsGoOfItsReferences: a batch that retargets a
// call slot to another program and sets a 32-bit immediate out of its range
// fails before it writes anything (ErrSiteKind); the reference it had taken
// on the other program is dropped, so that program can be closed.
func TestBatchThatCannotEncodeLetsGoOfItsReferences(t *testing.T) {
	a := amd64.New()
	one, main, imm := a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.Bind(one)
	a.MovRI(amd64.RAX, 1)
	a.Ret()
	a.Bind(main)
	a.CallSite("c", one)
	a.Ret()
	a.Bind(imm)
	a.MovImm32Site("i", amd64.RAX, 5)
	a.Ret()
	prog := loadAsm(t, a, map[string]codegen.Label{"one": one, "main": main, "imm": imm}, nil)
	rt := prog.Runtime()
	p, err := New(rt, Options{})
	require.NoError(t, err)
	c, err := p.Site(prog, "c")
	require.NoError(t, err)
	i, err := p.Site(prog, "i")
	require.NoError(t, err)
	other, err := rt.Compile("v.jasm", []byte(version(9)))
	require.NoError(t, err)
	err = p.Batch().RetargetFunc(c, other.Func("main")).SetConst(i, 1<<40).Commit()
	require.ErrorIs(t, err, ErrSiteKind)
	assert.Same(t, prog.Func("one"), c.Target(), "nothing changed")
	for fn, want := range map[string]int64{"main": 1, "imm": 5} {
		v, err := prog.Func(fn).Call()
		require.NoError(t, err)
		assert.Equal(t, want, v, fn)
	}
	require.NoError(t, other.Close(), "the failed batch dropped its reference")
}
