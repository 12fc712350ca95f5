package patch

import (
	"encoding/binary"
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

// amd64Bytes is the amd64 isaBytes.
type amd64Bytes struct{}

// callBytes: e8 rel32 at Offset+Change, rel32 from the call's end.
func (amd64Bytes) callBytes(s *Site, dst []byte, to uint64) ([]byte, error) {
	c := s.code.Site
	b, err := x86.EncodeCallRel32(s.rx(c.Offset+c.Change), to)
	return append(dst, b[:]...), err
}

// amd64Nop5 is the canonical 5-byte nop (nopl 0x0(%rax,%rax,1)).
var amd64Nop5 = [5]byte{0x0f, 0x1f, 0x44, 0x00, 0x00}

// guardBytes: when armed, a jmp to the label of the guard's size (EB
// rel8 for a 2-byte guard, codegen/amd64 GuardSite8; E9 rel32 for a 5-byte
// one, GuardSite); the canonical nop of that size when not.
func (amd64Bytes) guardBytes(s *Site, dst []byte, armed bool, to uint64) ([]byte, error) {
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

// constBytes: the 8-byte value of a data slot; the imm64 of a movabs
// (codegen/amd64 MovAbsSite, 10 changed bytes: REX.W and B8+r are kept as
// they are); or the imm32 of mov r/m64, imm32 (MovImm32Site, 4 changed
// bytes), which v must fit sign-extended.
func (amd64Bytes) constBytes(s *Site, dst []byte, v int64) ([]byte, error) {
	c := s.code.Site
	switch {
	case c.Kind == codegen.SiteData:
		return dataBytes(dst, v), nil
	case c.Guarantee&codegen.MultiWord != 0 && c.ChangeLen == 10:
		var b [16]byte
		cur := s.current(b[:0]) // movabs: keep REX.W and B8+r
		return binary.LittleEndian.AppendUint64(append(dst, cur[0], cur[1]), uint64(v)), nil
	case c.Kind == codegen.SiteImm && c.ChangeLen == 4:
		if v != int64(int32(v)) {
			return nil, fmt.Errorf("%w: %d does not fit the site's 32-bit immediate", ErrSiteKind, v)
		}
		return binary.LittleEndian.AppendUint32(dst, uint32(v)), nil
	}
	return nil, fmt.Errorf("%w: no constant encoding for a %v site", ErrSiteKind, c.Kind)
}

// selfLoop: amd64 patches multi-word sites with HotSpot's self-loop
// protocol.
func (amd64Bytes) selfLoop() bool { return true }

// entryData: amd64 code reads its data slots RIP-relative, from its own
// blob.
func (amd64Bytes) entryData() bool { return false }

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
func (amd64Bytes) parkHead(s *Site, dst []byte) []byte {
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
