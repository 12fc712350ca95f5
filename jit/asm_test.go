//go:build linux && (amd64 || ppc64le)

package jit_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/amd64"
	"github.com/syncore/syncore/codegen/ppc64"
	"github.com/syncore/syncore/jit"
)

// TestLoadAsmErrors: what LoadAsm refuses, each with ErrAsm and a reason.
func TestLoadAsmErrors(t *testing.T) {
	rt, err := jit.New(jit.Options{})
	require.NoError(t, err)
	defer rt.Close()
	blob, entries, err := assembleDispatch()
	require.NoError(t, err)
	prog, err := rt.LoadAsm("ok", blob, entries)
	require.NoError(t, err)
	require.NoError(t, prog.Close())

	// The other ISA's code.
	var other *codegen.Blob
	if host, _ := jit.HostArch(); host == jit.ArchAMD64 {
		a := ppc64.New()
		a.Blr()
		other, err = a.Finish()
	} else {
		a := amd64.New()
		a.Ret()
		other, err = a.Finish()
	}
	require.NoError(t, err)

	noTarget := *blob
	noTarget.Sites = append([]codegen.Site(nil), blob.Sites...)
	cases := []struct {
		name    string
		blob    *codegen.Blob
		entries []jit.Entry
		want    string
	}{
		{"nil blob", nil, entries, "no code"},
		{"other ISA", other, []jit.Entry{{Name: "f"}}, "assembled for"},
		{"unnamed entry", blob, []jit.Entry{{Offset: 0}}, "has no name"},
		{"entry outside", blob, []jit.Entry{{Name: "f", Offset: len(blob.Code)}}, "outside"},
		{"too many params", blob, []jit.Entry{{Name: "f", Params: 9}}, "parameters"},
		{"two entries, one name", blob, []jit.Entry{{Name: "f"}, {Name: "f", Offset: entries[1].Offset}}, "two entries called f"},
		{"two entries, one offset", blob, append(entries[:len(entries):len(entries)], jit.Entry{Name: "alias", Offset: entries[0].Offset, Params: entries[0].Params + 1}), "two entries at offset"},
		{"call target not an entry", blob, entries[1:], "not an entry"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rt.LoadAsm("t", tc.blob, tc.entries)
			assert.ErrorIs(t, err, jit.ErrAsm)
			assert.ErrorContains(t, err, tc.want)
		})
	}

	// A site that claims a guarantee its offsets break.
	bad := *blob
	bad.Sites = append([]codegen.Site(nil), blob.Sites...)
	if host, _ := jit.HostArch(); host == jit.ArchAMD64 {
		bad.Sites[0].Offset -= 4 // the call slot's rel32 across a qword boundary
	} else {
		bad.Sites[0].Offset -= 2 // a misaligned word
	}
	_, err = rt.LoadAsm("bad", &bad, entries)
	assert.ErrorIs(t, err, jit.ErrAsm)
	assert.ErrorContains(t, err, "claims")
}
