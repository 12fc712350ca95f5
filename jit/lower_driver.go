package jit

import (
	"fmt"
	"slices"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/jit/jasm"
)

// The lowering driver: one ISA-neutral pass over each function that keeps
// jasm's parameters, locals and operand stack in registers where it can and
// asks the ISA (an isa) for each piece of machine code.
//
// # Registers and the frame
//
// Each ISA offers a pool of registers that compiled code may use freely.
// Per function the driver splits the pool: the first nh parameters and
// locals ("homes", parameters first) live in pool registers for the whole
// function, and operand-stack entry k lives in pool register k (for k < ns)
// when it is in its canonical place. The rest live in the frame, whose
// layout is jasm's stack-budget model (jasm.FrameSize) on every ISA: frame
// slot h holds home h (parameter, then local), slot P+L+k holds stack entry
// k. The ISA maps a frame slot to an address (isa.move).
//
// # The value-location stack
//
// While it walks a basic block the driver keeps, for each operand-stack
// entry, where its value is now (a val): in its canonical place, spilled to
// its frame slot, a constant not yet materialised, or "the value of home h"
// not yet copied. Instructions consume operands wherever they are, so
// `load 0; push 1; add; store 0` becomes one add of an immediate to local
// 0's register. Lazy values never cross a control-flow edge: before a label,
// a jump, a guard or a call every entry is put in its canonical place, so
// all paths agree at joins without any moves there, and one pass suffices
// (compile time stays linear in the instructions).
//
// # Calls, polls and yields
//
// Every pool register is caller-saved: before a call the driver stores the
// entries below the arguments and the locals held in registers to their
// frame slots (parameters never change, so they are stored once, on entry),
// moves the arguments into the ISA's argument registers (a parallel move);
// afterwards the homes are read from their frame slots until the next
// control-flow edge or store puts them back in their registers (settle), so
// a call at the end of a function reloads nothing. A poll point (loop
// back-edges, the entry of a function that can recurse or makes a
// patchable call, guards and parked const sites) checks the interrupt word
// and the goroutine's preemption request; its out-of-line slow path stores
// the registers live at that point to their frame slots, yields, and
// reloads them when the call resumes (docs/abi.md).
//
// # The ISA's part
//
// An isa supplies the pool, the argument and result registers, a scratch
// register, moves between registers, frame slots and immediates, and one
// method per kind of operation (alu, unary, divide, compare, branches,
// calls, sites, the poll's checks, the prologue and the epilogue). Its
// methods may use ISA-private temporaries but never a pool register they
// were not given as a destination, and they must accept any mix of operand
// kinds (register, frame slot, immediate).
type isa interface {
	// attach gives the ISA the driver's shared state: the labels of the
	// exit and yield stubs, the exit-stub list (lowerState.exitTo), the
	// current place.
	attach(s *lowerState)
	buffer() *codegen.Buffer
	sites() codegen.SiteEmitter

	// pool is the registers the driver allocates, in order of preference.
	pool() []mreg
	// argRegs are the registers that carry a call's arguments; result the
	// one that carries its result (also the entry function's result).
	argRegs() []mreg
	result() mreg
	// scratch is a register outside the pool and the argument registers:
	// the driver computes results bound for a frame slot in it and breaks
	// cycles of parallel moves with it. temp is another one, for moves
	// from a frame slot or an immediate to a frame slot.
	scratch() mreg
	temp() mreg

	// prologue emits the stack check for a frame of frame bytes and, unless
	// the function is frameless (it never touches a frame slot, calls or
	// polls), sets the frame up; the arguments are still in argRegs
	// afterwards. epilogue returns from the function (the result is
	// already in result()).
	prologue(frame int, frameless bool)
	epilogue()

	// The moves (see move): none changes the condition flags. storeImm
	// reports false when it has no form for c (then the driver goes
	// through temp).
	movRR(dst, src mreg)
	load(dst mreg, slot int)
	store(slot int, src mreg)
	loadImm(dst mreg, c int64)
	storeImm(slot int, c int64) bool

	// alu computes dst = a op b for add sub mul and or xor shl shr sar
	// (jasm's semantics: wrapping, shift counts mod 64); dst may be a's or
	// b's register.
	alu(op jasm.Op, dst mreg, a, b loc)
	// unary computes dst = op a for neg and not.
	unary(op jasm.Op, dst mreg, a loc)
	// divide computes dst = a / b or a % b with jasm's semantics: b == 0
	// exits through the divide-by-zero stub, MinInt64 / -1 wraps.
	divide(op jasm.Op, dst mreg, a, b loc)
	// compare computes dst = (a op b) ? 1 : 0 for eq ne lt le gt ge.
	compare(op jasm.Op, dst mreg, a, b loc)
	// branchCmp jumps to target when a op b holds; a is no immediate.
	branchCmp(op jasm.Op, a, b loc, target codegen.Label)
	jump(target codegen.Label)
	// call calls a function of this program (a patchable call goes
	// through sites().CallSite instead).
	call(target codegen.Label)
	// loadDataSlot loads the aligned data slot at label slot into dst.
	loadDataSlot(dst mreg, slot codegen.Label)
	// constSite loads init into dst from a patchable in-code constant; a
	// thread that finds the site parked jumps to park (amd64 only).
	constSite(name string, dst mreg, init int64, park codegen.Label)

	// pollFast counts the poll budget down and jumps to slow when it runs
	// out (entry.go, pollBudget). pollChecks, at slow, sets the budget
	// again, leaves through the interrupt exit when the interrupt word is
	// set and jumps to resume unless the goroutine is asked to preempt. No
	// register of the pool is touched.
	pollFast(slow codegen.Label)
	pollChecks(resume codegen.Label)
	// yield leaves through the yield stub so that the call resumes right
	// after the code it emits (with the pool registers lost).
	yield()
	// exitJump is the body of a failing check's own stub (bound at stub):
	// it records the stub's address in callCtx.faultPC, by way of the exit
	// stub, and jumps to the shared exit stub exit.
	exitJump(stub, exit codegen.Label)
	// exitStub is the body of a shared exit stub: store the fault address
	// and code in the call context and return to jitcall's caller.
	exitStub(code int32)
	// yieldStub is the body of the yield stub: save the resume address and
	// the JIT stack (and frame) pointer in the call context and return
	// with exitYield.
	yieldStub()
}

