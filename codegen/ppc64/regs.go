package ppc64

import (
	"fmt"
	"strings"
)

// Reg is a general-purpose register, R0..R31. Values above 31 are invalid and
// make every emitter record [codegen.ErrBadOperand].
type Reg uint8

// The general-purpose registers.
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
	R31
)

// Special uses in Go's ppc64 ABI (cmd/compile/abi-internal.md, "ppc64
// architecture").
const (
	RegZero = R0  // always 0 in Go code
	RegSP   = R1  // stack pointer
	RegTOC  = R2  // TOC pointer
	RegTLS  = R13 // thread pointer
	RegG    = R30 // current goroutine
	RegTmp  = R31 // Go's assembler scratch register
)

// String returns the GNU name, "r0".."r31".
func (r Reg) String() string {
	if r > 31 {
		return fmt.Sprintf("Reg(%d)", uint8(r))
	}
	return regNames[r]
}

var regNames = func() (n [32]string) {
	for i := range n {
		n[i] = fmt.Sprintf("r%d", i)
	}
	return n
}()

// RegSet is a set of general-purpose registers, bit i for Ri.
type RegSet uint32

// Of returns the set holding regs.
func Of(regs ...Reg) RegSet {
	var s RegSet
	for _, r := range regs {
		s |= 1 << (r & 31)
	}
	return s
}

// Has reports whether r is in s.
func (s RegSet) Has(r Reg) bool { return r <= 31 && s&(1<<r) != 0 }

// Regs lists the members of s in ascending order.
func (s RegSet) Regs() []Reg {
	var out []Reg
	for r := R0; r <= R31; r++ {
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

// Reserved holds the registers JIT code entered from Go must never write,
// not even briefly: a signal (SIGURG for preemption requests, SIGPROF) may
// arrive at any instruction, and Go's signal path without cgo reads them as
// they are.
//
//   - R0: Go code assumes it reads 0 (and "RA|0" operands read 0 for it in
//     any case, so it is a poor general register).
//   - R1: the stack pointer; the entry trampoline switches to the JIT
//     stack, and JIT code moves R1 only by whole frames (back chain stored
//     first), so it always points at a valid frame.
//   - R2: the TOC pointer.
//   - R13: the thread pointer (TLS).
//   - R30: g, the current goroutine; the signal trampoline does not reload
//     it when the binary does not use cgo (runtime/sys_linux_ppc64x.s).
//   - R31: Go treats it as scratch, but syncore's entry trampolines keep it
//     (DESIGN rule 6) so that a JIT frame never needs to save it.
//
// The link register is not a GPR: JIT code that calls must save LR (mflr) and
// restore it (mtlr) before returning.
//
// The assembler encodes every register; keeping JIT code off Reserved is the
// compiler's job.
const Reserved RegSet = 1<<R0 | 1<<R1 | 1<<R2 | 1<<R13 | 1<<R30 | 1<<R31

// Allocatable is every register JIT code may use freely: all but [Reserved]
// (R3..R12, R14..R29).
const Allocatable RegSet = ^Reserved

// CR is a condition-register field, CR0..CR7. Values above 7 are invalid.
type CR uint8

// The condition-register fields. Go's ABI treats all of them as scratch.
const (
	CR0 CR = iota
	CR1
	CR2
	CR3
	CR4
	CR5
	CR6
	CR7
)

func (c CR) String() string {
	if c > 7 {
		return fmt.Sprintf("CR(%d)", uint8(c))
	}
	return fmt.Sprintf("cr%d", uint8(c))
}

// Cond is a branch condition: one bit of the condition register (BI, 0..31)
// and whether the branch is taken when that bit is set or when it is clear.
// The constants test CR0; use [Cond.On] for another field:
//
//	a.Cmpd(CR7, R3, R4)
//	a.Bc(LT.On(CR7), l) // blt cr7, l
//
// Encoding: bits 0..4 hold BI (4*field + LT/GT/EQ/SO), bit 5 is set for
// "branch if the bit is clear" (BO = 4) and clear for "branch if set" (BO =
// 12). Values above 63 are invalid.
type Cond uint8

// Conditions on CR0, as set by a compare: LT, GT, EQ and SO test a bit that is
// set; GE, LE, NE and NS are their negations.
const (
	LT Cond = 0
	GT Cond = 1
	EQ Cond = 2
	SO Cond = 3
	GE Cond = LT | condFalse
	LE Cond = GT | condFalse
	NE Cond = EQ | condFalse
	NS Cond = SO | condFalse

	condFalse Cond = 1 << 5
)

// Branch-option values used by Cond (Power ISA Book I §2.4, BO field).
const (
	boIfFalse = 4  // 0b00100: branch if CR[BI] = 0
	boIfTrue  = 12 // 0b01100: branch if CR[BI] = 1
	boAlways  = 20 // 0b10100: branch always
)

// On returns c testing field cr instead of the field it tests now.
func (c Cond) On(cr CR) Cond { return c&^(7<<2) | Cond(cr&7)<<2 }

// Not returns the negation of c (same bit, opposite sense).
func (c Cond) Not() Cond { return c ^ condFalse }

// Field returns the condition-register field c tests.
func (c Cond) Field() CR { return CR(c>>2) & 7 }

// BI returns the condition-register bit c tests (0..31).
func (c Cond) BI() uint32 { return uint32(c) & 31 }

// BO returns the branch-option field: 12 (branch if the bit is set) or 4
// (branch if it is clear).
func (c Cond) BO() uint32 {
	if c&condFalse != 0 {
		return boIfFalse
	}
	return boIfTrue
}

// Negated reports whether c is taken when its bit is clear (GE, LE, NE, NS).
func (c Cond) Negated() bool { return c&condFalse != 0 }

func (c Cond) String() string {
	if c > 63 {
		return fmt.Sprintf("Cond(%d)", uint8(c))
	}
	name := [...]string{"lt", "gt", "eq", "so", "ge", "le", "ne", "ns"}[c&3|(c>>5)<<2]
	if f := c.Field(); f != 0 {
		return name + " " + f.String()
	}
	return name
}
