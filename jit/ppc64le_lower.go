package jit

import (
	"github.com/syncore/syncore/codegen"
	ppc "github.com/syncore/syncore/codegen/ppc64"
	"github.com/syncore/syncore/jit/jasm"
)

// ppc64le's part of the lowering driver (lower_driver.go).
//
// Frame (FrameSize(f) bytes, jasm's stack-budget model exactly; R1 points
// at its bottom):
//
//	0(r1)                 back chain (caller's r1)
//	8(r1)                 saved LR
//	16+8*s(r1)            frame slot s: home s (parameter, then local),
//	                      then operand-stack entry s-P-L
//
// Registers: the pool is R16..R28; R3..R10 carry arguments and R3 the
// result. R11 (the driver's scratch register), R12 and, inside one
// operation, R4 and R5 are this file's temporaries (the argument registers
// are free between calls). R14 holds the callCtx, R15 the interrupt word's
// address and R29 the poll budget for a whole call. R0 (always 0), R2, R13, R30 (g) and R31
// are never written (codegen/ppc64.Reserved); R1 moves only by whole frames.
const (
	ppcCtx  = ppc.R14
	ppcIntr = ppc.R15 // the interrupt word's address, for the whole call
	ppcT1   = ppc.R11 // the driver's scratch register
	ppcT2   = ppc.R12
	ppcT3   = ppc.R4 // free inside one operation (only calls use R3..R10)
	// ppcBudget is the poll budget, which poll points count down (entry.go,
	// pollBudget); jitcall and jitresume set it.
	ppcBudget = ppc.R29
)

var (
	ppcPool = func() []mreg {
		var out []mreg
		for r := ppc.R16; r <= ppc.R28; r++ {
			out = append(out, mreg(r))
		}
		return out
	}()
	ppcArgs = func() []mreg {
		var out []mreg
		for r := ppc.R3; r <= ppc.R10; r++ {
			out = append(out, mreg(r))
		}
		return out
	}()
)

type ppc64Gen struct {
	s         *lowerState
	a         *ppc.Asm
	frame     int64
	frameless bool          // the current function has no frame (driver.frameless)
	start     codegen.Label // offset 0 of the blob: the anchor of data slots (callCtx.base)
}

func newPPC64Gen() *ppc64Gen {
	g := &ppc64Gen{a: ppc.New()}
	g.start = g.a.NewLabel()
	g.a.Bind(g.start)
	return g
}

func (g *ppc64Gen) attach(s *lowerState) { g.s = s }

func (g *ppc64Gen) buffer() *codegen.Buffer    { return g.a.Buffer }
func (g *ppc64Gen) sites() codegen.SiteEmitter { return g.a }
func (g *ppc64Gen) pool() []mreg               { return ppcPool }
func (g *ppc64Gen) argRegs() []mreg            { return ppcArgs }
func (g *ppc64Gen) result() mreg               { return mreg(ppc.R3) }
func (g *ppc64Gen) scratch() mreg              { return mreg(ppcT1) }
func (g *ppc64Gen) temp() mreg                 { return mreg(ppcT2) }

func (g *ppc64Gen) slot(s int) int64 {
	if g.frameless {
		panic("BUG: a frame slot in a frameless function")
	}
	return int64(16 + 8*s)
}

func (g *ppc64Gen) prologue(frame int, frameless bool) {
	a := g.a
	g.frame, g.frameless = int64(frame), frameless
	// Stack check: the frame will span [r1-frame, r1).
	a.Addi(ppcT1, ppc.R1, -g.frame)
	a.Ld(ppcT2, ppcCtx, int64(ctxStackLimit))
	a.Cmpld(ppc.CR0, ppcT1, ppcT2)
	a.Bc(ppc.LT, g.s.exitTo(g.s.overflow))
	if frameless {
		return // LR stays the return address: nothing is called
	}
	a.Mflr(ppcT2)
	a.Std(ppc.R1, ppc.R1, -g.frame) // back chain
	a.Addi(ppc.R1, ppc.R1, -g.frame)
	a.Std(ppcT2, ppc.R1, 8)
}

func (g *ppc64Gen) epilogue() {
	a := g.a
	if g.frameless {
		a.Blr()
		return
	}
	a.Ld(ppcT2, ppc.R1, 8)
	a.Mtlr(ppcT2)
	a.Addi(ppc.R1, ppc.R1, g.frame)
	a.Blr()
}

func (g *ppc64Gen) movRR(dst, src mreg)       { g.a.Mr(ppc.Reg(dst), ppc.Reg(src)) }
func (g *ppc64Gen) load(dst mreg, slot int)   { g.a.Ld(ppc.Reg(dst), ppc.R1, g.slot(slot)) }
func (g *ppc64Gen) store(slot int, src mreg)  { g.a.Std(ppc.Reg(src), ppc.R1, g.slot(slot)) }
func (g *ppc64Gen) loadImm(dst mreg, c int64) { g.a.LoadConst(ppc.Reg(dst), c) }