// move copies src to dst (a register or a frame slot) with i's moves.
func move(i isa, dst, src loc) {
	switch {
	case dst.kind == locReg && src.kind == locReg:
		if src.r != dst.r {
			i.movRR(dst.r, src.r)
		}
	case dst.kind == locReg && src.kind == locMem:
		i.load(dst.r, src.slot)
	case dst.kind == locReg && src.kind == locImm:
		i.loadImm(dst.r, src.c)
	case dst.kind == locMem && src.kind == locReg:
		i.store(dst.slot, src.r)
	case dst.kind == locMem && src.kind == locMem:
		if src.slot != dst.slot {
			i.load(i.temp(), src.slot)
			i.store(dst.slot, i.temp())
		}
	case dst.kind == locMem && src.kind == locImm:
		if !i.storeImm(dst.slot, src.c) {
			i.loadImm(i.temp(), src.c)
			i.store(dst.slot, i.temp())
		}
	default:
		panic("BUG: move to an immediate")
	}
}

// inReg returns x's register: its own, or tmp loaded with it.
func inReg(i isa, x loc, tmp mreg) mreg {
	if x.kind == locReg {
		return x.r
	}
	move(i, regLoc(tmp), x)
	return tmp
}

// mreg is a machine register number: a codegen/amd64.Reg, a
// codegen/ppc64.Reg or a codegen/arm64.Reg.
type mreg uint8

// locKind says where an operand is.
type locKind uint8

const (
	locReg locKind = iota // in register r
	locMem                // in frame slot slot
	locImm                // the constant c
)

// loc is an operand of an isa method.
type loc struct {
	kind locKind
	r    mreg
	slot int
	c    int64
}

func regLoc(r mreg) loc         { return loc{kind: locReg, r: r} }
func memLoc(slot int) loc       { return loc{kind: locMem, slot: slot} }
func immLoc(c int64) loc        { return loc{kind: locImm, c: c} }
func (l loc) isReg(r mreg) bool { return l.kind == locReg && l.r == r }

// valKind says where an operand-stack entry's value is now.
type valKind uint8

const (
	vCanon   valKind = iota // in its canonical place (register k, or frame slot)
	vSpilled                // in its frame slot although its place is a register
	vConst                  // the constant c, not materialised
	vHome                   // the current value of home h, not copied
)

type val struct {
	kind valKind
	h    int
	c    int64
}

