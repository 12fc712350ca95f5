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
	a.CallSlot("c", one)
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
