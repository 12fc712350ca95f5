package patch

import (
	"github.com/syncore/syncore/codegen"
	x86 "github.com/syncore/syncore/codegen/amd64"
)

// amd64 sites (codegen/amd64/sites.go), patched through the RW view:
//
//	pcall   0f 1f 00 | e8 rel32        one aligned qword; AtomicSlot rewrites the call
//	guard   0f 1f 44 00 00 ↔ e9 rel32  inside one aligned qword; AtomicSlot
//	pconst  48 b8+r imm64              10 bytes from an aligned qword: SelfLoop
//	        (or an aligned data slot the code loads: DataSlot)
//
// AtomicSlot relies on Intel SDM Vol. 3 §8.1.1 (an aligned 8-byte store is
// atomic, so instruction fetch sees the whole old or the whole new qword)
// and §8.1.3 (the executing threads serialise: the barrier).

// amd64CallBytes: e8 rel32 at Offset+Change, rel32 from the call's end.
func (s *Site) amd64CallBytes(dst []byte, to uintptr) ([]byte, error) {
	c := s.code.Site
	b, err := x86.EncodeCallRel32(s.rx(c.Offset+c.Change), uint64(to))
	return append(dst, b[:]...), err
}

// amd64Nop5 is the canonical 5-byte nop (nopl 0x0(%rax,%rax,1)).
var amd64Nop5 = [5]byte{0x0f, 0x1f, 0x44, 0x00, 0x00}

// amd64GuardBytes: jmp rel32 to the label when armed, the 5-byte nop when not.
func (s *Site) amd64GuardBytes(dst []byte, armed bool, to uint64) ([]byte, error) {
	c := s.code.Site
	if !armed {
		if c.ChangeLen == len(amd64Nop5) {
			return append(dst, amd64Nop5[:]...), nil
		}
		nop, err := x86.NopBytes(c.ChangeLen)
		return append(dst, nop...), err
	}
	b, err := x86.EncodeJmpRel32(s.rx(c.Offset), to)
	return append(dst, b[:]...), err
}

// parkHead is what the self-loop protocol writes over the head of an amd64
// site while it changes the rest:
//
//   - a multi-word pconst site (movabs): jmp rel32 to the site's park stub,
//     which polls and jumps back, so a parked thread can still yield to the
//     Go runtime's stop-the-world;
//   - a guard: jmp rel32 to the guard's label, the armed behaviour. A guard
//     only switches between falling through and that jump, so a thread that
//     arrives mid-patch runs the complete old or the complete new behaviour,
//     and never spins;
//   - otherwise HotSpot's jmp $-2 (EB FE), on which an arriving thread spins
//     until the new head is written. Patcher.protocolFor allows SelfLoop only
//     on the sites above: in a Go process a thread spinning there while the
//     patching goroutine is stopped for a garbage collection would never
//     reach a poll point, and the stop-the-world would wait for ever. (A
//     jump to a call slot's target would not do either: it would be a tail
//     call that returns past the caller.)
func (s *Site) parkHead(dst []byte) []byte {
	c := s.code.Site
	if c.Guarantee&codegen.MultiWord != 0 || c.Kind == codegen.SiteGuard {
		if to, err := s.targetRX(); err == nil {
			if b, err := x86.EncodeJmpRel32(s.rx(c.Offset), to); err == nil {
				return append(dst, b[:]...)
			}
		}
	}
	return append(dst, x86.SelfLoop[:]...)
}