// spill is a register live at a poll point and the frame slot that keeps
// it while the call yields.
type spill struct {
	r    mreg
	slot int
}

// driver lowers a program with one isa.
type driver struct {
	lowerState
	isa isa

	f      *jasm.Func
	nh, ns int    // homes and stack entries held in registers
	homes  []mreg // home h's register (h < nh)
	// inFrame[h]: home h's value is in its frame slot only (after a call;
	// reloaded at the next control-flow edge or store).
	inFrame []bool
	stack   []mreg // stack entry k's register (k < ns)
	vs      []val  // the value-location stack: entries 0..n-1
	n       int
	live    bool // the previous instruction falls through
	slots   []codegen.Label

	polls  []pollStub // of the current function
	spills []spill    // the polls' live registers
}

func newDriver(p *jasm.Program, opts CompileOptions, i isa) *driver {
	d := &driver{isa: i}
	ops := 0
	for _, f := range p.Funcs {
		ops += len(f.Code)
	}
	// Rough sizes (a function's entry, checks and stubs, then per
	// instruction), so that the buffer grows about once.
	nf := len(p.Funcs)
	b := i.buffer()
	b.Reserve(64*nf+6*ops, 8*nf+ops/8, 8*nf+ops/8)
	d.init(b, p, opts)
	i.attach(&d.lowerState)
	d.slots = make([]codegen.Label, len(p.Sites))
	return d
}

// stackSlot is the frame slot of stack entry k (home h's is h).
func (d *driver) stackSlot(k int) int { return d.f.Params + d.f.Locals + k }

func (d *driver) homeLoc(h int) loc {
	if h < d.nh && !d.inFrame[h] {
		return regLoc(d.homes[h])
	}
	return memLoc(h)
}

func (d *driver) canonLoc(k int) loc {
	if k < d.ns {
		return regLoc(d.stack[k])
	}
	return memLoc(d.stackSlot(k))
}

// locOf returns where stack entry k's value is now.
func (d *driver) locOf(k int) loc {
	v := d.vs[k]
	switch v.kind {
	case vCanon:
		return d.canonLoc(k)
	case vSpilled:
		return memLoc(d.stackSlot(k))
	case vConst:
		return immLoc(v.c)
	case vHome:
		return d.homeLoc(v.h)
	}
	panic(fmt.Sprintf("BUG: value kind %d", v.kind))
}

// materialize puts stack entry k in its canonical place.
func (d *driver) materialize(k int) {
	if d.vs[k].kind != vCanon {
		move(d.isa, d.canonLoc(k), d.locOf(k))
		d.vs[k] = val{}
	}
}

// settle puts entries 0..n-1 in their canonical places and the homes
// back in their registers: the state every control-flow edge expects.
func (d *driver) settle(n int) {
	d.materializeBelow(n)
	for h := range d.nh {
		if d.inFrame[h] {
			move(d.isa, regLoc(d.homes[h]), memLoc(h))
			d.inFrame[h] = false
		}
	}
}

// materializeBelow puts entries 0..n-1 in their canonical places.
func (d *driver) materializeBelow(n int) {
	for k := range n {
		d.materialize(k)
	}
}

// detach materialises the entries below n that still refer to home h,
// before h changes.
func (d *driver) detach(h, n int) {
	for k := range n {
		if d.vs[k].kind == vHome && d.vs[k].h == h {
			d.materialize(k)
		}
	}
}

// target returns the register a result for stack entry k is computed in:
// its own, or the scratch register when its place is a frame slot (finish
// then stores it).
func (d *driver) target(k int) mreg {
	if k < d.ns {
		return d.stack[k]
	}
	return d.isa.scratch()
}

// finish records that stack entry k's value is the one just computed in
// target(k).
func (d *driver) finish(k int) {
	if k >= d.ns {
		move(d.isa, memLoc(d.stackSlot(k)), regLoc(d.isa.scratch()))
	}
	d.n = k
	d.push(val{})
}

// split chooses nh and ns for f: homes first, but at least three stack
// registers when the function's stack is that deep.
func (d *driver) split(f *jasm.Func) {
	pool := d.isa.pool()
	n, homes := len(pool), f.Params+f.Locals
	ns := min(f.MaxStack, n)
	if homes+ns > n {
		ns = min(f.MaxStack, max(3, n-homes))
	}
	nh := min(homes, n-ns)
	d.nh, d.ns = nh, ns
	d.homes, d.stack = pool[:nh], pool[nh:nh+ns]
	d.inFrame = slices.Grow(d.inFrame[:0], nh)[:nh]
	clear(d.inFrame)
}