// storeImm stores 0 from R0 (always 0); other constants go through a
// register.
func (g *ppc64Gen) storeImm(slot int, c int64) bool {
	if c != 0 {
		return false
	}
	g.a.Std(ppc.R0, ppc.R1, g.slot(slot))
	return true
}

func (g *ppc64Gen) reg(x loc, tmp ppc.Reg) ppc.Reg { return ppc.Reg(inReg(g, x, mreg(tmp))) }

func fitsInt16(c int64) bool { return c == int64(int16(c)) }

// The three-operand forms alu emits with one instruction, by jasm op
// (subf's operands are reversed: rt = rb - ra); shifts by a register (which
// read 7 bits of the count: alu clears the top 58 first, as jasm takes the
// count mod 64) and by an immediate count.
var (
	ppcRRR = [...]func(*ppc.Asm, ppc.Reg, ppc.Reg, ppc.Reg){jasm.OpAdd: (*ppc.Asm).Add,
		jasm.OpSub: func(a *ppc.Asm, rt, ra, rb ppc.Reg) { a.Subf(rt, rb, ra) },
		jasm.OpMul: (*ppc.Asm).Mulld, jasm.OpAnd: (*ppc.Asm).And, jasm.OpOr: (*ppc.Asm).Or, jasm.OpXor: (*ppc.Asm).Xor,
		jasm.OpShl: (*ppc.Asm).Sld, jasm.OpShr: (*ppc.Asm).Srd, jasm.OpSar: (*ppc.Asm).Srad}
	ppcShiftI = [...]func(*ppc.Asm, ppc.Reg, ppc.Reg, uint){jasm.OpShl: (*ppc.Asm).Sldi, jasm.OpShr: (*ppc.Asm).Srdi, jasm.OpSar: (*ppc.Asm).Sradi}
)

func isShift(op jasm.Op) bool { return op == jasm.OpShl || op == jasm.OpShr || op == jasm.OpSar }

func (g *ppc64Gen) alu(op jasm.Op, dst mreg, x, y loc) {
	a, rt := g.a, ppc.Reg(dst)
	switch {
	case y.kind == locImm && op == jasm.OpAdd && fitsInt16(y.c):
		a.Addi(rt, g.reg(x, ppcT1), y.c)
	case y.kind == locImm && op == jasm.OpSub && fitsInt16(-y.c):
		a.Addi(rt, g.reg(x, ppcT1), -y.c)
	case y.kind == locImm && isShift(op):
		ppcShiftI[op](a, rt, g.reg(x, ppcT1), uint(y.c&63))
	case isShift(op):
		ra := g.reg(x, ppcT1)
		a.Clrldi(ppcT2, g.reg(y, ppcT2), 58)
		ppcRRR[op](a, rt, ra, ppcT2)
	default:
		ppcRRR[op](a, rt, g.reg(x, ppcT1), g.reg(y, ppcT2))
	}
}

func (g *ppc64Gen) unary(op jasm.Op, dst mreg, x loc) {
	ra := g.reg(x, ppcT1)
	if op == jasm.OpNeg {
		g.a.Neg(ppc.Reg(dst), ra)
	} else {
		g.a.Nor(ppc.Reg(dst), ra, ra)
	}
}

// divide: divd is undefined for b = 0 and MinInt64 / -1: the first exits,
// the second is handled apart (x / -1 is -x, x % -1 is 0). A constant
// divisor other than 0 and -1 needs neither check.
func (g *ppc64Gen) divide(op jasm.Op, dst mreg, x, y loc) {
	a, rt := g.a, ppc.Reg(dst)
	known := y.kind == locImm && y.c != 0 && y.c != -1
	ra, rb := g.reg(x, ppcT1), g.reg(y, ppcT2)
	do, done := a.NewLabel(), a.NewLabel()
	if !known {
		a.Cmpdi(ppc.CR0, rb, 0)
		a.Bc(ppc.EQ, g.s.exitTo(g.s.divZero))
		a.Cmpdi(ppc.CR0, rb, -1)
		a.Bc(ppc.NE, do)
		if op == jasm.OpDiv {
			a.Neg(rt, ra)
		} else {
			a.Li(rt, 0)
		}
		a.B(done)
	}
	a.Bind(do)
	if op == jasm.OpDiv {
		a.Divd(rt, ra, rb)
	} else {
		a.Divd(ppcT3, ra, rb)
		a.Mulld(ppcT3, ppcT3, rb)
		a.Subf(rt, ppcT3, ra) // a - (a/b)*b
	}
	a.Bind(done)
}

// ppcCond is the CR0 condition that is true when a comparison holds, by
// jasm op.
var ppcCond = [...]ppc.Cond{
	jasm.OpEq: ppc.EQ, jasm.OpNe: ppc.NE, jasm.OpLt: ppc.LT,
	jasm.OpLe: ppc.LE, jasm.OpGt: ppc.GT, jasm.OpGe: ppc.GE,
}

