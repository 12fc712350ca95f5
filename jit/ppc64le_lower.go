package jit

import (
	"github.com/syncore/syncore/codegen"
	ppc "github.com/syncore/syncore/codegen/ppc64"
	"github.com/syncore/syncore/jit/jasm"
)

// ppc64le lowering: the same template scheme as amd64, with the top of the
// operand stack cached in R3 (also the result register). At every
// instruction boundary with depth d > 0 the top is in R3 and values 0..d-2
// are in their frame slots.
//
// Frame (FrameSize(f) bytes, jasm's stack-budget model exactly; R1 points
// at its bottom):
//
//	0(r1)                 back chain (caller's r1)
//	8(r1)                 saved LR
//	16+8*i(r1)            parameter i
//	16+8*(P+j)(r1)        local j
//	16+8*(P+L+k)(r1)      operand-stack slot k
//
// Registers: R3..R10 carry arguments, R3 the result and the cached top, R14
// the callCtx, R15 the interrupt word's address; R11 and R12 are scratch. R0 (always 0), R2, R13, R30 (g) and
// R31 are never written (codegen/ppc64.Reserved); R1 moves only by whole
// frames.
const (
	ppcCtx  = ppc.R14
	ppcIntr = ppc.R15 // the interrupt word's address, for the whole call
	ppcT1   = ppc.R11
	ppcT2   = ppc.R12
)

type ppc64Lowerer struct {
	lowerState
	a     *ppc.Asm
	f     *jasm.Func
	frame int64
	start codegen.Label   // offset 0 of the blob: the anchor of data slots (callCtx.base)
	slots []codegen.Label // data slots of pconst sites, by site index
}

func newPPC64Lowerer(p *jasm.Program, opts CompileOptions) *ppc64Lowerer {
	l := &ppc64Lowerer{a: ppc.New()}
	l.init(l.a.Buffer, p, opts)
	l.emitExit = l.emitExitStub
	l.start = l.a.NewLabel()
	l.a.Bind(l.start)
	l.slots = make([]codegen.Label, len(p.Sites))
	return l
}

func (l *ppc64Lowerer) buffer() *codegen.Buffer { return l.a.Buffer }

func (l *ppc64Lowerer) param(i int) int64 { return int64(16 + 8*i) }
func (l *ppc64Lowerer) local(j int) int64 { return int64(16 + 8*(l.f.Params+j)) }
func (l *ppc64Lowerer) slot(k int) int64  { return int64(16 + 8*(l.f.Params+l.f.Locals+k)) }

func (l *ppc64Lowerer) spill(d int) {
	if d > 0 {
		l.a.Std(ppc.R3, ppc.R1, l.slot(d-1))
	}
}

func (l *ppc64Lowerer) reload(d int) {
	if d > 0 {
		l.a.Ld(ppc.R3, ppc.R1, l.slot(d-1))
	}
}

// poll is a poll point (function entry, loop back-edges); only R3 is live.
// It checks the interrupt word, then the goroutine's preemption request
// (g is R30; see entry.go), yielding through an out-of-line stub whose bl
// leaves the resume address in LR:
//
//	ld r11,0(r15); cmpdi r11,0; bne interrupt       (R15: the interrupt word)
//	ld r11,16(r30); cmpdi r11,stackPreempt; beq stub
//	resume:
//	...
//	stub: bl yield; b resume
func (l *ppc64Lowerer) poll() {
	a := l.a
	a.Ld(ppcT1, ppcIntr, 0)
	a.Cmpdi(ppc.CR0, ppcT1, 0)
	l.exitIf(ppc.NE, l.interrupt)
	a.Ld(ppcT1, ppc.RegG, gStackguard0)
	a.Cmpdi(ppc.CR0, ppcT1, stackPreempt)
	stub, resume := a.NewLabel(), a.NewLabel()
	a.Bc(ppc.EQ, stub)
	a.Bind(resume)
	l.deferred = append(l.deferred, func() {
		a.Bind(stub)
		a.Bl(l.yield)
		a.B(resume)
	})
}

// exitIf leaves through exit stub exit when cond holds, by way of an
// out-of-line stub of its own, `bl exit`: the exit stub stores LR (the
// stub's address + 4) in callCtx.faultPC, and Code.Lines maps the stub to
// the current instruction (the position a runtime error reports).
func (l *ppc64Lowerer) exitIf(cond ppc.Cond, exit codegen.Label) {
	a := l.a
	stub := a.NewLabel()
	a.Bc(cond, stub)
	l.exits = append(l.exits, exitStub{stub, exit, l.at})
}

