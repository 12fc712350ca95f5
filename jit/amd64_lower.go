package jit

import (
	"github.com/syncore/syncore/codegen"
	x86 "github.com/syncore/syncore/codegen/amd64"
	"github.com/syncore/syncore/jit/jasm"
)

// amd64 lowering: a template compiler with the top of the operand stack
// cached in RAX. At every instruction boundary with depth d > 0 the top value
// is in RAX and values 0..d-2 are in their frame slots; labels keep the same
// invariant because the verifier makes depths agree at joins.
//
// Frame (FrameSize(f) bytes, jasm's stack-budget model exactly):
//
//	[rbp+8]               return address
//	[rbp]                 caller's rbp
//	[rbp-8*(1+i)]         parameter i
//	[rbp-8*(1+P+j)]       local j
//	[rbp-8*(1+P+L+k)]     operand-stack slot k
//
// Registers: RDI RSI RDX RCX R8 R9 R10 R11 carry arguments, RAX the result
// and the cached top, R15 the callCtx, R13 the interrupt word's address,
// R14 the goroutine (g); RBX, RCX, RDX are scratch between instructions.
// (jitcall is ABI0: Go's wrapper restores R14 and X15 afterwards.)
var amd64ArgRegs = [8]x86.Reg{x86.RDI, x86.RSI, x86.RDX, x86.RCX, x86.R8, x86.R9, x86.R10, x86.R11}

// Registers that hold the same value for a whole call (set by jitcall and
// jitresume): the callCtx, the interrupt word's address, and g.
const (
	amd64Ctx  = x86.R15
	amd64Intr = x86.R13
	amd64G    = x86.R14
)

type amd64Lowerer struct {
	lowerState
	a     *x86.Asm
	f     *jasm.Func
	slots []codegen.Label // data slots of pconst sites, by site index
}

func newAMD64Lowerer(p *jasm.Program, opts CompileOptions) *amd64Lowerer {
	l := &amd64Lowerer{a: x86.New()}
	l.init(l.a.Buffer, p, opts)
	l.emitExit = l.emitExitStub
	l.slots = make([]codegen.Label, len(p.Sites))
	return l
}

func (l *amd64Lowerer) buffer() *codegen.Buffer { return l.a.Buffer }

func (l *amd64Lowerer) param(i int) x86.Mem { return x86.BaseDisp(x86.RBP, int32(-8*(1+i))) }
func (l *amd64Lowerer) local(j int) x86.Mem {
	return x86.BaseDisp(x86.RBP, int32(-8*(1+l.f.Params+j)))
}
func (l *amd64Lowerer) slot(k int) x86.Mem {
	return x86.BaseDisp(x86.RBP, int32(-8*(1+l.f.Params+l.f.Locals+k)))
}

// spill stores the cached top (RAX) into its slot before RAX is reused by an
// instruction that pushes; d is the depth before the instruction.
func (l *amd64Lowerer) spill(d int) {
	if d > 0 {
		l.a.Store(l.slot(d-1), x86.RAX)
	}
}

// reload makes RAX the top again after the top was consumed, leaving depth d.
func (l *amd64Lowerer) reload(d int) {
	if d > 0 {
		l.a.Load(x86.RAX, l.slot(d-1))
	}
}

// poll is a poll point (function entry, loop back-edges). Only RAX (the
// cached top) is live here. It checks the interrupt word and then the
// goroutine's preemption request (stackguard0 == stackPreempt, see
// entry.go); on a request it yields through an out-of-line stub that passes
// the resume address in RBX:
//
//	mov rbx,[r13]; test rbx,rbx; jnz interrupt          (R13: the interrupt word)
//	mov rbx,[r14+16]; cmp rbx,stackPreempt; je stub     (R14: g)
//	resume:
//	...
//	stub: lea rbx,[rip+resume]; jmp yield
func (l *amd64Lowerer) poll() {
	a := l.a
	a.Load(x86.RBX, x86.BaseDisp(amd64Intr, 0))
	a.TestRR(x86.RBX, x86.RBX)
	l.exitIf(x86.CondNE, l.interrupt)
	a.Load(x86.RBX, x86.BaseDisp(amd64G, gStackguard0))
	a.CmpRI(x86.RBX, stackPreempt)
	stub, resume := a.NewLabel(), a.NewLabel()
	a.Jcc(x86.CondE, stub)
	a.Bind(resume)
	l.deferred = append(l.deferred, func() {
		a.Bind(stub)
		a.LeaRIP(x86.RBX, resume)
		a.Jmp(l.yield)
	})
}