// liveRegs appends to d.spills the registers whose values must survive a
// yield here: the homes and the stack entries held in their registers.
func (d *driver) liveRegs() {
	for h := range d.nh {
		if !d.inFrame[h] {
			d.spills = append(d.spills, spill{d.homes[h], h})
		}
	}
	for k := range min(d.n, d.ns) {
		if d.vs[k].kind == vCanon {
			d.spills = append(d.spills, spill{d.stack[k], d.stackSlot(k)})
		}
	}
}

// poll emits a poll point. Its slow path (out of line) saves the live
// registers, yields, and restores them when the call resumes.
func (d *driver) poll() {
	b := d.b
	p := pollStub{slow: b.NewLabel(), resume: b.NewLabel(), lo: len(d.spills), at: d.at}
	d.liveRegs()
	p.hi = len(d.spills)
	d.isa.pollFast(p.slow)
	b.Bind(p.resume)
	d.polls = append(d.polls, p)
}

// pollStub is a poll's slow path, emitted after the function: the
// registers d.spills[lo:hi] are live there.
type pollStub struct {
	slow, resume codegen.Label
	lo, hi       int
	at           place
}

// flush emits the out-of-line code of the current function: deferred
// stubs (which may poll), the polls' slow paths, then the exit stubs.
func (d *driver) flush() {
	for i := 0; i < len(d.deferred); i++ {
		d.deferred[i]()
	}
	d.deferred = d.deferred[:0]
	b := d.b
	saved := d.at
	for _, p := range d.polls {
		b.Bind(p.slow)
		d.at = p.at // an interrupt reports the poll's instruction
		d.isa.pollChecks(p.resume)
		live := d.spills[p.lo:p.hi]
		for _, s := range live {
			move(d.isa, memLoc(s.slot), regLoc(s.r))
		}
		d.isa.yield()
		for _, s := range live {
			move(d.isa, regLoc(s.r), memLoc(s.slot))
		}
		d.isa.jump(p.resume)
	}
	d.at = saved
	d.polls, d.spills = d.polls[:0], d.spills[:0]
	d.flushExits()
}

// pmove is one step of a parallel move.
type pmove struct {
	dst mreg
	src loc
}

// parallelMove performs the moves as if all sources were read before any
// destination is written: register-to-register moves in an order that
// reads each register before it is overwritten (a cycle goes through the
// scratch register), then the loads of frame slots and immediates.
func (d *driver) parallelMove(ms []pmove) {
	var rb, xb [jasm.MaxParams]pmove // at most one move per argument register
	regs, rest := rb[:0], xb[:0]
	for _, m := range ms {
		switch {
		case m.src.isReg(m.dst):
		case m.src.kind == locReg:
			regs = append(regs, m)
		default:
			rest = append(rest, m)
		}
	}
	for len(regs) > 0 {
		progress := false
		for i := 0; i < len(regs); i++ {
			m := regs[i]
			blocked := false
			for j, o := range regs {
				if j != i && o.src.isReg(m.dst) {
					blocked = true
					break
				}
			}
			if blocked {
				continue
			}
			move(d.isa, regLoc(m.dst), m.src)
			regs = append(regs[:i], regs[i+1:]...)
			i--
			progress = true
		}
		if !progress { // only cycles are left: break one
			m := regs[0]
			sc := d.isa.scratch()
			move(d.isa, regLoc(sc), m.src)
			for j := range regs {
				if regs[j].src.isReg(m.src.r) {
					regs[j].src = regLoc(sc)
				}
			}
		}
	}
	for _, m := range rest {
		move(d.isa, regLoc(m.dst), m.src)
	}
}

// compile lowers the whole program.
func (d *driver) compile() {
	for fi, f := range d.p.Funcs {
		d.at = place{int32(fi), -1}
		d.begin(fi, f)
		for i := 0; i < len(f.Code); i++ {
			if f.Depth[i] < 0 {
				continue // unreachable
			}
			d.at.inst = int32(i)
			i += d.inst(i)
		}
	}
	d.flush()
	b := d.b
	for _, st := range [...]struct {
		l    codegen.Label
		code int32
	}{{d.divZero, exitDivideByZero}, {d.overflow, exitStackOverflow}, {d.interrupt, exitInterrupted}, {d.yield, exitYield}} {
		b.Align(16)
		b.Bind(st.l)
		if st.code == exitYield {
			d.isa.yieldStub()
		} else {
			d.isa.exitStub(st.code)
		}
	}
	for i, s := range d.slots {
		if s != 0 {
			d.isa.sites().BindDataSlot(s, d.siteName(int32(i)), uint64(d.p.Sites[i].Init))
		}
	}
}

