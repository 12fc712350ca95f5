package jit

import (
	"github.com/syncore/syncore/codegen"
	x86 "github.com/syncore/syncore/codegen/amd64"
	"github.com/syncore/syncore/jit/jasm"
)

// amd64's part of the lowering driver (lower_driver.go).
//
// Frame (FrameSize(f) bytes, jasm's stack-budget model exactly):
//
//	[rbp+8]               return address
//	[rbp]                 caller's rbp
//	[rbp-8*(1+s)]         frame slot s: home s (parameter, then local),
//	                      then operand-stack entry s-P-L
//
// Registers: the pool is RBX R12 RSI RDI R8 R9 R10 R11; RDI RSI RDX RCX R8
// R9 R10 R11 carry arguments and RAX the result. RAX (the driver's scratch
// register), RCX (shift counts, divisors) and RDX (idiv, large immediates,
// memory operands) are this file's temporaries. R15 holds the callCtx, R13
// the interrupt word's address and R14 the goroutine (g) for a whole call.
// (jitcall is ABI0: Go's wrapper restores R14 and X15 afterwards.)
var amd64ArgRegs = [8]x86.Reg{x86.RDI, x86.RSI, x86.RDX, x86.RCX, x86.R8, x86.R9, x86.R10, x86.R11}

var (
	amd64Pool = []mreg{mreg(x86.RBX), mreg(x86.R12), mreg(x86.RSI), mreg(x86.RDI),
		mreg(x86.R8), mreg(x86.R9), mreg(x86.R10), mreg(x86.R11)}
	amd64Args = func() []mreg {
		out := make([]mreg, len(amd64ArgRegs))
		for i, r := range amd64ArgRegs {
			out[i] = mreg(r)
		}
		return out
	}()
)

// Registers that hold the same value for a whole call (set by jitcall and
// jitresume): the callCtx, the interrupt word's address, and g.
const (
	amd64Ctx  = x86.R15
	amd64Intr = x86.R13
	amd64G    = x86.R14
)

type amd64Gen struct {
	s *lowerState
	a *x86.Asm
}

func newAMD64Gen() *amd64Gen { return &amd64Gen{a: x86.New()} }

func (g *amd64Gen) attach(s *lowerState) { g.s, s.emitExit = s, g.emitExitStub }

func (g *amd64Gen) buffer() *codegen.Buffer    { return g.a.Buffer }
func (g *amd64Gen) sites() codegen.SiteEmitter { return g.a }
func (g *amd64Gen) pool() []mreg               { return amd64Pool }
func (g *amd64Gen) argRegs() []mreg            { return amd64Args }
func (g *amd64Gen) result() mreg               { return mreg(x86.RAX) }
func (g *amd64Gen) scratch() mreg              { return mreg(x86.RAX) }

func (g *amd64Gen) slot(s int) x86.Mem { return x86.BaseDisp(x86.RBP, int32(-8*(1+s))) }

func (g *amd64Gen) prologue(frame int) {
	a := g.a
	// Stack check: the frame spans [rsp+8-frame, rsp+8) (return address
	// included); it must stay at or above the limit. RAX and RBX hold
	// nothing yet.
	a.Lea(x86.RAX, x86.BaseDisp(x86.RSP, int32(8-frame)))
	a.Load(x86.RBX, x86.BaseDisp(amd64Ctx, ctxStackLimit))
	a.CmpRR(x86.RAX, x86.RBX)
	g.exitIf(x86.CondB, g.s.overflow)
	a.Push(x86.RBP)
	a.MovRR(x86.RBP, x86.RSP)
	if frame > 16 {
		a.SubRI(x86.RSP, int32(frame-16))
	}
}

func (g *amd64Gen) epilogue() {
	g.a.MovRR(x86.RSP, x86.RBP)
	g.a.Pop(x86.RBP)
	g.a.Ret()
}

func fitsInt32(c int64) bool { return c == int64(int32(c)) }

