package arm64

import (
	"fmt"
	"strings"
)

// Reg is a 64-bit general-purpose register operand: R0..R30, or one of the
// two meanings of register number 31, [ZR] and [SP]. Every register field of
// an A64 instruction is 5 bits wide and number 31 names the zero register
// in some positions and the stack pointer in others (Arm ARM, DDI 0487,
// C1.2.5 "Register names"); the two constants let the assembler check that
// the operand the caller meant is the one the field encodes. Each method
// says which positions take SP and which take ZR; passing the other one (or
// a value that is none of these) records [codegen.ErrBadOperand].
type Reg uint8

// The general-purpose registers, used as X (64-bit) registers.
const (
	R0 Reg = iota
	R1
	R2
	R3
	R4
	R5
	R6
	R7
	R8
	R9
	R10
	R11
	R12
	R13
	R14
	R15
	R16
	R17
	R18
	R19
	R20
	R21
	R22
	R23
	R24
	R25
	R26
	R27
	R28
	R29
	R30
	// ZR is the zero register XZR: reads as 0, writes are discarded.
	// Encoded as 31 in positions that name "Xn|XZR".
	ZR
	// SP is the stack pointer. Encoded as 31 in positions that name
	// "Xn|SP"; its value (63) has the low five bits of 31 so that both
	// meanings of 31 share the field encoding.
	SP Reg = 63
)

// Special uses in Go's arm64 ABI (cmd/compile/abi-internal.md, "arm64
// architecture").
const (
	RegPlatform = R18 // the platform register: never touched
	RegCtxt     = R26 // closure context pointer (Go's calling convention)
	RegTmp      = R27 // Go's assembler and linker scratch register
	RegG        = R28 // current goroutine
	RegFP       = R29 // frame pointer
	RegLR       = R30 // link register: BL and BLR write the return address here
)

// String returns the GNU name: "x0".."x30", "xzr" or "sp".
func (r Reg) String() string {
	switch {
	case r < ZR:
		return regNames[r]
	case r == ZR:
		return "xzr"
	case r == SP:
		return "sp"
	}
	return fmt.Sprintf("Reg(%d)", uint8(r))
}

var regNames = func() (n [31]string) {
	for i := range n {
		n[i] = fmt.Sprintf("x%d", i)
	}
	return n
}()

// RegSet is a set of register operands, bit i for the Reg of value i (so
// ZR is bit 31 and SP bit 63).
type RegSet uint64

// Of returns the set holding regs; values above 63 are ignored.
func Of(regs ...Reg) RegSet {
	var s RegSet
	for _, r := range regs {
		if r <= 63 {
			s |= 1 << r
		}
	}
	return s
}

// Has reports whether r is in s.
func (s RegSet) Has(r Reg) bool { return r <= 63 && s&(1<<r) != 0 }

// Regs lists the members of s in ascending order of value (R0..R30, ZR, SP).
func (s RegSet) Regs() []Reg {
	var out []Reg
	for r := Reg(0); r <= 63; r++ {
		if s.Has(r) {
			out = append(out, r)
		}
	}
	return out
}

func (s RegSet) String() string {
	var names []string
	for _, r := range s.Regs() {
		names = append(names, r.String())
	}
	return "{" + strings.Join(names, ",") + "}"
}

// Reserved holds the registers JIT code entered from Go must never write
// (or, for SP, never move except by whole frames on its own stack): a signal
// (SIGURG for preemption requests, SIGPROF) may arrive at any instruction,
// and Go's signal path without cgo reads them as they are.
//
//   - R18: the platform register; Go never uses it and some platforms
//     (macOS, Windows) reserve it for the OS.
//   - R26: Go's closure context; syncore's entry trampolines keep it so
//     that a JIT frame never needs to save it.
//   - R27: Go's assembler temporary (REGTMP); kept for the same reason.
//   - R28: g, the current goroutine. runtime/sys_linux_arm64.s's sigtramp
//     calls load_g only when the binary uses cgo, so without cgo a signal
//     arriving in JIT code takes R28 as g (as ppc64le takes R30).
//   - R29: the frame pointer; Go's tracebacks and profilers walk it, so it
//     always points at a valid frame record (push it with the link
//     register: StpPre(R29, R30, SP, -16)).
//   - R30: the link register: JIT code that calls saves it with R29 and
//     restores it before returning; it is not a general register.
//   - SP: the stack pointer; the entry trampoline switches to the JIT
//     stack, and SP moves only by whole 16-byte-aligned frames.
//
// ZR is not in the set: writing it is harmless (the write is discarded).
// The assembler encodes every register; keeping JIT code off Reserved is the
// compiler's job.
const Reserved RegSet = 1<<R18 | 1<<R26 | 1<<R27 | 1<<R28 | 1<<R29 | 1<<R30 | 1<<SP