func (d *driver) begin(fi int, f *jasm.Func) {
	b := d.b
	d.flush()
	d.f = f
	d.enter(f)
	d.split(f)
	d.n = 0
	d.live = true
	calls := d.calls
	b.Align(16)
	b.Bind(d.funcLabels[fi])
	d.isa.prologue(jasm.FrameSize(f), d.frameless(fi))
	args := d.isa.argRegs()
	// Parameters kept in the frame, or needed there again after a call,
	// are stored first; then the registers take theirs (a parallel move,
	// as argument and pool registers may overlap).
	var mb [jasm.MaxParams]pmove
	ms := mb[:0]
	for i := range f.Params {
		if i >= d.nh || calls {
			move(d.isa, memLoc(i), regLoc(args[i]))
		}
		if i < d.nh {
			ms = append(ms, pmove{d.homes[i], regLoc(args[i])})
		}
	}
	d.parallelMove(ms)
	for j := range f.Locals {
		move(d.isa, d.homeLoc(f.Params+j), immLoc(0))
	}
	if d.entryPoll[fi] {
		d.poll() // so recursion without loops stays interruptible
	}
}

// frameless reports whether function fi needs no frame set up: no calls,
// no poll points (whose slow paths store registers in the frame), and
// every parameter, local and stack entry in a register. Its stack check
// stays: the stack budget is jasm's, frame or not.
func (d *driver) frameless(fi int) bool {
	f := d.f
	return !d.calls && !d.backEdges && !d.entryPoll[fi] && d.nh >= f.Params+f.Locals && d.ns >= f.MaxStack
}

func (d *driver) push(v val) {
	if d.n == len(d.vs) {
		d.vs = append(d.vs, v)
	} else {
		d.vs[d.n] = v
	}
	d.n++
}

// fusable reports whether instruction j may be compiled together with the
// one before it: it exists, no jump lands on it, and the test hooks allow
// fusing.
func (d *driver) fusable(j int) bool {
	return !d.opts.hooks.noFuse && d.lowerState.fusable(d.f, j)
}

// inst compiles instruction i of the current function and returns how
// many of the following instructions it compiled with it.
func (d *driver) inst(i int) int {
	f, b := d.f, d.b
	in := f.Code[i]
	if l := d.instLabels[i]; l != 0 {
		if d.live {
			d.settle(d.n)
		}
		b.Bind(l)
		clear(d.inFrame)
		d.n = 0
		for range f.Depth[i] {
			d.push(val{})
		}
		d.live = true
	}
	if d.opts.Lines {
		lb := b.NewLabel()
		b.Bind(lb)
		d.mark(lb)
	}
	if !d.live || d.n != f.Depth[i] {
		panic(fmt.Sprintf("BUG: %s instruction %d: depth %d, stack %d, live %v", f.Name, i, f.Depth[i], d.n, d.live))
	}
	n := d.op(i, in)
	if d.opts.hooks.noFuse && d.live {
		d.materializeBelow(d.n) // the plain code: every value in its place
	}
	return n
}

