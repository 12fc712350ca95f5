package codegen_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/codegen"
	x86 "github.com/syncore/syncore/codegen/amd64"
	a64 "github.com/syncore/syncore/codegen/arm64"
	"github.com/syncore/syncore/codegen/ppc64"
)

// siteAsm is what the site tests need of an ISA's assembler.
type siteAsm interface {
	codegen.SiteEmitter
	Emit(...byte)
	NewLabel() codegen.Label
	Bind(codegen.Label)
	Finish() (*codegen.Blob, error)
}

// TestWordSites: on the word ISAs every site is one aligned word (a data
// slot an aligned doubleword), and a site placed after raw bytes that broke
// the word stream is refused with ErrBadOperand instead of recorded
// misaligned; on amd64 (1-byte instructions) a data slot after odd bytes is
// padded to 8.
func TestWordSites(t *testing.T) {
	asms := map[string]func() siteAsm{
		"ppc64": func() siteAsm { return ppc64.New() },
		"arm64": func() siteAsm { return a64.New() },
		"amd64": func() siteAsm { return x86.New() },
	}
	for name, newAsm := range asms {
		t.Run(name, func(t *testing.T) {
			a := newAsm()
			l := a.DataSlot("d0", 7) // a label to point the sites at
			if name == "amd64" {
				a.Emit(0x90)
				a.DataSlot("odd", 9)
			} else {
				a.JumpSite("j", l)
				a.CallSite("c", l)
				a.GuardSite("g", l)
				a.DataSlot("d1", 1)
			}
			bl, err := a.Finish()
			require.NoError(t, err)
			for _, s := range bl.Sites {
				want := map[codegen.SiteKind]int{codegen.SiteBranch: 4, codegen.SiteGuard: 4, codegen.SiteData: 8}[s.Kind]
				assert.Equal(t, want, s.Size, s.Name)
				assert.Equal(t, want, s.ChangeLen, s.Name)
				assert.Zero(t, s.Offset%want, "%s at %d", s.Name, s.Offset)
			}
			if name == "amd64" {
				assert.Len(t, bl.Sites, 2)
				return
			}
			assert.Len(t, bl.Sites, 5)
			for _, emit := range []func(a siteAsm, l codegen.Label){
				func(a siteAsm, l codegen.Label) { a.JumpSite("j", l) },
				func(a siteAsm, l codegen.Label) { a.CallSite("c", l) },
				func(a siteAsm, l codegen.Label) { a.GuardSite("g", l) },
				func(a siteAsm, l codegen.Label) { a.BindDataSlot(l, "d", 0) },
			} {
				b := newAsm()
				l := b.NewLabel()
				b.Emit(0)
				emit(b, l)
				_, err := b.Finish()
				require.Error(t, err)
				assert.True(t, errors.Is(err, codegen.ErrBadOperand), "%v", err)
				assert.True(t, strings.Contains(err.Error(), "instruction stream not 4-byte aligned (1 bytes)"), "%v", err)
			}
		})
	}
}
