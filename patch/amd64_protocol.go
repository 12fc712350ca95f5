package patch

import (
	"fmt"

	"github.com/syncore/syncore/codegen"
	x86 "github.com/syncore/syncore/codegen/amd64"
)

// amd64 sites (codegen/amd64/sites.go), patched through the RW view:
//
//	pcall   0f 1f 00 | e8 rel32        one aligned qword; AtomicSlot rewrites the call
//	guard   0f 1f 44 00 00 ↔ e9 rel32  inside one aligned qword; AtomicSlot
//	        (or 66 90 ↔ eb rel8, a 2-byte guard)
//	pconst  48 b8+r imm64              10 bytes from an aligned qword: SelfLoop
//	        (or an aligned data slot the code loads: DataSlot)
//
// What AtomicSlot rests on, exactly. Intel SDM Vol. 3 §8.1.1 ("Guaranteed
// Atomic Operations") makes an aligned 8-byte store atomic for data
// accesses; it promises nothing about instruction fetch. What the SDM
// prescribes for code that other processors may execute is §8.1.3's
// synchronous algorithm: the writer writes the code, and every executing
// processor executes a serialising instruction before it runs the new code
// (the barrier does that step for every thread). That the executors meanwhile
// fetch the whole old or the whole new qword, never a mix, is not an
// architectural promise: it is the behaviour that V8 (its x64 jump-table
// slots, rewritten with one 8-byte store while other threads may run them)
// and HotSpot (NativeInstruction::replace_mt_safe, the verified-entry patch)
// also rely on. Intel's errata on unsynchronised cross-modifying code
// ("Unsynchronized Cross-Modifying Code Operations Can Cause Unexpected
// Instruction Execution Results") are why Linux's text_poke_bp does not
// rely on it: it writes int3 first and patches with three IPI rounds. The
// self-loop park write (parkHead, one aligned store of the head) rests on
// the same behaviour. AMD APM Vol. 2 §7.6.1 calls this asynchronous
// cross-modification.

// amd64CallBytes: e8 rel32 at Offset+Change, rel32 from the call's end.
func (s *Site) amd64CallBytes(dst []byte, to uintptr) ([]byte, error) {
	c := s.code.Site
	b, err := x86.EncodeCallRel32(s.rx(c.Offset+c.Change), uint64(to))
	return append(dst, b[:]...), err
}

// amd64Nop5 is the canonical 5-byte nop (nopl 0x0(%rax,%rax,1)).
var amd64Nop5 = [5]byte{0x0f, 0x1f, 0x44, 0x00, 0x00}

// amd64GuardBytes: when armed, a jmp to the label of the guard's size (EB
// rel8 for a 2-byte guard, codegen/amd64 GuardSite8; E9 rel32 for a 5-byte
// one, GuardSite); the canonical nop of that size when not.
func (s *Site) amd64GuardBytes(dst []byte, armed bool, to uint64) ([]byte, error) {
	c := s.code.Site
	if !armed {
		if c.ChangeLen == len(amd64Nop5) {
			return append(dst, amd64Nop5[:]...), nil
		}
		nop, err := x86.NopBytes(c.ChangeLen)
		return append(dst, nop...), err
	}
	from := s.rx(c.Offset + c.Change)
	switch c.ChangeLen {
	case 2:
		b, err := x86.EncodeJmpRel8(from, to)
		if err != nil {
			return dst, err
		}
		return append(dst, b[:]...), nil
	case 5:
		b, err := x86.EncodeJmpRel32(from, to)
		if err != nil {
			return dst, err
		}
		return append(dst, b[:]...), nil
	}
	return dst, fmt.Errorf("%w: a %d-byte guard: a jmp is 2 (rel8) or 5 (rel32) bytes", ErrSiteKind, c.ChangeLen)
}

// parkHead is what the self-loop protocol writes over the head of an amd64
// site while it changes the rest:
//
//   - a multi-word pconst site (movabs): jmp rel32 to the site's park stub,
//     which polls and jumps back, so a parked thread can still yield to the
//     Go runtime's stop-the-world;
//   - a guard of 5 bytes or more: jmp rel32 to the guard's label, the armed
//     behaviour. A guard only switches between falling through and that
//     jump, so a thread that arrives mid-patch runs the complete old or the
//     complete new behaviour, and never spins (Patcher.protocolFor refuses
//     the self-loop on a 2-byte guard: the park would overwrite the code
//     after it);
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