func (d *driver) op(i int, in jasm.Inst) int {
	f := d.f
	n := d.n
	switch in.Op {
	case jasm.OpPush:
		d.push(val{kind: vConst, c: in.Arg})
	case jasm.OpPop:
		d.n = n - 1
	case jasm.OpDup:
		if v := d.vs[n-1]; v.kind == vConst || v.kind == vHome {
			d.push(v)
		} else {
			move(d.isa, d.canonLoc(n), d.locOf(n-1))
			d.push(val{})
		}
	case jasm.OpSwap:
		d.swap(n)
	case jasm.OpArg:
		d.push(val{kind: vHome, h: int(in.Arg)})
	case jasm.OpLoad:
		d.push(val{kind: vHome, h: f.Params + int(in.Arg)})
	case jasm.OpStore:
		h := f.Params + int(in.Arg)
		d.detach(h, n-1)
		if h < d.nh { // into the register, which holds the value from now on
			move(d.isa, regLoc(d.homes[h]), d.locOf(n-1))
			d.inFrame[h] = false
		} else {
			move(d.isa, memLoc(h), d.locOf(n-1))
		}
		d.n = n - 1
	case jasm.OpNeg, jasm.OpNot:
		dst := d.target(n - 1)
		d.isa.unary(in.Op, dst, d.locOf(n-1))
		d.finish(n - 1)
	case jasm.OpAdd, jasm.OpSub, jasm.OpMul, jasm.OpAnd, jasm.OpOr, jasm.OpXor,
		jasm.OpShl, jasm.OpShr, jasm.OpSar, jasm.OpDiv, jasm.OpRem:
		return d.binary(i, in, n)
	case jasm.OpEq, jasm.OpNe, jasm.OpLt, jasm.OpLe, jasm.OpGt, jasm.OpGe:
		if d.fusable(i+1) && isCondJump(f.Code[i+1].Op) {
			j := f.Code[i+1]
			d.settle(n - 2)
			if j.Arg <= int64(i+1) {
				d.poll()
			}
			op, x, y := in.Op, d.locOf(n-2), d.locOf(n-1)
			if j.Op == jasm.OpJz { // jump when the comparison fails
				op = negated[op]
			}
			if x.kind == locImm { // the constant second
				op, x, y = swapped[op], y, x
			}
			d.isa.branchCmp(op, x, y, d.label(j.Arg))
			d.n = n - 2
			return 1
		}
		dst := d.target(n - 2)
		d.isa.compare(in.Op, dst, d.locOf(n-2), d.locOf(n-1))
		d.n = n - 2
		d.finish(n - 2)
	case jasm.OpJmp:
		d.settle(n)
		if in.Arg <= int64(i) {
			d.poll()
			if d.rotate(i, int(in.Arg)) {
				break
			}
		}
		d.isa.jump(d.label(in.Arg))
		d.live = false
	case jasm.OpJz, jasm.OpJnz:
		d.settle(n - 1)
		if in.Arg <= int64(i) {
			d.poll()
		}
		target := d.label(in.Arg)
		if v := d.vs[n-1]; v.kind == vConst {
			if (v.c == 0) == (in.Op == jasm.OpJz) {
				d.isa.jump(target) // the code after it is dead but stays consistent
			}
		} else {
			op := jasm.OpNe
			if in.Op == jasm.OpJz {
				op = jasm.OpEq
			}
			d.isa.branchCmp(op, d.locOf(n-1), immLoc(0), target)
		}
		d.n = n - 1
	case jasm.OpCall, jasm.OpPCall:
		return d.call(i, in, n)
	case jasm.OpRet:
		move(d.isa, regLoc(d.isa.result()), d.locOf(n-1))
		d.isa.epilogue()
		d.n = 0
		d.live = false
	case jasm.OpPConst:
		dst := d.target(n)
		name := d.siteName(in.Site)
		if d.opts.PConst == PConstCode {
			// A thread that meets the site while the self-loop protocol
			// has parked it goes round through a stub that polls, so it
			// can still yield to a stop-the-world or be interrupted.
			b := d.b
			site, park := b.NewLabel(), b.NewLabel()
			b.Bind(site)
			d.isa.constSite(name, dst, in.Arg, park)
			d.deferPoll(park, site)
		} else {
			s := d.b.NewLabel()
			d.slots[in.Site] = s
			d.isa.loadDataSlot(dst, s)
		}
		d.finish(n)
	case jasm.OpGuard:
		d.settle(n)
		target := d.label(in.Arg)
		if in.Arg <= int64(i) {
			// A backward guard must poll once armed: divert through an
			// out-of-line poll so that the disarmed path stays one nop.
			stub := d.b.NewLabel()
			d.deferPoll(stub, target)
			target = stub
		}
		d.isa.sites().GuardSite(d.siteName(in.Site), target)
	default:
		panic("BUG: lowering of " + in.Op.String())
	}
	return 0
}

// loopTest describes the test at the top of a loop whose back-edge is a
// jmp: two lazy pushes (load, arg, push), a compare and a conditional
// branch (cmp >= 0), or one lazy push and a conditional branch on it; the
// branch leaves the loop (its target exit lies after it) and the body
// starts at cond+1. The test leaves the stack as deep as it found it.
type loopTest struct {
	cmp, cond, exit int
}