func (g *amd64Gen) move(dst, src loc) {
	a := g.a
	switch dst.kind {
	case locReg:
		r := x86.Reg(dst.r)
		switch src.kind {
		case locReg:
			if src.r != dst.r {
				a.MovRR(r, x86.Reg(src.r))
			}
		case locMem:
			a.Load(r, g.slot(src.slot))
		case locImm:
			a.MovRI(r, src.c)
		}
	case locMem:
		m := g.slot(dst.slot)
		switch src.kind {
		case locReg:
			a.Store(m, x86.Reg(src.r))
		case locMem:
			if src.slot != dst.slot {
				a.Load(x86.RDX, g.slot(src.slot))
				a.Store(m, x86.RDX)
			}
		case locImm:
			if fitsInt32(src.c) {
				a.StoreI32(m, int32(src.c))
			} else {
				a.MovRI(x86.RDX, src.c)
				a.Store(m, x86.RDX)
			}
		}
	default:
		panic("BUG: move to an immediate")
	}
}

// reg returns x in a register: its own, or tmp loaded with it.
func (g *amd64Gen) reg(x loc, tmp x86.Reg) x86.Reg {
	if x.kind == locReg {
		return x86.Reg(x.r)
	}
	g.move(regLoc(mreg(tmp)), x)
	return tmp
}

func commutative(op jasm.Op) bool {
	switch op {
	case jasm.OpAdd, jasm.OpMul, jasm.OpAnd, jasm.OpOr, jasm.OpXor:
		return true
	}
	return false
}

func (g *amd64Gen) alu(op jasm.Op, dst mreg, a, b loc) {
	if b.isReg(dst) && !a.isReg(dst) {
		if commutative(op) {
			a, b = b, a
		} else { // dst is b's register: compute in RAX (never an operand's)
			g.alu(op, mreg(x86.RAX), a, b)
			g.a.MovRR(x86.Reg(dst), x86.RAX)
			return
		}
	}
	g.move(regLoc(dst), a)
	g.apply(op, x86.Reg(dst), b)
}

// apply computes dst = dst op b.
func (g *amd64Gen) apply(op jasm.Op, dst x86.Reg, b loc) {
	a := g.a
	if op == jasm.OpSub && g.s.opts.hooks.swapSub { // negative control: b - a
		g.move(regLoc(mreg(x86.RDX)), b)
		a.SubRR(x86.RDX, dst)
		a.MovRR(dst, x86.RDX)
		return
	}
	imm := b.kind == locImm && fitsInt32(b.c)
	switch op {
	case jasm.OpShl, jasm.OpShr, jasm.OpSar:
		// The CPU takes 64-bit shift counts mod 64, as jasm does.
		if b.kind == locImm {
			n := uint8(b.c & 63)
			switch op {
			case jasm.OpShl:
				a.ShlI(dst, n)
			case jasm.OpShr:
				a.ShrI(dst, n)
			default:
				a.SarI(dst, n)
			}
			return
		}
		g.move(regLoc(mreg(x86.RCX)), b)
		switch op {
		case jasm.OpShl:
			a.ShlCL(dst)
		case jasm.OpShr:
			a.ShrCL(dst)
		default:
			a.SarCL(dst)
		}
		return
	case jasm.OpMul:
		if imm {
			a.ImulRRI(dst, dst, int32(b.c))
		} else {
			a.Imul(dst, g.reg(b, x86.RDX))
		}
		return
	}
	if imm {
		c := int32(b.c)
		switch op {
		case jasm.OpAdd:
			a.AddRI(dst, c)
		case jasm.OpSub:
			a.SubRI(dst, c)
		case jasm.OpAnd:
			a.AndRI(dst, c)
		case jasm.OpOr:
			a.OrRI(dst, c)
		case jasm.OpXor:
			a.XorRI(dst, c)
		default:
			panic("BUG: amd64 alu " + op.String())
		}
		return
	}
	r := g.reg(b, x86.RDX)
	switch op {
	case jasm.OpAdd:
		a.AddRR(dst, r)
	case jasm.OpSub:
		a.SubRR(dst, r)
	case jasm.OpAnd:
		a.AndRR(dst, r)
	case jasm.OpOr:
		a.OrRR(dst, r)
	case jasm.OpXor:
		a.XorRR(dst, r)
	default:
		panic("BUG: amd64 alu " + op.String())
	}
}