// exitIf leaves through exit stub exit when cc holds, by way of an
// out-of-line stub of its own, `lea rbx,[rip+stub]; jmp exit`: the exit
// stub stores RBX in callCtx.faultPC, and Code.Lines maps the stub to the
// current instruction (the position a runtime error reports).
func (l *amd64Lowerer) exitIf(cc x86.Cond, exit codegen.Label) {
	a := l.a
	stub := a.NewLabel()
	a.Jcc(cc, stub)
	l.exits = append(l.exits, exitStub{stub, exit, l.at})
}

// emitExitStub is exitIf's stub: lea rbx,[rip+stub]; jmp exit.
func (l *amd64Lowerer) emitExitStub(st exitStub) {
	l.a.Bind(st.l)
	l.mark(st.l)
	l.a.LeaRIP(x86.RBX, st.l)
	l.a.Jmp(st.exit)
}

func (l *amd64Lowerer) begin(fi int, f *jasm.Func) {
	a := l.a
	l.flushDeferred()
	l.f = f
	l.enter(l.a.Buffer, f)
	frame := int32(jasm.FrameSize(f))
	a.Align(16)
	a.Bind(l.funcLabels[fi])
	// Stack check: the frame spans [rsp+8-frame, rsp+8) (return address
	// included); it must stay at or above the limit.
	a.Lea(x86.RAX, x86.BaseDisp(x86.RSP, 8-frame))
	a.Load(x86.RBX, x86.BaseDisp(amd64Ctx, ctxStackLimit))
	a.CmpRR(x86.RAX, x86.RBX)
	l.exitIf(x86.CondB, l.overflow)
	a.Push(x86.RBP)
	a.MovRR(x86.RBP, x86.RSP)
	if frame > 16 {
		a.SubRI(x86.RSP, frame-16)
	}
	for i := range f.Params {
		a.Store(l.param(i), amd64ArgRegs[i])
	}
	if f.Locals > 0 {
		a.XorRR(x86.RAX, x86.RAX)
		for j := range f.Locals {
			a.Store(l.local(j), x86.RAX)
		}
	}
	if callsOut(f) {
		l.poll() // so recursion without loops stays interruptible
	}
}

var amd64SetCond = map[jasm.Op]x86.Cond{
	jasm.OpEq: x86.CondE, jasm.OpNe: x86.CondNE, jasm.OpLt: x86.CondL,
	jasm.OpLe: x86.CondLE, jasm.OpGt: x86.CondG, jasm.OpGe: x86.CondGE,
}