// loopTestAt returns the test at the top of the loop that starts at head,
// if it has that shape and no jump lands inside it.
func loopTestAt(f *jasm.Func, labels []codegen.Label, head int) (loopTest, bool) {
	t := loopTest{cmp: -1}
	j := head
	for j < len(f.Code) && (j == head || labels[j] == 0) {
		switch f.Code[j].Op {
		case jasm.OpLoad, jasm.OpArg, jasm.OpPush:
			j++
			continue
		}
		break
	}
	if j == len(f.Code) || (j != head && labels[j] != 0) {
		return t, false
	}
	pushed := j - head // the test consumes exactly what it pushes
	if op := f.Code[j].Op; op >= jasm.OpEq && op <= jasm.OpGe {
		if pushed != 2 {
			return t, false
		}
		t.cmp = j
		j++
		if j == len(f.Code) || labels[j] != 0 {
			return t, false
		}
	} else if pushed != 1 {
		return t, false
	}
	if !isCondJump(f.Code[j].Op) || int(f.Code[j].Arg) <= j || j+1 >= len(f.Code) {
		return t, false
	}
	t.cond, t.exit = j, int(f.Code[j].Arg)
	return t, true
}

// rotate compiles the back-edge jmp at i to the loop head as a copy of the
// loop's test that branches back into the body (loop rotation): one branch
// per iteration fewer, and the test's operands are read where they are.
// The body's first instruction has a label for it (enter). It reports
// false when the loop's top has no such test.
func (d *driver) rotate(i, head int) bool {
	if d.opts.hooks.noFuse {
		return false
	}
	f := d.f
	t, ok := loopTestAt(f, d.instLabels, head)
	if !ok || d.instLabels[t.cond+1] == 0 {
		return false
	}
	n := d.n
	for k := head; k < t.cond && k != t.cmp; k++ {
		d.op(k, f.Code[k]) // lazy pushes: no code
	}
	var op jasm.Op
	var x, y loc
	if t.cmp >= 0 { // continue when the exit branch is not taken
		op, x, y = f.Code[t.cmp].Op, d.locOf(d.n-2), d.locOf(d.n-1)
		if f.Code[t.cond].Op == jasm.OpJnz {
			op = negated[op]
		}
	} else {
		op, x, y = jasm.OpNe, d.locOf(d.n-1), immLoc(0)
		if f.Code[t.cond].Op == jasm.OpJnz {
			op = jasm.OpEq
		}
	}
	if x.kind == locImm {
		op, x, y = swapped[op], y, x
	}
	d.isa.branchCmp(op, x, y, d.instLabels[t.cond+1])
	d.n = n
	if t.exit == i+1 {
		return true // falls through to the exit, still live
	}
	d.isa.jump(d.label(int64(t.exit)))
	d.live = false
	return true
}

// deferPoll emits, after the function, a stub at label at that polls and
// then jumps to then, with the live registers of this point.
func (d *driver) deferPoll(at, then codegen.Label) {
	d.deferHere(func() {
		d.b.Bind(at)
		d.poll()
		d.isa.jump(then)
	})
	// The stub runs with the registers live here: poll (run later, in the
	// stub) must see this point's stack, not the function's last one.
	vs := append([]val(nil), d.vs[:d.n]...)
	inFrame := slices.Clone(d.inFrame)
	last := len(d.deferred) - 1
	fn := d.deferred[last]
	d.deferred[last] = func() {
		saved, n, savedIn := d.vs, d.n, d.inFrame
		d.vs, d.n, d.inFrame = vs, len(vs), inFrame
		fn()
		d.vs, d.n, d.inFrame = saved, n, savedIn
	}
}

// swap exchanges the top two entries of an n-deep stack.
func (d *driver) swap(n int) {
	a, b := d.vs[n-2], d.vs[n-1]
	lazy := func(v val) bool { return v.kind == vConst || v.kind == vHome }
	switch {
	case lazy(b):
		if lazy(a) {
			d.vs[n-1] = a
		} else {
			move(d.isa, d.canonLoc(n-1), d.locOf(n-2))
			d.vs[n-1] = val{}
		}
		d.vs[n-2] = b
	case lazy(a):
		move(d.isa, d.canonLoc(n-2), d.locOf(n-1))
		d.vs[n-2], d.vs[n-1] = val{}, a
	default:
		sc := d.isa.scratch()
		move(d.isa, regLoc(sc), d.locOf(n-1))
		move(d.isa, d.canonLoc(n-1), d.locOf(n-2))
		move(d.isa, d.canonLoc(n-2), regLoc(sc))
		d.vs[n-2], d.vs[n-1] = val{}, val{}
	}
}