// emitExitStub is exitIf's stub: bl exit.
func (l *ppc64Lowerer) emitExitStub(st exitStub) {
	l.a.Bind(st.l)
	l.mark(st.l)
	l.a.Bl(st.exit)
}

func (l *ppc64Lowerer) begin(fi int, f *jasm.Func) {
	a := l.a
	l.flushDeferred()
	l.f = f
	l.enter(l.a.Buffer, f)
	l.frame = int64(jasm.FrameSize(f))
	a.Align(16)
	a.Bind(l.funcLabels[fi])
	// Stack check: the frame will span [r1-frame, r1).
	a.Addi(ppcT1, ppc.R1, -l.frame)
	a.Ld(ppcT2, ppcCtx, int64(ctxStackLimit))
	a.Cmpld(ppc.CR0, ppcT1, ppcT2)
	l.exitIf(ppc.LT, l.overflow)
	a.Mflr(ppcT2)
	a.Std(ppc.R1, ppc.R1, -l.frame) // back chain
	a.Addi(ppc.R1, ppc.R1, -l.frame)
	a.Std(ppcT2, ppc.R1, 8)
	for i := range f.Params {
		a.Std(ppc.R3+ppc.Reg(i), ppc.R1, l.param(i))
	}
	for j := range f.Locals {
		a.Std(ppc.R0, ppc.R1, l.local(j)) // R0 is always 0
	}
	if callsOut(f) {
		l.poll() // so recursion without loops stays interruptible
	}
}

// ppcSetCond maps a comparison to the CR0 condition that is true when the
// comparison holds.
var ppcSetCond = map[jasm.Op]ppc.Cond{
	jasm.OpEq: ppc.EQ, jasm.OpNe: ppc.NE, jasm.OpLt: ppc.LT,
	jasm.OpLe: ppc.LE, jasm.OpGt: ppc.GT, jasm.OpGe: ppc.GE,
}