func (l *amd64Lowerer) inst(f *jasm.Func, i int, in jasm.Inst, d int) int {
	a := l.a
	if l.instLabels[i] != 0 {
		a.Bind(l.instLabels[i])
	}
	if n, ok := l.fuse(f, i, in, d); ok {
		return n
	}
	switch in.Op {
	case jasm.OpPush:
		l.spill(d)
		a.MovRI(x86.RAX, in.Arg)
	case jasm.OpPop:
		l.reload(d - 1)
	case jasm.OpDup:
		a.Store(l.slot(d-1), x86.RAX)
	case jasm.OpSwap:
		a.Load(x86.RCX, l.slot(d-2))
		a.Store(l.slot(d-2), x86.RAX)
		a.MovRR(x86.RAX, x86.RCX)
	case jasm.OpArg:
		l.spill(d)
		a.Load(x86.RAX, l.param(int(in.Arg)))
	case jasm.OpLoad:
		l.spill(d)
		a.Load(x86.RAX, l.local(int(in.Arg)))
	case jasm.OpStore:
		a.Store(l.local(int(in.Arg)), x86.RAX)
		l.reload(d - 1)
	case jasm.OpNeg:
		a.Neg(x86.RAX)
	case jasm.OpNot:
		a.Not(x86.RAX)
	case jasm.OpAdd, jasm.OpSub, jasm.OpMul, jasm.OpAnd, jasm.OpOr, jasm.OpXor,
		jasm.OpShl, jasm.OpShr, jasm.OpSar:
		// b (top) to RCX, a to RAX, RAX = a op b.
		a.MovRR(x86.RCX, x86.RAX)
		a.Load(x86.RAX, l.slot(d-2))
		switch in.Op {
		case jasm.OpAdd:
			a.AddRR(x86.RAX, x86.RCX)
		case jasm.OpSub:
			if l.opts.hooks.swapSub {
				a.SubRR(x86.RCX, x86.RAX)
				a.MovRR(x86.RAX, x86.RCX)
				break
			}
			a.SubRR(x86.RAX, x86.RCX)
		case jasm.OpMul:
			a.Imul(x86.RAX, x86.RCX)
		case jasm.OpAnd:
			a.AndRR(x86.RAX, x86.RCX)
		case jasm.OpOr:
			a.OrRR(x86.RAX, x86.RCX)
		case jasm.OpXor:
			a.XorRR(x86.RAX, x86.RCX)
		case jasm.OpShl: // the CPU takes 64-bit shift counts mod 64, as jasm does
			a.ShlCL(x86.RAX)
		case jasm.OpShr:
			a.ShrCL(x86.RAX)
		case jasm.OpSar:
			a.SarCL(x86.RAX)
		}
	case jasm.OpDiv, jasm.OpRem:
		a.MovRR(x86.RCX, x86.RAX)
		a.Load(x86.RAX, l.slot(d-2))
		a.TestRR(x86.RCX, x86.RCX)
		l.exitIf(x86.CondE, l.divZero)
		// idiv faults on MinInt64 / -1; x / -1 is -x (wrapping), x % -1 is 0.
		do, done := a.NewLabel(), a.NewLabel()
		a.CmpRI(x86.RCX, -1)
		a.Jcc(x86.CondNE, do)
		if in.Op == jasm.OpDiv {
			a.Neg(x86.RAX)
		} else {
			a.XorRR(x86.RAX, x86.RAX)
		}
		a.Jmp(done)
		a.Bind(do)
		a.Cqo()
		a.Idiv(x86.RCX)
		if in.Op == jasm.OpRem {
			a.MovRR(x86.RAX, x86.RDX)
		}
		a.Bind(done)
	case jasm.OpEq, jasm.OpNe, jasm.OpLt, jasm.OpLe, jasm.OpGt, jasm.OpGe:
		a.MovRR(x86.RCX, x86.RAX)
		a.Load(x86.RAX, l.slot(d-2))
		a.CmpRR(x86.RAX, x86.RCX)
		a.Setcc(amd64SetCond[in.Op], x86.RAX)
		a.MovzxB(x86.RAX, x86.RAX)
	case jasm.OpJmp:
		if in.Arg <= int64(i) {
			l.poll()
		}
		a.Jmp(l.label(a.Buffer, in.Arg))
	case jasm.OpJz, jasm.OpJnz:
		if in.Arg <= int64(i) {
			l.poll()
		}
		a.TestRR(x86.RAX, x86.RAX)
		l.reload(d - 1) // mov keeps the flags
		cond := x86.CondE
		if in.Op == jasm.OpJnz {
			cond = x86.CondNE
		}
		a.Jcc(cond, l.label(a.Buffer, in.Arg))
	case jasm.OpCall, jasm.OpPCall:
		callee := l.p.Funcs[in.Arg]
		n := callee.Params
		if n == 0 {
			l.spill(d)
		}
		for k := range n {
			if k == n-1 {
				a.MovRR(amd64ArgRegs[k], x86.RAX)
			} else {
				a.Load(amd64ArgRegs[k], l.slot(d-n+k))
			}
		}
		if in.Op == jasm.OpCall {
			a.Call(l.funcLabels[in.Arg])
		} else {
			a.CallSite(l.siteName(in.Site), l.funcLabels[in.Arg])
		}
	case jasm.OpRet:
		a.MovRR(x86.RSP, x86.RBP)
		a.Pop(x86.RBP)
		a.Ret()
	case jasm.OpPConst:
		l.spill(d)
		if l.opts.PConst == PConstCode {
			// A thread that meets the site while the self-loop protocol
			// has parked it goes round through a stub that polls, so it
			// can still yield to a stop-the-world or be interrupted.
			site, park := a.NewLabel(), a.NewLabel()
			a.Bind(site)
			a.MovAbsSite(l.siteName(in.Site), x86.RAX, in.Arg, park)
			l.deferHere(func() {
				a.Bind(park)
				l.poll()
				a.Jmp(site)
			})
		} else {
			s := a.NewLabel()
			l.slots[in.Site] = s
			a.LoadRIP(x86.RAX, s)
		}
	case jasm.OpGuard:
		target := l.label(a.Buffer, in.Arg)
		if in.Arg <= int64(i) {
			// A backward guard must poll once armed: divert through an
			// out-of-line poll so the disarmed path stays a 5-byte nop.
			stub := a.NewLabel()
			l.deferHere(func() {
				a.Bind(stub)
				l.poll()
				a.Jmp(target)
			})
			target = stub
		}
		a.GuardSite(l.siteName(in.Site), target)
	default:
		panic("BUG: amd64 lowering of " + in.Op.String())
	}
	return 0
}

