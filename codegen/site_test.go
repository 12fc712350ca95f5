package codegen_test

import (
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
				assert.ErrorIs(t, err, codegen.ErrBadOperand)
				assert.ErrorContains(t, err, "instruction stream not 4-byte aligned (1 bytes)")
			}
		})
	}
}

// wordAsm is what TestFinishWordStream needs of a word ISA's assembler.
type wordAsm interface {
	Emit(...byte)
	Align(int)
	NewLabel() codegen.Label
	Bind(codegen.Label)
	Nop()
	Finish() (*codegen.Blob, error)
}

// TestFinishWordStream: on the word ISAs Finish refuses a stream that raw
// bytes left misaligned anywhere, not only at its end: Emit(0); Align(8);
// Emit(0, 0, 0); Nop() is 8 bytes in all, but the alignment sits at +1 (it
// would pad with a nop and three zero bytes). The same code without the
// stray bytes assembles (the positive control).
func TestFinishWordStream(t *testing.T) {
	asms := map[string]func() wordAsm{
		"ppc64le": func() wordAsm { return ppc64.New() },
		"arm64":   func() wordAsm { return a64.New() },
	}
	for name, newAsm := range asms {
		t.Run(name, func(t *testing.T) {
			a := newAsm()
			a.Emit(0)
			a.Align(8)
			a.Emit(0, 0, 0)
			a.Nop()
			_, err := a.Finish()
			require.Error(t, err, "an alignment at +1 accepted")
			assert.ErrorIs(t, err, codegen.ErrBadOperand)
			assert.ErrorContains(t, err, "not on a 4-byte instruction boundary")
			var ce *codegen.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, name, ce.Arch)
			assert.Equal(t, 1, ce.Offset, "the first position off the word grid")

			// A label bound off the grid, the stream whole again after it.
			a = newAsm()
			a.Emit(0)
			a.Bind(a.NewLabel())
			a.Emit(0, 0, 0)
			a.Nop()
			_, err = a.Finish()
			assert.ErrorIs(t, err, codegen.ErrBadOperand)
			assert.ErrorContains(t, err, "label 1 at +0x1")

			// A stream that ends off the grid.
			a = newAsm()
			a.Nop()
			a.Emit(0)
			_, err = a.Finish()
			assert.ErrorIs(t, err, codegen.ErrBadOperand)
			assert.ErrorContains(t, err, "5 bytes emitted, not a whole number of 4-byte instructions")

			// Positive control: the first sequence without the stray bytes.
			a = newAsm()
			a.Align(8)
			a.Nop()
			bl, err := a.Finish()
			require.NoError(t, err)
			want := newAsm()
			want.Nop()
			wbl, err := want.Finish()
			require.NoError(t, err)
			assert.Equal(t, wbl.Code, bl.Code, "Align(8) at 0 pads nothing")
		})
	}
	// On amd64 (InstAlign 1) there is no word grid: the same stream is fine.
	a := x86.New()
	a.Emit(0)
	a.Align(8)
	a.Emit(0, 0, 0)
	a.Nop(1)
	bl, err := a.Finish()
	require.NoError(t, err)
	assert.Len(t, bl.Code, 8+4)
}