func (g *amd64Gen) unary(op jasm.Op, dst mreg, x loc) {
	g.move(regLoc(dst), x)
	if op == jasm.OpNeg {
		g.a.Neg(x86.Reg(dst))
	} else {
		g.a.Not(x86.Reg(dst))
	}
}

// divide: a in RAX, b in RCX; idiv faults on b == 0 (an exit here) and on
// MinInt64 / -1, which is handled apart: x / -1 is -x (wrapping), x % -1
// is 0. A constant divisor other than 0 and -1 needs neither check.
func (g *amd64Gen) divide(op jasm.Op, dst mreg, x, y loc) {
	a := g.a
	known := y.kind == locImm && y.c != 0 && y.c != -1
	g.move(regLoc(mreg(x86.RCX)), y)
	g.move(regLoc(mreg(x86.RAX)), x)
	if !known {
		a.TestRR(x86.RCX, x86.RCX)
		g.exitIf(x86.CondE, g.s.divZero)
	}
	do, done := a.NewLabel(), a.NewLabel()
	if !known {
		a.CmpRI(x86.RCX, -1)
		a.Jcc(x86.CondNE, do)
		if op == jasm.OpDiv {
			a.Neg(x86.RAX)
		} else {
			a.MovRI(x86.RDX, 0)
		}
		a.Jmp(done)
	}
	a.Bind(do)
	a.Cqo()
	a.Idiv(x86.RCX)
	a.Bind(done)
	res := x86.RAX
	if op == jasm.OpRem {
		res = x86.RDX
	}
	if x86.Reg(dst) != res {
		a.MovRR(x86.Reg(dst), res)
	}
}

var amd64SetCond = map[jasm.Op]x86.Cond{
	jasm.OpEq: x86.CondE, jasm.OpNe: x86.CondNE, jasm.OpLt: x86.CondL,
	jasm.OpLe: x86.CondLE, jasm.OpGt: x86.CondG, jasm.OpGe: x86.CondGE,
}

// cmp sets the flags for a op b and returns the condition that holds when
// the comparison does.
func (g *amd64Gen) cmp(op jasm.Op, x, y loc) x86.Cond {
	a := g.a
	r := g.reg(x, x86.RAX)
	if y.kind == locImm && fitsInt32(y.c) {
		a.CmpRI(r, int32(y.c))
	} else {
		a.CmpRR(r, g.reg(y, x86.RDX))
	}
	return amd64SetCond[op]
}

func (g *amd64Gen) compare(op jasm.Op, dst mreg, x, y loc) {
	c := g.cmp(op, x, y)
	g.a.Setcc(c, x86.Reg(dst))
	g.a.MovzxB(x86.Reg(dst), x86.Reg(dst))
}

func (g *amd64Gen) branchCmp(op jasm.Op, x, y loc, when bool, target codegen.Label) {
	c := g.cmp(op, x, y)
	if !when {
		c = c.Invert()
	}
	g.a.Jcc(c, target)
}

func (g *amd64Gen) branchZero(x loc, zero bool, target codegen.Label) {
	r := g.reg(x, x86.RAX)
	g.a.TestRR(r, r)
	c := x86.CondNE
	if zero {
		c = x86.CondE
	}
	g.a.Jcc(c, target)
}

func (g *amd64Gen) jump(target codegen.Label) { g.a.Jmp(target) }

func (g *amd64Gen) call(site string, target codegen.Label) {
	if site == "" {
		g.a.Call(target)
	} else {
		g.a.CallSite(site, target)
	}
}

func (g *amd64Gen) loadDataSlot(dst mreg, slot codegen.Label) { g.a.LoadRIP(x86.Reg(dst), slot) }