// fuse compiles a few common sequences in fewer instructions, returning how
// many instructions after in it consumed:
//
//	push c; op            ->  op rax, c          (add sub and or xor mul shl shr sar; c an int32)
//	push c; cmp; jz/jnz   ->  cmp rax, c; jcc    (cmp one of eq ne lt le gt ge)
//	cmp; jz/jnz           ->  cmp; jcc
//
// Operands keep the template's places (the top in RAX, the rest in slots),
// so fused and unfused code meet at every label. The differential tests
// cover both (random programs contain all of these sequences).
func (l *amd64Lowerer) fuse(f *jasm.Func, i int, in jasm.Inst, d int) (int, bool) {
	a := l.a
	if l.opts.hooks.noFuse {
		return 0, false
	}
	if in.Op == jasm.OpPush && d >= 1 && in.Arg == int64(int32(in.Arg)) && l.fusable(f, i+1) {
		c := int32(in.Arg)
		next := f.Code[i+1].Op
		if cond, ok := amd64SetCond[next]; ok {
			if l.fusable(f, i+2) && isCondJump(f.Code[i+2].Op) && f.Code[i+2].Arg > int64(i+2) {
				a.CmpRI(x86.RAX, c)
				l.reload(d - 1) // the compared value is consumed; mov keeps the flags
				l.condJump(f.Code[i+2], cond)
				return 2, true
			}
			a.CmpRI(x86.RAX, c)
			a.Setcc(cond, x86.RAX)
			a.MovzxB(x86.RAX, x86.RAX)
			return 1, true
		}
		switch next {
		case jasm.OpAdd:
			a.AddRI(x86.RAX, c)
		case jasm.OpSub:
			if l.opts.hooks.swapSub {
				return 0, false
			}
			a.SubRI(x86.RAX, c)
		case jasm.OpAnd:
			a.AndRI(x86.RAX, c)
		case jasm.OpOr:
			a.OrRI(x86.RAX, c)
		case jasm.OpXor:
			a.XorRI(x86.RAX, c)
		case jasm.OpMul:
			a.ImulRRI(x86.RAX, x86.RAX, c)
		case jasm.OpShl:
			a.ShlI(x86.RAX, uint8(c&63))
		case jasm.OpShr:
			a.ShrI(x86.RAX, uint8(c&63))
		case jasm.OpSar:
			a.SarI(x86.RAX, uint8(c&63))
		default:
			return 0, false
		}
		return 1, true
	}
	if cond, ok := amd64SetCond[in.Op]; ok && l.fusable(f, i+1) && isCondJump(f.Code[i+1].Op) && f.Code[i+1].Arg > int64(i+1) {
		a.MovRR(x86.RCX, x86.RAX)
		a.Load(x86.RAX, l.slot(d-2))
		a.CmpRR(x86.RAX, x86.RCX)
		l.reload(d - 2)
		l.condJump(f.Code[i+1], cond)
		return 1, true
	}
	return 0, false
}

func isCondJump(op jasm.Op) bool { return op == jasm.OpJz || op == jasm.OpJnz }

// condJump emits the jump of a fused compare-and-branch: jnz jumps when the
// comparison holds, jz when it does not. (Only forward jumps are fused, so
// no poll is due.)
func (l *amd64Lowerer) condJump(j jasm.Inst, cond x86.Cond) {
	if j.Op == jasm.OpJz {
		cond = cond.Invert()
	}
	l.a.Jcc(cond, l.label(l.a.Buffer, j.Arg))
}

func (l *amd64Lowerer) end() {
	a := l.a
	l.flushDeferred()
	for _, stub := range []struct {
		l    codegen.Label
		code int32
	}{{l.divZero, exitDivideByZero}, {l.overflow, exitStackOverflow}, {l.interrupt, exitInterrupted}} {
		a.Align(16)
		a.Bind(stub.l)
		a.Store(x86.BaseDisp(amd64Ctx, ctxFaultPC), x86.RBX)
		a.StoreI32(x86.BaseDisp(amd64Ctx, ctxExit), stub.code)
		a.Load(x86.RSP, x86.BaseDisp(amd64Ctx, ctxSavedSP))
		a.Load(x86.RBP, x86.BaseDisp(amd64Ctx, ctxSavedFP))
		a.Ret()
	}
	// yield: RBX holds the resume address; save the live state and leave
	// as the exit stubs do.
	a.Align(16)
	a.Bind(l.yield)
	a.Store(x86.BaseDisp(amd64Ctx, ctxResumePC), x86.RBX)
	a.Store(x86.BaseDisp(amd64Ctx, ctxTOS), x86.RAX)
	a.Store(x86.BaseDisp(amd64Ctx, ctxJitSP), x86.RSP)
	a.Store(x86.BaseDisp(amd64Ctx, ctxJitFP), x86.RBP)
	a.StoreI32(x86.BaseDisp(amd64Ctx, ctxExit), exitYield)
	a.Load(x86.RSP, x86.BaseDisp(amd64Ctx, ctxSavedSP))
	a.Load(x86.RBP, x86.BaseDisp(amd64Ctx, ctxSavedFP))
	a.Ret()
	for i, s := range l.slots {
		if s != 0 {
			a.BindDataSlot(s, l.siteName(int32(i)), uint64(l.p.Sites[i].Init))
		}
	}
}