// cmp sets CR0 for a op b and returns the condition that holds when the
// comparison does.
func (g *ppc64Gen) cmp(op jasm.Op, x, y loc) ppc.Cond {
	ra := g.reg(x, ppcT1)
	if y.kind == locImm && fitsInt16(y.c) {
		g.a.Cmpdi(ppc.CR0, ra, y.c)
	} else {
		g.a.Cmpd(ppc.CR0, ra, g.reg(y, ppcT2))
	}
	return ppcCond[op]
}

// compare: li r12,1, then isel, which tests a set bit: c ? 1 : R0 (= 0),
// or for a negated c, !c ? 0 : 1 (RA = R0 reads 0).
func (g *ppc64Gen) compare(op jasm.Op, dst mreg, x, y loc) {
	a := g.a
	c := g.cmp(op, x, y)
	a.Li(ppcT2, 1)
	if c.Negated() {
		a.Isel(ppc.Reg(dst), ppc.R0, ppcT2, c.Not())
	} else {
		a.Isel(ppc.Reg(dst), ppcT2, ppc.R0, c)
	}
}

func (g *ppc64Gen) branchCmp(op jasm.Op, x, y loc, target codegen.Label) {
	g.a.Bc(g.cmp(op, x, y), target)
}

func (g *ppc64Gen) jump(target codegen.Label) { g.a.B(target) }
func (g *ppc64Gen) call(target codegen.Label) { g.a.Bl(target) }

// loadDataSlot: Power's patch class has no immediates, so a pconst reads
// its live value from an aligned data slot, addressed from the blob's start
// (callCtx.base).
func (g *ppc64Gen) loadDataSlot(dst mreg, slot codegen.Label) {
	g.a.Ld(ppcT2, ppcCtx, int64(ctxBase))
	g.a.LdRel(ppc.Reg(dst), ppcT2, slot, g.start)
}

func (g *ppc64Gen) constSite(string, mreg, int64, codegen.Label) {
	panic("BUG: pconst in code on ppc64le (Compile refuses it)")
}

// pollFast counts the budget down: addi r29,r29,-1; cmpdi r29,0; beq slow.
func (g *ppc64Gen) pollFast(slow codegen.Label) {
	g.a.Addi(ppcBudget, ppcBudget, -1)
	g.a.Cmpdi(ppc.CR0, ppcBudget, 0)
	g.a.Bc(ppc.EQ, slow)
}

// pollChecks sets the budget again, then checks the interrupt word and the
// goroutine's preemption request (g is R30; see entry.go), in R11:
//
//	li r29,pollBudget
//	ld r11,0(r15); cmpdi r11,0; bne interrupt       (R15: the interrupt word)
//	ld r11,16(r30); cmpdi r11,stackPreempt; bne resume
func (g *ppc64Gen) pollChecks(resume codegen.Label) {
	a := g.a
	a.Li(ppcBudget, pollBudget)
	a.Ld(ppcT1, ppcIntr, 0)
	a.Cmpdi(ppc.CR0, ppcT1, 0)
	a.Bc(ppc.NE, g.s.exitTo(g.s.interrupt))
	a.Ld(ppcT1, ppc.RegG, gStackguard0)
	a.Cmpdi(ppc.CR0, ppcT1, stackPreempt)
	a.Bc(ppc.NE, resume)
}

// yield: bl yield leaves the resume address (the next instruction) in LR.
func (g *ppc64Gen) yield() { g.a.Bl(g.s.yield) }

// exitJump: bl exit (the exit stub stores LR, the stub's address + 4, in
// callCtx.faultPC).
func (g *ppc64Gen) exitJump(_, exit codegen.Label) { g.a.Bl(exit) }

// leave restores Go's stack pointer and link register and returns to
// jitcall's caller.
func (g *ppc64Gen) leave() {
	a := g.a
	a.Ld(ppc.R1, ppcCtx, int64(ctxSavedSP))
	a.Ld(ppcT1, ppcCtx, int64(ctxSavedFP))
	a.Mtlr(ppcT1)
	a.Blr()
}

func (g *ppc64Gen) exitStub(code int32) {
	a := g.a
	a.Mflr(ppcT1)
	a.Std(ppcT1, ppcCtx, int64(ctxFaultPC))
	a.Li(ppcT1, int64(code))
	a.Std(ppcT1, ppcCtx, int64(ctxExit))
	g.leave()
}

// yieldStub: LR holds the resume address (after the slow path's bl).
func (g *ppc64Gen) yieldStub() {
	a := g.a
	a.Mflr(ppcT1)
	a.Std(ppcT1, ppcCtx, int64(ctxResumePC))
	a.Std(ppc.R1, ppcCtx, int64(ctxJitSP))
	a.Li(ppcT1, exitYield)
	a.Std(ppcT1, ppcCtx, int64(ctxExit))
	g.leave()
}