func (g *amd64Gen) constSite(name string, dst mreg, init int64, park codegen.Label) {
	g.a.MovAbsSite(name, x86.Reg(dst), init, park)
}

// pollChecks checks the interrupt word and then the goroutine's preemption
// request (stackguard0 == stackPreempt, see entry.go), in RAX:
//
//	mov rax,[r13]; test rax,rax; jnz interrupt       (R13: the interrupt word)
//	mov rax,[r14+16]; cmp rax,stackPreempt; je slow  (R14: g)
func (g *amd64Gen) pollChecks(slow codegen.Label) {
	a := g.a
	a.Load(x86.RAX, x86.BaseDisp(amd64Intr, 0))
	a.TestRR(x86.RAX, x86.RAX)
	g.exitIf(x86.CondNE, g.s.interrupt)
	a.Load(x86.RAX, x86.BaseDisp(amd64G, gStackguard0))
	a.CmpRI(x86.RAX, stackPreempt)
	a.Jcc(x86.CondE, slow)
}

// yield passes the resume address in RBX: lea rbx,[rip+back]; jmp yield.
func (g *amd64Gen) yield() {
	back := g.a.NewLabel()
	g.a.LeaRIP(x86.RBX, back)
	g.a.Jmp(g.s.yield)
	g.a.Bind(back)
}

// exitIf leaves through exit stub exit when cc holds, by way of an
// out-of-line stub of its own, `lea rbx,[rip+stub]; jmp exit`: the exit
// stub stores RBX in callCtx.faultPC, and Code.Lines maps the stub to the
// current instruction (the position a runtime error reports).
func (g *amd64Gen) exitIf(cc x86.Cond, exit codegen.Label) {
	stub := g.a.NewLabel()
	g.a.Jcc(cc, stub)
	g.s.exits = append(g.s.exits, exitStub{stub, exit, g.s.at})
}

// emitExitStub is exitIf's stub: lea rbx,[rip+stub]; jmp exit.
func (g *amd64Gen) emitExitStub(st exitStub) {
	g.a.Bind(st.l)
	g.s.mark(st.l)
	g.a.LeaRIP(x86.RBX, st.l)
	g.a.Jmp(st.exit)
}

func (g *amd64Gen) end() {
	a := g.a
	for _, stub := range []struct {
		l    codegen.Label
		code int32
	}{{g.s.divZero, exitDivideByZero}, {g.s.overflow, exitStackOverflow}, {g.s.interrupt, exitInterrupted}} {
		a.Align(16)
		a.Bind(stub.l)
		a.Store(x86.BaseDisp(amd64Ctx, ctxFaultPC), x86.RBX)
		a.StoreI32(x86.BaseDisp(amd64Ctx, ctxExit), stub.code)
		a.Load(x86.RSP, x86.BaseDisp(amd64Ctx, ctxSavedSP))
		a.Load(x86.RBP, x86.BaseDisp(amd64Ctx, ctxSavedFP))
		a.Ret()
	}
	// yield: RBX holds the resume address; the stack and frame pointers
	// are saved (the poll's slow path saved the live registers in the
	// frame), then it leaves as the exit stubs do.
	a.Align(16)
	a.Bind(g.s.yield)
	a.Store(x86.BaseDisp(amd64Ctx, ctxResumePC), x86.RBX)
	a.Store(x86.BaseDisp(amd64Ctx, ctxTOS), x86.RAX)
	a.Store(x86.BaseDisp(amd64Ctx, ctxJitSP), x86.RSP)
	a.Store(x86.BaseDisp(amd64Ctx, ctxJitFP), x86.RBP)
	a.StoreI32(x86.BaseDisp(amd64Ctx, ctxExit), exitYield)
	a.Load(x86.RSP, x86.BaseDisp(amd64Ctx, ctxSavedSP))
	a.Load(x86.RBP, x86.BaseDisp(amd64Ctx, ctxSavedFP))
	a.Ret()
}