// binary compiles a two-operand arithmetic instruction. When a store to a
// local held in a register or a ret follows, the result is computed
// straight into that register or the result register.
func (d *driver) binary(i int, in jasm.Inst, n int) int {
	f := d.f
	a, b := d.locOf(n-2), d.locOf(n-1)
	emit := func(dst mreg) {
		switch {
		case in.Op == jasm.OpDiv || in.Op == jasm.OpRem:
			d.isa.divide(in.Op, dst, a, b)
		case in.Op == jasm.OpSub && d.opts.hooks.swapSub: // negative control: b - a
			d.isa.alu(in.Op, dst, b, a)
		default:
			d.isa.alu(in.Op, dst, a, b)
		}
	}
	if d.fusable(i+1) && f.Code[i+1].Op == jasm.OpStore {
		if h := f.Params + int(f.Code[i+1].Arg); h < d.nh {
			d.detach(h, n-2)
			emit(d.homes[h])
			d.inFrame[h] = false
			d.n = n - 2
			return 1
		}
	}
	if d.fusable(i+1) && f.Code[i+1].Op == jasm.OpRet { // straight into the result register
		emit(d.isa.result())
		d.isa.epilogue()
		d.n, d.live = 0, false
		return 1
	}
	emit(d.target(n - 2))
	d.n = n - 2
	d.finish(n - 2)
	return 0
}

// call compiles call and pcall: everything in a pool register that must
// survive goes to the frame, the arguments to the argument registers. A
// ret right after returns the callee's result as it is.
func (d *driver) call(i int, in jasm.Inst, n int) int {
	f := d.f
	k := d.p.Funcs[in.Arg].Params
	for j := range n - k {
		if d.vs[j].kind == vCanon && j < d.ns {
			move(d.isa, memLoc(d.stackSlot(j)), regLoc(d.stack[j]))
			d.vs[j].kind = vSpilled
		}
	}
	for h := f.Params; h < d.nh; h++ {
		if !d.inFrame[h] {
			move(d.isa, memLoc(h), regLoc(d.homes[h]))
		}
	}
	args := d.isa.argRegs()
	var mb [jasm.MaxParams]pmove
	ms := mb[:0]
	for j := range k {
		ms = append(ms, pmove{args[j], d.locOf(n - k + j)})
	}
	d.parallelMove(ms)
	if in.Op == jasm.OpPCall {
		d.isa.sites().CallSite(d.siteName(in.Site), d.funcLabels[in.Arg])
	} else {
		d.isa.call(d.funcLabels[in.Arg])
	}
	for h := range d.nh { // reloaded when needed: see settle
		d.inFrame[h] = true
	}
	if d.fusable(i+1) && f.Code[i+1].Op == jasm.OpRet {
		d.isa.epilogue()
		d.n, d.live = 0, false
		return 1
	}
	d.n = n - k
	move(d.isa, d.canonLoc(n-k), regLoc(d.isa.result()))
	d.push(val{})
	return 0
}

func isCondJump(op jasm.Op) bool { return op == jasm.OpJz || op == jasm.OpJnz }

// negated[op] holds when op does not; swapped[op] is op with its operands
// exchanged (a op b == b swapped[op] a).
var (
	negated = [...]jasm.Op{jasm.OpEq: jasm.OpNe, jasm.OpNe: jasm.OpEq, jasm.OpLt: jasm.OpGe,
		jasm.OpLe: jasm.OpGt, jasm.OpGt: jasm.OpLe, jasm.OpGe: jasm.OpLt}
	swapped = [...]jasm.Op{jasm.OpEq: jasm.OpEq, jasm.OpNe: jasm.OpNe, jasm.OpLt: jasm.OpGt,
		jasm.OpLe: jasm.OpGe, jasm.OpGt: jasm.OpLt, jasm.OpGe: jasm.OpLe}
)

// flushExits emits the exit stubs of the current function's checks: each
// binds its label, reports its check's instruction (mark) and runs the
// ISA's exitJump.
func (d *driver) flushExits() {
	saved := d.at
	for _, st := range d.exits {
		d.at = st.at
		d.b.Bind(st.l)
		d.mark(st.l)
		d.isa.exitJump(st.l, st.exit)
	}
	d.at = saved
	d.exits = d.exits[:0]
}
