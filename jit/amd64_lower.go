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
// Registers: the pool is RBX RSI RDI R8 R9 R10 R11; RDI RSI RDX RCX R8
// R9 R10 R11 carry arguments and RAX the result. RAX (the driver's scratch
// register), RCX (shift counts, divisors) and RDX (idiv, large immediates,
// memory operands) are this file's temporaries. R15 holds the callCtx, R13
// the interrupt word's address, R14 the goroutine (g) and R12 the poll
// budget for a whole call.
// (jitcall is ABI0: Go's wrapper restores R14 and X15 afterwards.)
var amd64ArgRegs = [8]x86.Reg{x86.RDI, x86.RSI, x86.RDX, x86.RCX, x86.R8, x86.R9, x86.R10, x86.R11}

var (
	amd64Pool = []mreg{mreg(x86.RBX), mreg(x86.RSI), mreg(x86.RDI),
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
// jitresume): the callCtx, the interrupt word's address, and g; and the
// poll budget, which poll points count down (entry.go, pollBudget).
const (
	amd64Ctx    = x86.R15
	amd64Intr   = x86.R13
	amd64G      = x86.R14
	amd64Budget = x86.R12
)

type amd64Gen struct {
	s         *lowerState
	a         *x86.Asm
	frameless bool // the current function has no frame (driver.frameless)
}

func newAMD64Gen() *amd64Gen { return &amd64Gen{a: x86.New()} }

func (g *amd64Gen) attach(s *lowerState) { g.s = s }

func (g *amd64Gen) buffer() *codegen.Buffer    { return g.a.Buffer }
func (g *amd64Gen) sites() codegen.SiteEmitter { return g.a }
func (g *amd64Gen) pool() []mreg               { return amd64Pool }
func (g *amd64Gen) argRegs() []mreg            { return amd64Args }
func (g *amd64Gen) result() mreg               { return mreg(x86.RAX) }
func (g *amd64Gen) scratch() mreg              { return mreg(x86.RAX) }
func (g *amd64Gen) temp() mreg                 { return mreg(x86.RDX) }

func (g *amd64Gen) slot(s int) x86.Mem {
	if g.frameless {
		panic("BUG: a frame slot in a frameless function")
	}
	return x86.BaseDisp(x86.RBP, int32(-8*(1+s)))
}

func (g *amd64Gen) prologue(frame int, frameless bool) {
	g.frameless = frameless
	a := g.a
	// Stack check: the frame spans [rsp+8-frame, rsp+8) (return address
	// included); it must stay at or above the limit. RAX and RBX hold
	// nothing yet.
	a.Lea(x86.RAX, x86.BaseDisp(x86.RSP, int32(8-frame)))
	a.Load(x86.RBX, x86.BaseDisp(amd64Ctx, ctxStackLimit))
	a.CmpRR(x86.RAX, x86.RBX)
	a.Jcc(x86.CondB, g.s.exitTo(g.s.overflow))
	if frameless {
		return
	}
	a.Push(x86.RBP)
	a.MovRR(x86.RBP, x86.RSP)
	if frame > 16 {
		a.SubRI(x86.RSP, int32(frame-16))
	}
}

func (g *amd64Gen) epilogue() {
	if g.frameless {
		g.a.Ret()
		return
	}
	g.a.MovRR(x86.RSP, x86.RBP)
	g.a.Pop(x86.RBP)
	g.a.Ret()
}

func fitsInt32(c int64) bool { return c == int64(int32(c)) }

func (g *amd64Gen) movRR(dst, src mreg)       { g.a.MovRR(x86.Reg(dst), x86.Reg(src)) }
func (g *amd64Gen) load(dst mreg, slot int)   { g.a.Load(x86.Reg(dst), g.slot(slot)) }
func (g *amd64Gen) store(slot int, src mreg)  { g.a.Store(g.slot(slot), x86.Reg(src)) }
func (g *amd64Gen) loadImm(dst mreg, c int64) { g.a.MovRI(x86.Reg(dst), c) }

// storeImm: mov qword [m], imm32 (sign-extended) when c fits.
func (g *amd64Gen) storeImm(slot int, c int64) bool {
	if !fitsInt32(c) {
		return false
	}
	g.a.StoreI32(g.slot(slot), int32(c))
	return true
}

func (g *amd64Gen) reg(x loc, tmp x86.Reg) x86.Reg { return x86.Reg(inReg(g, x, mreg(tmp))) }

func commutative(op jasm.Op) bool {
	switch op {
	case jasm.OpAdd, jasm.OpMul, jasm.OpAnd, jasm.OpOr, jasm.OpXor:
		return true
	}
	return false
}

// The two-operand forms of the operations alu emits with one instruction,
// by jasm op: with a register and with an int32 immediate; shifts by CL and
// by an immediate count (the CPU takes 64-bit counts mod 64, as jasm does).
var (
	amd64RR = [...]func(*x86.Asm, x86.Reg, x86.Reg){jasm.OpAdd: (*x86.Asm).AddRR, jasm.OpSub: (*x86.Asm).SubRR,
		jasm.OpMul: (*x86.Asm).Imul, jasm.OpAnd: (*x86.Asm).AndRR, jasm.OpOr: (*x86.Asm).OrRR, jasm.OpXor: (*x86.Asm).XorRR}
	amd64RI = [...]func(*x86.Asm, x86.Reg, int32){jasm.OpAdd: (*x86.Asm).AddRI, jasm.OpSub: (*x86.Asm).SubRI,
		jasm.OpMul: func(a *x86.Asm, r x86.Reg, c int32) { a.ImulRRI(r, r, c) },
		jasm.OpAnd: (*x86.Asm).AndRI, jasm.OpOr: (*x86.Asm).OrRI, jasm.OpXor: (*x86.Asm).XorRI}
	amd64ShiftCL = [...]func(*x86.Asm, x86.Reg){jasm.OpShl: (*x86.Asm).ShlCL, jasm.OpShr: (*x86.Asm).ShrCL, jasm.OpSar: (*x86.Asm).SarCL}
	amd64ShiftI  = [...]func(*x86.Asm, x86.Reg, uint8){jasm.OpShl: (*x86.Asm).ShlI, jasm.OpShr: (*x86.Asm).ShrI, jasm.OpSar: (*x86.Asm).SarI}
)

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
	move(g, regLoc(dst), a)
	g.apply(op, x86.Reg(dst), b)
}

// apply computes dst = dst op b.
func (g *amd64Gen) apply(op jasm.Op, dst x86.Reg, b loc) {
	a := g.a
	switch {
	case op == jasm.OpShl || op == jasm.OpShr || op == jasm.OpSar:
		if b.kind == locImm {
			amd64ShiftI[op](a, dst, uint8(b.c&63))
		} else {
			move(g, regLoc(mreg(x86.RCX)), b)
			amd64ShiftCL[op](a, dst)
		}
	case b.kind == locImm && fitsInt32(b.c):
		amd64RI[op](a, dst, int32(b.c))
	default:
		amd64RR[op](a, dst, g.reg(b, x86.RDX))
	}
}

func (g *amd64Gen) unary(op jasm.Op, dst mreg, x loc) {
	move(g, regLoc(dst), x)
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
	move(g, regLoc(mreg(x86.RCX)), y)
	move(g, regLoc(mreg(x86.RAX)), x)
	do, done := a.NewLabel(), a.NewLabel()
	if !known {
		a.TestRR(x86.RCX, x86.RCX)
		a.Jcc(x86.CondE, g.s.exitTo(g.s.divZero))
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
	move(g, regLoc(dst), regLoc(mreg(res)))
}

// amd64Cond is the condition that holds when a comparison does, by jasm op.
var amd64Cond = [...]x86.Cond{
	jasm.OpEq: x86.CondE, jasm.OpNe: x86.CondNE, jasm.OpLt: x86.CondL,
	jasm.OpLe: x86.CondLE, jasm.OpGt: x86.CondG, jasm.OpGe: x86.CondGE,
}

// cmp sets the flags for a op b and returns the condition that holds when
// the comparison does.
func (g *amd64Gen) cmp(op jasm.Op, x, y loc) x86.Cond {
	r := g.reg(x, x86.RAX)
	if y.kind == locImm && y.c == 0 && (op == jasm.OpEq || op == jasm.OpNe) {
		g.a.TestRR(r, r) // shorter than cmp r,0
	} else if y.kind == locImm && fitsInt32(y.c) {
		g.a.CmpRI(r, int32(y.c))
	} else {
		g.a.CmpRR(r, g.reg(y, x86.RDX))
	}
	return amd64Cond[op]
}

func (g *amd64Gen) compare(op jasm.Op, dst mreg, x, y loc) {
	c := g.cmp(op, x, y)
	g.a.Setcc(c, x86.Reg(dst))
	g.a.MovzxB(x86.Reg(dst), x86.Reg(dst))
}

func (g *amd64Gen) branchCmp(op jasm.Op, x, y loc, target codegen.Label) {
	g.a.Jcc(g.cmp(op, x, y), target)
}

func (g *amd64Gen) jump(target codegen.Label) { g.a.Jmp(target) }
func (g *amd64Gen) call(target codegen.Label) { g.a.Call(target) }

func (g *amd64Gen) loadDataSlot(dst mreg, slot codegen.Label) { g.a.LoadRIP(x86.Reg(dst), slot) }

func (g *amd64Gen) constSite(name string, dst mreg, init int64, park codegen.Label) {
	g.a.MovAbsSite(name, x86.Reg(dst), init, park)
}

// pollFast counts the budget down: sub r12,1; je slow.
func (g *amd64Gen) pollFast(slow codegen.Label) {
	g.a.SubRI(amd64Budget, 1)
	g.a.Jcc(x86.CondE, slow)
}

// pollChecks sets the budget again, then checks the interrupt word and the
// goroutine's preemption request (stackguard0 == stackPreempt, see
// entry.go), in RAX:
//
//	mov r12,pollBudget
//	mov rax,[r13]; test rax,rax; jnz interrupt          (R13: the interrupt word)
//	mov rax,[r14+16]; cmp rax,stackPreempt; jne resume  (R14: g)
func (g *amd64Gen) pollChecks(resume codegen.Label) {
	a := g.a
	a.MovRI(amd64Budget, pollBudget)
	a.Load(x86.RAX, x86.BaseDisp(amd64Intr, 0))
	a.TestRR(x86.RAX, x86.RAX)
	a.Jcc(x86.CondNE, g.s.exitTo(g.s.interrupt))
	a.Load(x86.RAX, x86.BaseDisp(amd64G, gStackguard0))
	a.CmpRI(x86.RAX, stackPreempt)
	a.Jcc(x86.CondNE, resume)
}

// yield passes the resume address in RBX: lea rbx,[rip+back]; jmp yield.
func (g *amd64Gen) yield() {
	back := g.a.NewLabel()
	g.a.LeaRIP(x86.RBX, back)
	g.a.JmpLong(g.s.yield) // the shared stubs are far: long from the start spares layout a pass
	g.a.Bind(back)
}

// exitJump: lea rbx,[rip+stub]; jmp exit (the exit stub stores RBX in
// callCtx.faultPC).
func (g *amd64Gen) exitJump(stub, exit codegen.Label) {
	g.a.LeaRIP(x86.RBX, stub)
	g.a.JmpLong(exit)
}

// leave restores Go's stack and frame pointers and returns to jitcall's
// caller.
func (g *amd64Gen) leave() {
	g.a.Load(x86.RSP, x86.BaseDisp(amd64Ctx, ctxSavedSP))
	g.a.Load(x86.RBP, x86.BaseDisp(amd64Ctx, ctxSavedFP))
	g.a.Ret()
}

func (g *amd64Gen) exitStub(code int32) {
	g.a.Store(x86.BaseDisp(amd64Ctx, ctxFaultPC), x86.RBX)
	g.a.StoreI32(x86.BaseDisp(amd64Ctx, ctxExit), code)
	g.leave()
}

// yieldStub: RBX holds the resume address (the poll's slow path saved the
// live registers in the frame).
func (g *amd64Gen) yieldStub() {
	a := g.a
	a.Store(x86.BaseDisp(amd64Ctx, ctxResumePC), x86.RBX)
	a.Store(x86.BaseDisp(amd64Ctx, ctxJitSP), x86.RSP)
	a.Store(x86.BaseDisp(amd64Ctx, ctxJitFP), x86.RBP)
	a.StoreI32(x86.BaseDisp(amd64Ctx, ctxExit), exitYield)
	g.leave()
}