// Allocatable is every register JIT code may use freely: R0..R17, R19..R25
// (all of R0..R30 but [Reserved]).
const Allocatable RegSet = (1<<ZR - 1) &^ Reserved

// Cond is an A64 condition code (Arm ARM C1.2.4 "Condition code"), the
// 4-bit cond field of B.cond, CSEL and CSINC. The constants are the
// encodings; values above 14 are invalid operands.
type Cond uint8

// The conditions, named and encoded as in the Arm ARM. After Cmp(a, b):
// EQ/NE a == b / a != b; HS/LO unsigned a >= b / a < b; HI/LS unsigned
// a > b / a <= b; GE/LT signed a >= b / a < b; GT/LE signed a > b / a <= b.
const (
	EQ Cond = iota // equal (Z)
	NE             // not equal
	HS             // unsigned higher or same (C), also CS
	LO             // unsigned lower (!C), also CC
	MI             // negative (N)
	PL             // positive or zero (!N)
	VS             // overflow (V)
	VC             // no overflow
	HI             // unsigned higher (C && !Z)
	LS             // unsigned lower or same
	GE             // signed greater or equal (N == V)
	LT             // signed less than
	GT             // signed greater than (!Z && N == V)
	LE             // signed less or equal
	AL             // always
)

// Invert returns the condition that holds exactly when c does not (it flips
// the low bit of the encoding, Arm ARM C1.2.4). AL has no negation: its
// inverse is the encoding 0b1111 (NV, which the architecture executes as
// "always"), and every emitter rejects it with [codegen.ErrBadOperand].
func (c Cond) Invert() Cond { return c ^ 1 }

func (c Cond) String() string {
	if c > AL {
		return fmt.Sprintf("Cond(%d)", uint8(c))
	}
	return condNames[c]
}

var condNames = [...]string{"eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al"}

// Barrier is the option of a DMB or DSB barrier (Arm ARM C6.2 "DMB",
// "DSB"): its shareability domain and the accesses it orders. The constants
// are the CRm encodings; other values are invalid operands.
type Barrier uint8

// Barrier options. ISH (inner shareable, all accesses) is what cross-thread
// code modification needs: every core a thread of this process may run on
// is in the inner shareable domain.
const (
	OSHLD Barrier = 1  // outer shareable, loads
	OSHST Barrier = 2  // outer shareable, stores
	OSH   Barrier = 3  // outer shareable
	NSHLD Barrier = 5  // non-shareable, loads
	NSHST Barrier = 6  // non-shareable, stores
	NSH   Barrier = 7  // non-shareable
	ISHLD Barrier = 9  // inner shareable, loads
	ISHST Barrier = 10 // inner shareable, stores
	ISH   Barrier = 11 // inner shareable
	LD    Barrier = 13 // full system, loads
	ST    Barrier = 14 // full system, stores
	SY    Barrier = 15 // full system
)

// valid reports whether b is one of the named options.
func (b Barrier) valid() bool { return b <= 15 && b&3 != 0 }

func (b Barrier) String() string {
	if !b.valid() {
		return fmt.Sprintf("Barrier(%d)", uint8(b))
	}
	return barrierNames[b]
}

var barrierNames = [16]string{1: "oshld", 2: "oshst", 3: "osh", 5: "nshld", 6: "nshst", 7: "nsh",
	9: "ishld", 10: "ishst", 11: "ish", 13: "ld", 14: "st", 15: "sy"}