func (l *ppc64Lowerer) inst(f *jasm.Func, i int, in jasm.Inst, d int) int {
	a := l.a
	r3 := ppc.R3
	if l.instLabels[i] != 0 {
		a.Bind(l.instLabels[i])
	}
	switch in.Op {
	case jasm.OpPush:
		l.spill(d)
		a.LoadConst(r3, in.Arg)
	case jasm.OpPop:
		l.reload(d - 1)
	case jasm.OpDup:
		a.Std(r3, ppc.R1, l.slot(d-1))
	case jasm.OpSwap:
		a.Ld(ppcT1, ppc.R1, l.slot(d-2))
		a.Std(r3, ppc.R1, l.slot(d-2))
		a.Mr(r3, ppcT1)
	case jasm.OpArg:
		l.spill(d)
		a.Ld(r3, ppc.R1, l.param(int(in.Arg)))
	case jasm.OpLoad:
		l.spill(d)
		a.Ld(r3, ppc.R1, l.local(int(in.Arg)))
	case jasm.OpStore:
		a.Std(r3, ppc.R1, l.local(int(in.Arg)))
		l.reload(d - 1)
	case jasm.OpNeg:
		a.Neg(r3, r3)
	case jasm.OpNot:
		a.Nor(r3, r3, r3)
	case jasm.OpAdd, jasm.OpSub, jasm.OpMul, jasm.OpAnd, jasm.OpOr, jasm.OpXor:
		a.Ld(ppcT1, ppc.R1, l.slot(d-2)) // a; b is in R3
		switch in.Op {
		case jasm.OpAdd:
			a.Add(r3, ppcT1, r3)
		case jasm.OpSub:
			if l.opts.hooks.swapSub {
				a.Subf(r3, ppcT1, r3)
				break
			}
			a.Subf(r3, r3, ppcT1) // subf rt,ra,rb = rb - ra
		case jasm.OpMul:
			a.Mulld(r3, ppcT1, r3)
		case jasm.OpAnd:
			a.And(r3, ppcT1, r3)
		case jasm.OpOr:
			a.Or(r3, ppcT1, r3)
		case jasm.OpXor:
			a.Xor(r3, ppcT1, r3)
		}
	case jasm.OpShl, jasm.OpShr, jasm.OpSar:
		// sld/srd/srad read 7 bits of the count (64..127 give 0 or the
		// sign); jasm takes the count mod 64.
		a.Ld(ppcT1, ppc.R1, l.slot(d-2))
		a.Clrldi(ppcT2, r3, 58)
		switch in.Op {
		case jasm.OpShl:
			a.Sld(r3, ppcT1, ppcT2)
		case jasm.OpShr:
			a.Srd(r3, ppcT1, ppcT2)
		case jasm.OpSar:
			a.Srad(r3, ppcT1, ppcT2)
		}
	case jasm.OpDiv, jasm.OpRem:
		// divd is undefined for b = 0 and MinInt64 / -1: handle both.
		a.Ld(ppcT1, ppc.R1, l.slot(d-2))
		a.Cmpdi(ppc.CR0, r3, 0)
		l.exitIf(ppc.EQ, l.divZero)
		do, done := a.NewLabel(), a.NewLabel()
		a.Cmpdi(ppc.CR0, r3, -1)
		a.Bc(ppc.NE, do)
		if in.Op == jasm.OpDiv {
			a.Neg(r3, ppcT1)
		} else {
			a.Li(r3, 0)
		}
		a.B(done)
		a.Bind(do)
		a.Divd(ppcT2, ppcT1, r3)
		if in.Op == jasm.OpDiv {
			a.Mr(r3, ppcT2)
		} else {
			a.Mulld(ppcT2, ppcT2, r3)
			a.Subf(r3, ppcT2, ppcT1) // a - (a/b)*b
		}
		a.Bind(done)
	case jasm.OpEq, jasm.OpNe, jasm.OpLt, jasm.OpLe, jasm.OpGt, jasm.OpGe:
		a.Ld(ppcT1, ppc.R1, l.slot(d-2))
		a.Cmpd(ppc.CR0, ppcT1, r3)
		a.Li(ppcT2, 1)
		c := ppcSetCond[in.Op]
		if c.Negated() { // isel tests a set bit: c ? 0 : 1 (RA = R0 reads 0)
			a.Isel(r3, ppc.R0, ppcT2, c.Not())
		} else { // c ? 1 : R0 (= 0)
			a.Isel(r3, ppcT2, ppc.R0, c)
		}
	case jasm.OpJmp:
		if in.Arg <= int64(i) {
			l.poll()
		}
		a.B(l.label(a.Buffer, in.Arg))
	case jasm.OpJz, jasm.OpJnz:
		if in.Arg <= int64(i) {
			l.poll()
		}
		a.Cmpdi(ppc.CR0, r3, 0)
		l.reload(d - 1) // ld keeps CR0
		c := ppc.EQ
		if in.Op == jasm.OpJnz {
			c = ppc.NE
		}
		a.Bc(c, l.label(a.Buffer, in.Arg))
	case jasm.OpCall, jasm.OpPCall:
		n := l.p.Funcs[in.Arg].Params
		if n == 0 {
			l.spill(d)
		}
		if n > 1 {
			a.Mr(ppc.R3+ppc.Reg(n-1), r3)
		}
		for k := range n - 1 {
			a.Ld(ppc.R3+ppc.Reg(k), ppc.R1, l.slot(d-n+k))
		}
		if in.Op == jasm.OpCall {
			a.Bl(l.funcLabels[in.Arg])
		} else {
			a.CallSite(l.siteName(in.Site), l.funcLabels[in.Arg])
		}
	case jasm.OpRet:
		a.Ld(ppcT2, ppc.R1, 8)
		a.Mtlr(ppcT2)
		a.Addi(ppc.R1, ppc.R1, l.frame)
		a.Blr()
	case jasm.OpPConst:
		// Power's patch class has no immediates: load the live value from
		// an aligned data slot, addressed from the blob's start (callCtx.base).
		l.spill(d)
		s := a.NewLabel()
		l.slots[in.Site] = s
		a.Ld(ppcT1, ppcCtx, int64(ctxBase))
		a.LdRel(r3, ppcT1, s, l.start)
	case jasm.OpGuard:
		target := l.label(a.Buffer, in.Arg)
		if in.Arg <= int64(i) {
			stub := a.NewLabel()
			l.deferHere(func() {
				a.Bind(stub)
				l.poll()
				a.B(target)
			})
			target = stub
		}
		a.GuardSite(l.siteName(in.Site), target)
	default:
		panic("BUG: ppc64le lowering of " + in.Op.String())
	}
	return 0
}

func (l *ppc64Lowerer) end() {
	a := l.a
	l.flushDeferred()
	for _, stub := range []struct {
		l    codegen.Label
		code int64
	}{{l.divZero, exitDivideByZero}, {l.overflow, exitStackOverflow}, {l.interrupt, exitInterrupted}} {
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
	// yield: LR holds the resume address (the b after the stub's bl).
	a.Align(16)
	a.Bind(l.yield)
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
	for i, s := range l.slots {
		if s != 0 {
			a.BindDataSlot(s, l.siteName(int32(i)), uint64(l.p.Sites[i].Init))
		}
	}
}
