package jit

import (
	"github.com/syncore/syncore/codegen"
	a64 "github.com/syncore/syncore/codegen/arm64"
	"github.com/syncore/syncore/jit/jasm"
)

// arm64's part of the lowering driver (lower_driver.go).
//
// Frame (FrameSize(f) bytes, jasm's stack-budget model exactly; SP points
// at its bottom, 16-byte aligned):
//
//	[sp+8*s]              frame slot s: home s (parameter, then local),
//	                      then operand-stack entry s-P-L
//	[x29]                 caller's x29, then x30 (the return address)
//
// Registers: the pool is X9..X15, X19, X23..X25; X0..X7 carry arguments
// and X0 the result. X16 (the driver's scratch register, IP0), X17 (IP1)
// and, inside one operation, X8 are this file's temporaries. X20 holds the
// callCtx, X21 the interrupt word's address and X22 the poll budget for a
// whole call. X18 (the platform register), X26 and X27 (Go's closure
// context and assembler temporary) and X28 (g: without cgo Go's signal
// handler takes g from it) are never written; X29 is the frame pointer and
// X30 the link register, saved on entry by every function that has a frame.
const (
	a64Ctx    = a64.R20
	a64Intr   = a64.R21
	a64Budget = a64.R22
	a64T1     = a64.R16 // the driver's scratch register
	a64T2     = a64.R17
	a64T3     = a64.R8 // free inside one operation (only calls use X0..X7)
)

var (
	a64Pool = []mreg{mreg(a64.R9), mreg(a64.R10), mreg(a64.R11), mreg(a64.R12), mreg(a64.R13),
		mreg(a64.R14), mreg(a64.R15), mreg(a64.R19), mreg(a64.R23), mreg(a64.R24), mreg(a64.R25)}
	a64Args = []mreg{mreg(a64.R0), mreg(a64.R1), mreg(a64.R2), mreg(a64.R3),
		mreg(a64.R4), mreg(a64.R5), mreg(a64.R6), mreg(a64.R7)}
)

type arm64Gen struct {
	s         *lowerState
	a         *a64.Asm
	frame     int64
	frameless bool // the current function has no frame (driver.frameless)
}

func newARM64Gen() *arm64Gen { return &arm64Gen{a: a64.New()} }

func (g *arm64Gen) attach(s *lowerState) { g.s = s }

func (g *arm64Gen) buffer() *codegen.Buffer    { return g.a.Buffer }
func (g *arm64Gen) sites() codegen.SiteEmitter { return g.a }
func (g *arm64Gen) pool() []mreg               { return a64Pool }
func (g *arm64Gen) argRegs() []mreg            { return a64Args }
func (g *arm64Gen) result() mreg               { return mreg(a64.R0) }
func (g *arm64Gen) scratch() mreg              { return mreg(a64T1) }
func (g *arm64Gen) temp() mreg                 { return mreg(a64T2) }

func (g *arm64Gen) slot(s int) int64 {
	if g.frameless {
		panic("BUG: a frame slot in a frameless function")
	}
	return int64(8 * s)
}

// subImm emits rd = rn - n for any n below 2^24: a shifted and a plain
// 12-bit immediate (SP is allowed as rd and rn in these forms).
func (g *arm64Gen) subImm(rd, rn a64.Reg, n int64) {
	if hi := n &^ 0xfff; hi != 0 {
		g.a.SubImm(rd, rn, hi)
		rn = rd
	}
	if lo := n & 0xfff; lo != 0 || rd != rn {
		g.a.SubImm(rd, rn, lo)
	}
}

func (g *arm64Gen) prologue(frame int, frameless bool) {
	a := g.a
	g.frame, g.frameless = int64(frame), frameless
	// Stack check: the frame will span [sp-frame, sp).
	g.subImm(a64T1, a64.SP, g.frame)
	a.Ldr(a64T2, a64Ctx, int64(ctxStackLimit))
	a.Cmp(a64T1, a64T2)
	a.Bcond(a64.LO, g.s.exitTo(g.s.overflow))
	if frameless {
		return // X30 stays the return address: nothing is called
	}
	a.StpPre(a64.R29, a64.R30, a64.SP, -16)
	a.MovRR(a64.R29, a64.SP)
	if g.frame > 16 {
		g.subImm(a64.SP, a64.SP, g.frame-16)
	}
}

func (g *arm64Gen) epilogue() {
	a := g.a
	if !g.frameless {
		a.MovRR(a64.SP, a64.R29)
		a.LdpPost(a64.R29, a64.R30, a64.SP, 16)
	}
	a.Ret()
}

