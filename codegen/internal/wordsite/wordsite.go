// Package wordsite holds the part of JumpSite, CallSite and GuardSite that
// the ISAs whose instructions are aligned 4-byte words (codegen/ppc64,
// codegen/arm64) share. It lives here, not on [codegen.Buffer], so that it
// is no method of an assembler that embeds a Buffer (amd64's among them).
package wordsite

import (
	"fmt"

	"github.com/syncore/syncore/codegen"
)

// Emit records on b a one-word instruction site named name (Size and
// ChangeLen 4: the whole word changes) of the given kind with guarantee g
// at the current position, and emits ref to target as its instruction. It
// first checks that the stream is still whole instructions (raw bytes
// through Emit could break that) and records an [codegen.ErrBadOperand]
// instead of the site when it is not, so that a site's word is always
// aligned: the same check, with the same message, as
// [codegen.Buffer.BindDataSlot] makes.
func Emit(b *codegen.Buffer, name string, kind codegen.SiteKind, g codegen.Guarantee, ref codegen.Ref, target codegen.Label) {
	if n, ia := b.Len(), b.Arch().InstAlign(); n%ia != 0 {
		b.Failf(fmt.Sprintf("site %q", name), codegen.ErrBadOperand, "instruction stream not %d-byte aligned (%d bytes)", ia, n)
		return
	}
	b.AddSite(codegen.Site{Name: name, Kind: kind, Size: 4, ChangeLen: 4, Guarantee: g, Target: target})
	ref.Site = true
	b.Ref(ref, target)
}
