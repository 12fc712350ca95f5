package amd64

import "github.com/syncore/syncore/codegen"

// Arch is the amd64 [codegen.Arch]: it sizes, relaxes and encodes the label
// references that [Asm] emits, and pads with the canonical nops. It is a
// stateless value; [New] makes a buffer with it.
type Arch struct{}

// Label reference forms ([codegen.RefKind]) emitted by Asm. Each reference is
// a whole instruction (or slot) whose bytes depend on its label's offset.
const (
	refJmp     codegen.RefKind = iota + 1 // eb rel8 | e9 rel32
	refJcc                                // 70+cc rel8 | 0f 80+cc rel32; Aux = cond
	refCall                               // e8 rel32
	refLoadRIP                            // REX.W 8b /r [rip+disp32]; Aux = reg
	refLeaRIP                             // REX.W 8d /r [rip+disp32]; Aux = reg
	refJmpSlot                            // e9 rel32 cc cc cc (8 bytes)
	refGuard2                             // 66 90, armed: eb rel8
	refGuard5                             // 0f 1f 44 00 00, armed: e9 rel32
)

var _ codegen.Arch = Arch{}

// Name returns "amd64".
func (Arch) Name() string { return "amd64" }

// InstAlign returns 1: x86 instructions have no alignment.
func (Arch) InstAlign() int { return 1 }

// RefSize returns the size of r in its current form.
func (Arch) RefSize(r codegen.Ref) int {
	switch r.Kind {
	case refJmp:
		if r.Long {
			return 5
		}
		return 2
	case refJcc:
		if r.Long {
			return 6
		}
		return 2
	case refCall, refGuard5:
		return 5
	case refLoadRIP, refLeaRIP:
		return 7
	case refJmpSlot:
		return 8
	case refGuard2:
		return 2
	}
	panic("BUG: amd64: unknown reference kind")
}

// HasLong reports whether r is a short jmp or jcc, which can grow to rel32.
func (Arch) HasLong(r codegen.Ref) bool {
	return !r.Long && !r.Site && (r.Kind == refJmp || r.Kind == refJcc)
}

// rel is r's displacement: to minus the end of the instruction (for a
// guard, the end of its armed jmp, which has the same size; for a jump
// slot, the end of its e9 rel32, before the padding).
func (a Arch) rel(r codegen.Ref, at, to int) int64 {
	switch r.Kind {
	case refJmpSlot:
		return int64(to) - int64(at+5)
	}
	return int64(to) - int64(at+a.RefSize(r))
}

// Reaches reports whether r placed at at can encode a branch to to. Guards
// check the range of their armed form (a 2-byte guard's target must be within
// rel8 range).
func (a Arch) Reaches(r codegen.Ref, at, to int) bool {
	d := a.rel(r, at, to)
	if (r.Kind == refJmp || r.Kind == refJcc) && !r.Long || r.Kind == refGuard2 {
		return d >= -128 && d <= 127
	}
	return d >= -1<<31 && d <= 1<<31-1
}

// EncodeRef appends r's bytes placed at at with target to.
func (a Arch) EncodeRef(dst []byte, r codegen.Ref, at, to int) []byte {
	d := uint32(a.rel(r, at, to))
	switch r.Kind {
	case refJmp:
		if !r.Long {
			return append(dst, 0xEB, byte(d))
		}
		return append(dst, 0xE9, byte(d), byte(d>>8), byte(d>>16), byte(d>>24))
	case refJcc:
		if !r.Long {
			return append(dst, 0x70|byte(r.Aux&15), byte(d))
		}
		return append(dst, 0x0F, 0x80|byte(r.Aux&15), byte(d), byte(d>>8), byte(d>>16), byte(d>>24))
	case refCall:
		return append(dst, 0xE8, byte(d), byte(d>>8), byte(d>>16), byte(d>>24))
	case refLoadRIP, refLeaRIP:
		op := byte(0x8B)
		if r.Kind == refLeaRIP {
			op = 0x8D
		}
		reg := Reg(r.Aux)
		return append(dst, 0x48|reg.hi()<<2, op, reg.low()<<3|5, byte(d), byte(d>>8), byte(d>>16), byte(d>>24))
	case refJmpSlot:
		return append(dst, 0xE9, byte(d), byte(d>>8), byte(d>>16), byte(d>>24), 0xCC, 0xCC, 0xCC)
	case refGuard2:
		return append(dst, nops[2]...)
	case refGuard5:
		return append(dst, nops[5]...)
	}
	panic("BUG: amd64: unknown reference kind")
}

// MaxPadNop is the longest nop that [Arch.Pad] uses; longer padding is a run
// of such nops (as GNU as does for generic tuning: more prefixes decode
// slowly on some cores).
const MaxPadNop = 11

// Pad appends n bytes of canonical nops: runs of [MaxPadNop]-byte nops and
// one shorter nop for the rest, each a single instruction.
func (Arch) Pad(dst []byte, n int) []byte {
	for n > 0 {
		k := min(n, MaxPadNop)
		dst = append(dst, nops[k]...)
		n -= k
	}
	return dst
}

// nops are the canonical nops by length: the Intel SDM Vol. 2B "NOP"
// recommended forms for 1–9 bytes, then GNU as's forms with a CS segment
// override and 0x66 prefixes for 10–15 bytes (nopw %cs:0x0(%rax,%rax,1)).
var nops = [16][]byte{
	1:  {0x90},
	2:  {0x66, 0x90},
	3:  {0x0F, 0x1F, 0x00},
	4:  {0x0F, 0x1F, 0x40, 0x00},
	5:  {0x0F, 0x1F, 0x44, 0x00, 0x00},
	6:  {0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00},
	7:  {0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00},
	8:  {0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	9:  {0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	10: {0x66, 0x2E, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	11: {0x66, 0x66, 0x2E, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	12: {0x66, 0x66, 0x66, 0x2E, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	13: {0x66, 0x66, 0x66, 0x66, 0x2E, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	14: {0x66, 0x66, 0x66, 0x66, 0x66, 0x2E, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	15: {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x2E, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
}