func (g *arm64Gen) movRR(dst, src mreg)       { g.a.MovRR(a64.Reg(dst), a64.Reg(src)) }
func (g *arm64Gen) load(dst mreg, slot int)   { g.a.Ldr(a64.Reg(dst), a64.SP, g.slot(slot)) }
func (g *arm64Gen) store(slot int, src mreg)  { g.a.Str(a64.Reg(src), a64.SP, g.slot(slot)) }
func (g *arm64Gen) loadImm(dst mreg, c int64) { g.a.LoadConst(a64.Reg(dst), c) }

// storeImm stores 0 from XZR; other constants go through a register.
func (g *arm64Gen) storeImm(slot int, c int64) bool {
	if c != 0 {
		return false
	}
	g.a.Str(a64.ZR, a64.SP, g.slot(slot))
	return true
}

func (g *arm64Gen) reg(x loc, tmp a64.Reg) a64.Reg { return a64.Reg(inReg(g, x, mreg(tmp))) }

// fitsImm12 reports whether c is an ADD/SUB immediate (0..4095) or its
// negation: AddImm emits SUB for a negative one.
func fitsImm12(c int64) bool { return c >= -4095 && c <= 4095 }

// The three-operand forms alu emits with one instruction, by jasm op; the
// variable shifts take the count mod 64, as jasm does (Arm ARM C6.2 LSLV:
// "the remainder obtained by dividing the second operand by the data
// size").
var (
	a64RRR = [...]func(*a64.Asm, a64.Reg, a64.Reg, a64.Reg){jasm.OpAdd: (*a64.Asm).Add, jasm.OpSub: (*a64.Asm).Sub,
		jasm.OpMul: (*a64.Asm).Mul, jasm.OpAnd: (*a64.Asm).And, jasm.OpOr: (*a64.Asm).Orr, jasm.OpXor: (*a64.Asm).Eor,
		jasm.OpShl: (*a64.Asm).Lslv, jasm.OpShr: (*a64.Asm).Lsrv, jasm.OpSar: (*a64.Asm).Asrv}
	a64ShiftI = [...]func(*a64.Asm, a64.Reg, a64.Reg, uint){jasm.OpShl: (*a64.Asm).LslImm, jasm.OpShr: (*a64.Asm).LsrImm, jasm.OpSar: (*a64.Asm).AsrImm}
)

func (g *arm64Gen) alu(op jasm.Op, dst mreg, x, y loc) {
	a, rd := g.a, a64.Reg(dst)
	switch {
	case y.kind == locImm && op == jasm.OpAdd && fitsImm12(y.c):
		a.AddImm(rd, g.reg(x, a64T1), y.c)
	case y.kind == locImm && op == jasm.OpSub && fitsImm12(y.c):
		a.AddImm(rd, g.reg(x, a64T1), -y.c)
	case y.kind == locImm && isShift(op):
		a64ShiftI[op](a, rd, g.reg(x, a64T1), uint(y.c&63))
	default:
		a64RRR[op](a, rd, g.reg(x, a64T1), g.reg(y, a64T2))
	}
}

func (g *arm64Gen) unary(op jasm.Op, dst mreg, x loc) {
	rm := g.reg(x, a64T1)
	if op == jasm.OpNeg {
		g.a.Neg(a64.Reg(dst), rm)
	} else {
		g.a.Mvn(a64.Reg(dst), rm)
	}
}

// divide: SDIV gives 0 for a zero divisor (checked here: an exit) and
// MinInt64 for MinInt64 / -1, jasm's wrapping result; the remainder
// a - (a/b)*b is then 0, as jasm wants (Arm ARM C6.2 SDIV).
func (g *arm64Gen) divide(op jasm.Op, dst mreg, x, y loc) {
	a, rd := g.a, a64.Reg(dst)
	rn, rm := g.reg(x, a64T1), g.reg(y, a64T2)
	if !(y.kind == locImm && y.c != 0) {
		a.Cbz(rm, g.s.exitTo(g.s.divZero))
	}
	if op == jasm.OpDiv {
		a.Sdiv(rd, rn, rm)
		return
	}
	a.Sdiv(a64T3, rn, rm)
	a.Msub(rd, a64T3, rm, rn) // rn - (rn/rm)*rm
}

// a64Cond is the condition that holds when a comparison does, by jasm op.
var a64Cond = [...]a64.Cond{
	jasm.OpEq: a64.EQ, jasm.OpNe: a64.NE, jasm.OpLt: a64.LT,
	jasm.OpLe: a64.LE, jasm.OpGt: a64.GT, jasm.OpGe: a64.GE,
}

