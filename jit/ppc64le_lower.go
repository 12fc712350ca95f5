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
// Registers: the pool is R16..R29; R3..R10 carry arguments and R3 the
// result. R11 (the driver's scratch register), R12 and, inside one
// operation, R4 and R5 are this file's temporaries (the argument registers
// are free between calls). R14 holds the callCtx and R15 the interrupt
// word's address for a whole call. R0 (always 0), R2, R13, R30 (g) and R31
// are never written (codegen/ppc64.Reserved); R1 moves only by whole frames.
const (
	ppcCtx  = ppc.R14
	ppcIntr = ppc.R15 // the interrupt word's address, for the whole call
	ppcT1   = ppc.R11 // the driver's scratch register
	ppcT2   = ppc.R12
	ppcT3   = ppc.R4 // free inside one operation (only calls use R3..R10)
)

var (
	ppcPool = func() []mreg {
		var out []mreg
		for r := ppc.R16; r <= ppc.R29; r++ {
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
	s     *lowerState
	a     *ppc.Asm
	frame int64
	start codegen.Label // offset 0 of the blob: the anchor of data slots (callCtx.base)
}

func newPPC64Gen() *ppc64Gen {
	g := &ppc64Gen{a: ppc.New()}
	g.start = g.a.NewLabel()
	g.a.Bind(g.start)
	return g
}

func (g *ppc64Gen) attach(s *lowerState) { g.s, s.emitExit = s, g.emitExitStub }

func (g *ppc64Gen) buffer() *codegen.Buffer    { return g.a.Buffer }
func (g *ppc64Gen) sites() codegen.SiteEmitter { return g.a }
func (g *ppc64Gen) pool() []mreg               { return ppcPool }
func (g *ppc64Gen) argRegs() []mreg            { return ppcArgs }
func (g *ppc64Gen) result() mreg               { return mreg(ppc.R3) }
func (g *ppc64Gen) scratch() mreg              { return mreg(ppcT1) }

func ppcSlot(s int) int64 { return int64(16 + 8*s) }

func (g *ppc64Gen) prologue(frame int) {
	a := g.a
	g.frame = int64(frame)
	// Stack check: the frame will span [r1-frame, r1).
	a.Addi(ppcT1, ppc.R1, -g.frame)
	a.Ld(ppcT2, ppcCtx, int64(ctxStackLimit))
	a.Cmpld(ppc.CR0, ppcT1, ppcT2)
	g.exitIf(ppc.LT, g.s.overflow)
	a.Mflr(ppcT2)
	a.Std(ppc.R1, ppc.R1, -g.frame) // back chain
	a.Addi(ppc.R1, ppc.R1, -g.frame)
	a.Std(ppcT2, ppc.R1, 8)
}

func (g *ppc64Gen) epilogue() {
	a := g.a
	a.Ld(ppcT2, ppc.R1, 8)
	a.Mtlr(ppcT2)
	a.Addi(ppc.R1, ppc.R1, g.frame)
	a.Blr()
}

func (g *ppc64Gen) move(dst, src loc) {
	a := g.a
	switch dst.kind {
	case locReg:
		r := ppc.Reg(dst.r)
		switch src.kind {
		case locReg:
			if src.r != dst.r {
				a.Mr(r, ppc.Reg(src.r))
			}
		case locMem:
			a.Ld(r, ppc.R1, ppcSlot(src.slot))
		case locImm:
			a.LoadConst(r, src.c)
		}
	case locMem:
		off := ppcSlot(dst.slot)
		switch src.kind {
		case locReg:
			a.Std(ppc.Reg(src.r), ppc.R1, off)
		case locMem:
			if src.slot != dst.slot {
				a.Ld(ppcT2, ppc.R1, ppcSlot(src.slot))
				a.Std(ppcT2, ppc.R1, off)
			}
		case locImm:
			if src.c == 0 {
				a.Std(ppc.R0, ppc.R1, off) // R0 is always 0
			} else {
				a.LoadConst(ppcT2, src.c)
				a.Std(ppcT2, ppc.R1, off)
			}
		}
	default:
		panic("BUG: move to an immediate")
	}
}

// reg returns x in a register: its own, or tmp loaded with it.
func (g *ppc64Gen) reg(x loc, tmp ppc.Reg) ppc.Reg {
	if x.kind == locReg {
		return ppc.Reg(x.r)
	}
	g.move(regLoc(mreg(tmp)), x)
	return tmp
}

func fitsInt16(c int64) bool { return c == int64(int16(c)) }

func (g *ppc64Gen) alu(op jasm.Op, dst mreg, x, y loc) {
	a, rt := g.a, ppc.Reg(dst)
	swap := op == jasm.OpSub && g.s.opts.hooks.swapSub // negative control: b - a
	if y.kind == locImm && !swap {
		c := y.c
		switch {
		case op == jasm.OpAdd && fitsInt16(c):
			a.Addi(rt, g.reg(x, ppcT1), c)
			return
		case op == jasm.OpSub && c != -1<<63 && fitsInt16(-c):
			a.Addi(rt, g.reg(x, ppcT1), -c)
			return
		case op == jasm.OpShl || op == jasm.OpShr || op == jasm.OpSar:
			ra, n := g.reg(x, ppcT1), uint(c&63)
			switch op {
			case jasm.OpShl:
				a.Sldi(rt, ra, n)
			case jasm.OpShr:
				a.Srdi(rt, ra, n)
			default:
				a.Sradi(rt, ra, n)
			}
			return
		}
	}
	ra, rb := g.reg(x, ppcT1), g.reg(y, ppcT2)
	switch op {
	case jasm.OpAdd:
		a.Add(rt, ra, rb)
	case jasm.OpSub:
		if swap {
			a.Subf(rt, ra, rb)
		} else {
			a.Subf(rt, rb, ra) // subf rt,ra,rb = rb - ra
		}
	case jasm.OpMul:
		a.Mulld(rt, ra, rb)
	case jasm.OpAnd:
		a.And(rt, ra, rb)
	case jasm.OpOr:
		a.Or(rt, ra, rb)
	case jasm.OpXor:
		a.Xor(rt, ra, rb)
	case jasm.OpShl, jasm.OpShr, jasm.OpSar:
		// sld/srd/srad read 7 bits of the count (64..127 give 0 or the
		// sign); jasm takes the count mod 64.
		a.Clrldi(ppcT2, rb, 58)
		switch op {
		case jasm.OpShl:
			a.Sld(rt, ra, ppcT2)
		case jasm.OpShr:
			a.Srd(rt, ra, ppcT2)
		default:
			a.Srad(rt, ra, ppcT2)
		}
	default:
		panic("BUG: ppc64le alu " + op.String())
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
		g.exitIf(ppc.EQ, g.s.divZero)
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

// ppcSetCond maps a comparison to the CR0 condition that is true when the
// comparison holds.
var ppcSetCond = map[jasm.Op]ppc.Cond{
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
	return ppcSetCond[op]
}

func (g *ppc64Gen) compare(op jasm.Op, dst mreg, x, y loc) {
	a := g.a
	c := g.cmp(op, x, y)
	a.Li(ppcT2, 1)
	if c.Negated() { // isel tests a set bit: c ? 0 : 1 (RA = R0 reads 0)
		a.Isel(ppc.Reg(dst), ppc.R0, ppcT2, c.Not())
	} else { // c ? 1 : R0 (= 0)
		a.Isel(ppc.Reg(dst), ppcT2, ppc.R0, c)
	}
}

func (g *ppc64Gen) branchCmp(op jasm.Op, x, y loc, when bool, target codegen.Label) {
	c := g.cmp(op, x, y)
	if !when {
		c = c.Not()
	}
	g.a.Bc(c, target)
}

func (g *ppc64Gen) branchZero(x loc, zero bool, target codegen.Label) {
	g.a.Cmpdi(ppc.CR0, g.reg(x, ppcT1), 0)
	c := ppc.NE
	if zero {
		c = ppc.EQ
	}
	g.a.Bc(c, target)
}

func (g *ppc64Gen) jump(target codegen.Label) { g.a.B(target) }

func (g *ppc64Gen) call(site string, target codegen.Label) {
	if site == "" {
		g.a.Bl(target)
	} else {
		g.a.CallSite(site, target)
	}
}

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

// pollChecks checks the interrupt word, then the goroutine's preemption
// request (g is R30; see entry.go), in R11:
//
//	ld r11,0(r15); cmpdi r11,0; bne interrupt       (R15: the interrupt word)
//	ld r11,16(r30); cmpdi r11,stackPreempt; beq slow
func (g *ppc64Gen) pollChecks(slow codegen.Label) {
	a := g.a
	a.Ld(ppcT1, ppcIntr, 0)
	a.Cmpdi(ppc.CR0, ppcT1, 0)
	g.exitIf(ppc.NE, g.s.interrupt)
	a.Ld(ppcT1, ppc.RegG, gStackguard0)
	a.Cmpdi(ppc.CR0, ppcT1, stackPreempt)
	a.Bc(ppc.EQ, slow)
}

// yield: bl yield leaves the resume address (the next instruction) in LR.
func (g *ppc64Gen) yield() { g.a.Bl(g.s.yield) }

// exitIf leaves through exit stub exit when cond holds, by way of an
// out-of-line stub of its own, `bl exit`: the exit stub stores LR (the
// stub's address + 4) in callCtx.faultPC, and Code.Lines maps the stub to
// the current instruction (the position a runtime error reports).
func (g *ppc64Gen) exitIf(cond ppc.Cond, exit codegen.Label) {
	stub := g.a.NewLabel()
	g.a.Bc(cond, stub)
	g.s.exits = append(g.s.exits, exitStub{stub, exit, g.s.at})
}

// emitExitStub is exitIf's stub: bl exit.
func (g *ppc64Gen) emitExitStub(st exitStub) {
	g.a.Bind(st.l)
	g.s.mark(st.l)
	g.a.Bl(st.exit)
}

func (g *ppc64Gen) end() {
	a := g.a
	for _, stub := range []struct {
		l    codegen.Label
		code int64
	}{{g.s.divZero, exitDivideByZero}, {g.s.overflow, exitStackOverflow}, {g.s.interrupt, exitInterrupted}} {
		a.Align(16)
		a.Bind(stub.l)
		a.Mflr(ppcT1)
		a.Std(ppcT1, ppcCtx, int64(ctxFaultPC))
		a.Li(ppcT1, stub.code)
		a.Std(ppcT1, ppcCtx, int64(ctxExit))
		a.Ld(ppc.R1, ppcCtx, int64(ctxSavedSP))
		a.Ld(ppcT1, ppcCtx, int64(ctxSavedFP))
		a.Mtlr(ppcT1)
		a.Blr()
	}
	// yield: LR holds the resume address (after the slow path's bl).
	a.Align(16)
	a.Bind(g.s.yield)
	a.Mflr(ppcT1)
	a.Std(ppcT1, ppcCtx, int64(ctxResumePC))
	a.Std(ppc.R3, ppcCtx, int64(ctxTOS))
	a.Std(ppc.R1, ppcCtx, int64(ctxJitSP))
	a.Li(ppcT1, exitYield)
	a.Std(ppcT1, ppcCtx, int64(ctxExit))
	a.Ld(ppc.R1, ppcCtx, int64(ctxSavedSP))
	a.Ld(ppcT1, ppcCtx, int64(ctxSavedFP))
	a.Mtlr(ppcT1)
	a.Blr()
}