// cmp sets the flags for a op b and returns the condition that holds when
// the comparison does.
func (g *arm64Gen) cmp(op jasm.Op, x, y loc) a64.Cond {
	rn := g.reg(x, a64T1)
	if y.kind == locImm && fitsImm12(y.c) {
		g.a.CmpImm(rn, y.c)
	} else {
		g.a.Cmp(rn, g.reg(y, a64T2))
	}
	return a64Cond[op]
}

func (g *arm64Gen) compare(op jasm.Op, dst mreg, x, y loc) {
	g.a.Cset(a64.Reg(dst), g.cmp(op, x, y))
}

// branchCmp: a test against zero of a register is one CBZ or CBNZ.
func (g *arm64Gen) branchCmp(op jasm.Op, x, y loc, target codegen.Label) {
	if x.kind == locReg && y.kind == locImm && y.c == 0 && (op == jasm.OpEq || op == jasm.OpNe) {
		if op == jasm.OpEq {
			g.a.Cbz(a64.Reg(x.r), target)
		} else {
			g.a.Cbnz(a64.Reg(x.r), target)
		}
		return
	}
	g.a.Bcond(g.cmp(op, x, y), target)
}

func (g *arm64Gen) jump(target codegen.Label) { g.a.B(target) }
func (g *arm64Gen) call(target codegen.Label) { g.a.Bl(target) }

// loadDataSlot: only B, BL, NOP and a few system instructions may be
// rewritten while other threads run them (Arm ARM B2.2.5), so a pconst
// reads its live value from an aligned data slot, PC-relative (LDR
// literal, within 1 MiB).
func (g *arm64Gen) loadDataSlot(dst mreg, slot codegen.Label) { g.a.LdrLit(a64.Reg(dst), slot) }

func (g *arm64Gen) constSite(string, mreg, int64, codegen.Label) {
	panic("BUG: pconst in code on arm64 (Compile refuses it)")
}

// pollFast counts the budget down: sub x22,x22,#1; cbz x22,slow.
func (g *arm64Gen) pollFast(slow codegen.Label) {
	g.a.SubImm(a64Budget, a64Budget, 1)
	g.a.Cbz(a64Budget, slow)
}

// pollChecks sets the budget again, then checks the interrupt word and the
// goroutine's preemption request (g is X28; see entry.go), in X16:
//
//	mov x22,#pollBudget
//	ldr x16,[x21]; cbnz x16,interrupt             (X21: the interrupt word)
//	ldr x16,[x28,#16]; cmn x16,#1314; b.ne resume (stackPreempt)
func (g *arm64Gen) pollChecks(resume codegen.Label) {
	a := g.a
	a.LoadConst(a64Budget, pollBudget)
	a.Ldr(a64T1, a64Intr, 0)
	a.Cbnz(a64T1, g.s.exitTo(g.s.interrupt))
	a.Ldr(a64T1, a64.RegG, gStackguard0)
	a.CmpImm(a64T1, stackPreempt)
	a.Bcond(a64.NE, resume)
}

// yield: bl yield leaves the resume address (the next instruction) in X30.
func (g *arm64Gen) yield() { g.a.Bl(g.s.yield) }

// exitJump: bl exit (the exit stub stores X30, the stub's address + 4, in
// callCtx.faultPC).
func (g *arm64Gen) exitJump(_, exit codegen.Label) { g.a.Bl(exit) }

// leave restores Go's stack pointer, frame pointer and link register and
// returns to jitcall's caller.
func (g *arm64Gen) leave() {
	a := g.a
	a.Ldr(a64T1, a64Ctx, int64(ctxSavedSP))
	a.MovRR(a64.SP, a64T1)
	a.Ldr(a64.R29, a64Ctx, int64(ctxSavedFP))
	a.Ldr(a64.R30, a64Ctx, int64(ctxSavedLR))
	a.Ret()
}

func (g *arm64Gen) exitStub(code int32) {
	a := g.a
	a.Str(a64.R30, a64Ctx, int64(ctxFaultPC))
	a.LoadConst(a64T1, int64(code))
	a.Str(a64T1, a64Ctx, int64(ctxExit))
	g.leave()
}

// yieldStub: X30 holds the resume address (after the slow path's bl).
func (g *arm64Gen) yieldStub() {
	a := g.a
	a.Str(a64.R30, a64Ctx, int64(ctxResumePC))
	a.MovRR(a64T1, a64.SP)
	a.Str(a64T1, a64Ctx, int64(ctxJitSP))
	a.Str(a64.R29, a64Ctx, int64(ctxJitFP))
	a.LoadConst(a64T1, exitYield)
	a.Str(a64T1, a64Ctx, int64(ctxExit))
	g.leave()
}
