package jasm

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
)

// InterpOptions configures an interpreter.
type InterpOptions struct {
	// StackBytes is the stack budget of one Call: entering a function fails
	// with ErrStackOverflow when the sum of FrameSize over the active frames,
	// the one being entered included, would exceed it. 0 means
	// DefaultStackBytes.
	StackBytes int
}

// Interp runs a verified program: the reference semantics that compiled code
// must match. It holds the live state of the program's patch sites (the
// pconst values, pcall callees and guard states), which any goroutine may
// change at any time with SetConst, Retarget, Arm and Disarm while other
// goroutines run Call: each execution of a site instruction reads its state
// once, atomically, so it sees either the old or the new state. An Interp is
// safe for concurrent use.
type Interp struct {
	prog       *Program
	code       []icode
	funcs      []ifunc
	sites      []atomic.Int64 // pconst: value; pcall: callee index; guard: 1 if armed
	stackBytes int
	machines   sync.Pool // *machine
}

// icode is a pre-decoded instruction: jump targets are absolute indices in
// Interp.code, arg/load/store offsets from the frame base.
type icode struct {
	op   Op
	site int32
	a    int64
}

// Pre-decoded backward jumps, which poll for interruption.
const (
	opJmpBack Op = numOps + iota
	opJzBack
	opJnzBack
)

type ifunc struct {
	entry  int // index in Interp.code
	params int
	locals int
	need   int // stack slots: params + locals + MaxStack
	fsize  int // FrameSize
}

type frame struct {
	retPC int // the caller's next instruction
	base  int // the caller's frame base
	used  int // stack bytes in use before the call
}

type machine struct {
	stack  []int64
	frames []frame
}

// NewInterp returns an interpreter for p with default options. It fails
// with ErrNotVerified unless p is verified. The interpreter keeps its own
// decoded copy of the code: later changes to p do not affect it.
func NewInterp(p *Program) (*Interp, error) {
	return NewInterpOptions(p, InterpOptions{})
}

// NewInterpOptions is NewInterp with options.
func NewInterpOptions(p *Program, opts InterpOptions) (*Interp, error) {
	if !p.Verified() {
		return nil, fmt.Errorf("jasm: interpreter: %w (call Verify, or use Parse)", ErrNotVerified)
	}
	if opts.StackBytes < 0 {
		return nil, fmt.Errorf("jasm: interpreter: negative stack budget %d", opts.StackBytes)
	}
	if opts.StackBytes == 0 {
		opts.StackBytes = DefaultStackBytes
	}
	it := &Interp{prog: p, stackBytes: opts.StackBytes, funcs: make([]ifunc, len(p.Funcs))}
	n := 0
	for i, f := range p.Funcs {
		it.funcs[i] = ifunc{entry: n, params: f.Params, locals: f.Locals,
			need: f.Params + f.Locals + f.MaxStack, fsize: FrameSize(f)}
		n += len(f.Code)
	}
	it.code = make([]icode, 0, n)
	for i, f := range p.Funcs {
		entry := it.funcs[i].entry
		for j, in := range f.Code {
			c := icode{op: in.Op, site: in.Site, a: in.Arg}
			switch in.Op {
			case OpLoad, OpStore:
				c.a += int64(f.Params)
			case OpJmp, OpJz, OpJnz, OpGuard:
				if in.Arg <= int64(j) {
					switch in.Op {
					case OpJmp:
						c.op = opJmpBack
					case OpJz:
						c.op = opJzBack
					case OpJnz:
						c.op = opJnzBack
					}
				}
				c.a += int64(entry)
			}
			it.code = append(it.code, c)
		}
	}
	it.sites = make([]atomic.Int64, len(p.Sites))
	for i, s := range p.Sites {
		if s.Kind != SiteGuard {
			it.sites[i].Store(s.Init)
		}
	}
	it.machines.New = func() any { return &machine{stack: make([]int64, 256)} }
	return it, nil
}

// Program returns the program the interpreter runs.
func (it *Interp) Program() *Program { return it.prog }

func (it *Interp) site(site int, kind SiteKind, what string) error {
	if site < 0 || site >= len(it.sites) {
		return fmt.Errorf("jasm: %s site %d: %w: no such site (program has %d)", what, site, ErrBadSite, len(it.sites))
	}
	if s := it.prog.Sites[site]; s.Kind != kind {
		return fmt.Errorf("jasm: %s site %s: %w: a %s site, not a %s site", what, s.Name, ErrBadSite, s.Kind, kind)
	}
	return nil
}

// SetConst makes pconst site push v from now on.
func (it *Interp) SetConst(site int, v int64) error {
	if err := it.site(site, SiteConst, "set const of"); err != nil {
		return err
	}
	it.sites[site].Store(v)
	return nil
}

// Retarget makes pcall site call function fn from now on; fn must take as
// many parameters as the site's initial callee (see Program.CanRetarget).
func (it *Interp) Retarget(site, fn int) error {
	if err := it.prog.CanRetarget(site, fn); err != nil {
		return fmt.Errorf("jasm: %w", err)
	}
	it.sites[site].Store(int64(fn))
	return nil
}

// Arm makes guard site jump to its label from now on.
func (it *Interp) Arm(site int) error {
	if err := it.site(site, SiteGuard, "arm"); err != nil {
		return err
	}
	it.sites[site].Store(1)
	return nil
}

// Disarm makes guard site fall through from now on (as it does initially).
func (it *Interp) Disarm(site int) error {
	if err := it.site(site, SiteGuard, "disarm"); err != nil {
		return err
	}
	it.sites[site].Store(0)
	return nil
}

// State returns the live state of a site: the value of a pconst site, the
// callee's function index of a pcall site, 1 for an armed guard and 0 for a
// disarmed one.
func (it *Interp) State(site int) (int64, error) {
	if site < 0 || site >= len(it.sites) {
		return 0, fmt.Errorf("jasm: state of site %d: %w: no such site (program has %d)", site, ErrBadSite, len(it.sites))
	}
	return it.sites[site].Load(), nil
}

// Run calls the program's entry function (Program.EntryName) with args.
func (it *Interp) Run(ctx context.Context, args ...int64) (int64, error) {
	fn, ok := it.prog.Func(it.prog.EntryName())
	if !ok {
		return 0, fmt.Errorf("jasm: run: %w: %s", ErrNoSuchFunc, it.prog.EntryName())
	}
	return it.Call(ctx, fn, args...)
}

// never is a stop flag that is never set, for contexts that cannot end.
var never atomic.Bool

// Call runs function fn (an index in Program.Funcs) with args, whose number
// must equal its parameters (else an error matching ErrArity). A runtime
// error is a *RuntimeError matching ErrDivisionByZero, ErrStackOverflow or
// ErrInterrupted, with the function and position. When ctx ends, the call
// stops at its next call or backward jump and returns ErrInterrupted (the
// error matches ctx.Err() too); it also does if ctx has ended already.
// Call uses a bounded amount of Go stack however deep the jasm calls go.
func (it *Interp) Call(ctx context.Context, fn int, args ...int64) (int64, error) {
	if fn < 0 || fn >= len(it.funcs) {
		return 0, fmt.Errorf("jasm: call: %w: function index %d (program has %d)", ErrNoSuchFunc, fn, len(it.funcs))
	}
	if len(args) != it.funcs[fn].params {
		f := it.prog.Funcs[fn]
		return 0, fmt.Errorf("jasm: call %s: %w: %d given, it takes %d", f.Name, ErrArity, len(args), f.Params)
	}
	stop := &never
	if ctx != nil && ctx.Done() != nil {
		if ctx.Err() != nil {
			return 0, it.entryFault(ErrInterrupted, fn, ctx)
		}
		stop = new(atomic.Bool)
		unregister := context.AfterFunc(ctx, func() { stop.Store(true) })
		defer unregister()
	}
	m := it.machines.Get().(*machine)
	v, err := it.run(ctx, m, fn, args, stop)
	m.frames = m.frames[:0]
	it.machines.Put(m)
	return v, err
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// grow returns a stack of at least n slots holding the first keep slots of s.
func grow(s []int64, keep, n int) []int64 {
	ns := make([]int64, max(n, 2*len(s)))
	copy(ns, s[:keep])
	return ns
}

func (it *Interp) run(ctx context.Context, m *machine, fn int, args []int64, stop *atomic.Bool) (int64, error) {
	code, funcs, sites, budget := it.code, it.funcs, it.sites, it.stackBytes
	f := &funcs[fn]
	used := f.fsize
	if used > budget {
		return 0, it.entryFault(ErrStackOverflow, fn, ctx)
	}
	stack := m.stack
	if f.need > len(stack) {
		stack = grow(stack, 0, f.need)
		m.stack = stack
	}
	copy(stack, args)
	clear(stack[f.params : f.params+f.locals])
	base, sp, pc := 0, f.params+f.locals, f.entry
	frames := m.frames
	for {
		in := &code[pc]
		switch in.op {
		case OpPush:
			stack[sp] = in.a
			sp++
		case OpPop:
			sp--
		case OpDup:
			stack[sp] = stack[sp-1]
			sp++
		case OpSwap:
			stack[sp-1], stack[sp-2] = stack[sp-2], stack[sp-1]
		case OpArg, OpLoad:
			stack[sp] = stack[base+int(in.a)]
			sp++
		case OpStore:
			sp--
			stack[base+int(in.a)] = stack[sp]
		case OpAdd:
			sp--
			stack[sp-1] += stack[sp]
		case OpSub:
			sp--
			stack[sp-1] -= stack[sp]
		case OpMul:
			sp--
			stack[sp-1] *= stack[sp]
		case OpDiv:
			sp--
			d := stack[sp]
			if d == 0 {
				m.frames = frames
				return 0, it.fault(ErrDivisionByZero, pc, ctx)
			}
			stack[sp-1] /= d // Go: MinInt64 / -1 == MinInt64
		case OpRem:
			sp--
			d := stack[sp]
			if d == 0 {
				m.frames = frames
				return 0, it.fault(ErrDivisionByZero, pc, ctx)
			}
			stack[sp-1] %= d // Go: MinInt64 % -1 == 0
		case OpAnd:
			sp--
			stack[sp-1] &= stack[sp]
		case OpOr:
			sp--
			stack[sp-1] |= stack[sp]
		case OpXor:
			sp--
			stack[sp-1] ^= stack[sp]
		case OpShl:
			sp--
			stack[sp-1] <<= uint64(stack[sp]) & 63
		case OpShr:
			sp--
			stack[sp-1] = int64(uint64(stack[sp-1]) >> (uint64(stack[sp]) & 63))
		case OpSar:
			sp--
			stack[sp-1] >>= uint64(stack[sp]) & 63
		case OpNeg:
			stack[sp-1] = -stack[sp-1]
		case OpNot:
			stack[sp-1] = ^stack[sp-1]
		case OpEq:
			sp--
			stack[sp-1] = b2i(stack[sp-1] == stack[sp])
		case OpNe:
			sp--
			stack[sp-1] = b2i(stack[sp-1] != stack[sp])
		case OpLt:
			sp--
			stack[sp-1] = b2i(stack[sp-1] < stack[sp])
		case OpLe:
			sp--
			stack[sp-1] = b2i(stack[sp-1] <= stack[sp])
		case OpGt:
			sp--
			stack[sp-1] = b2i(stack[sp-1] > stack[sp])
		case OpGe:
			sp--
			stack[sp-1] = b2i(stack[sp-1] >= stack[sp])
		case OpJmp:
			pc = int(in.a)
			continue
		case OpJz:
			sp--
			if stack[sp] == 0 {
				pc = int(in.a)
				continue
			}
		case OpJnz:
			sp--
			if stack[sp] != 0 {
				pc = int(in.a)
				continue
			}
		case opJmpBack:
			if stop.Load() {
				m.frames = frames
				return 0, it.fault(ErrInterrupted, pc, ctx)
			}
			pc = int(in.a)
			continue
		case opJzBack:
			sp--
			if stack[sp] == 0 {
				if stop.Load() {
					m.frames = frames
					return 0, it.fault(ErrInterrupted, pc, ctx)
				}
				pc = int(in.a)
				continue
			}
		case opJnzBack:
			sp--
			if stack[sp] != 0 {
				if stop.Load() {
					m.frames = frames
					return 0, it.fault(ErrInterrupted, pc, ctx)
				}
				pc = int(in.a)
				continue
			}
		case OpGuard:
			if sites[in.site].Load() != 0 {
				if stop.Load() {
					m.frames = frames
					return 0, it.fault(ErrInterrupted, pc, ctx)
				}
				pc = int(in.a)
				continue
			}
		case OpPConst:
			stack[sp] = sites[in.site].Load()
			sp++
		case OpCall, OpPCall:
			g := in.a
			if in.op == OpPCall {
				g = sites[in.site].Load()
			}
			callee := &funcs[g]
			if stop.Load() {
				m.frames = frames
				return 0, it.entryFault(ErrInterrupted, int(g), ctx) // compiled code polls at the callee's entry
			}
			if used+callee.fsize > budget {
				m.frames = frames
				return 0, it.entryFault(ErrStackOverflow, int(g), ctx)
			}
			frames = append(frames, frame{retPC: pc + 1, base: base, used: used})
			used += callee.fsize
			base = sp - callee.params
			if base+callee.need > len(stack) {
				stack = grow(stack, sp, base+callee.need)
				m.stack = stack
			}
			sp = base + callee.params + callee.locals
			clear(stack[base+callee.params : sp])
			pc = callee.entry
			continue
		case OpRet:
			v := stack[sp-1]
			if len(frames) == 0 {
				m.frames = frames
				return v, nil
			}
			fr := frames[len(frames)-1]
			frames = frames[:len(frames)-1]
			stack[base] = v
			sp = base + 1
			base, pc, used = fr.base, fr.retPC, fr.used
			continue
		default:
			panic("BUG: jasm: interpreter: invalid instruction " + in.op.String())
		}
		pc++
	}
}

// fault returns runtime error err at instruction pc (an index in it.code).
func (it *Interp) fault(err error, pc int, ctx context.Context) error {
	fn := sort.Search(len(it.funcs), func(i int) bool { return it.funcs[i].entry > pc }) - 1
	f := it.prog.Funcs[fn]
	return &RuntimeError{Err: err, Func: f.Name, Pos: f.InstPos(pc - it.funcs[fn].entry), Cause: cause(err, ctx)}
}

// entryFault returns runtime error err at the entry of function fn.
func (it *Interp) entryFault(err error, fn int, ctx context.Context) error {
	f := it.prog.Funcs[fn]
	return &RuntimeError{Err: err, Func: f.Name, Pos: f.Pos, Cause: cause(err, ctx)}
}

// cause is the context's error for an interruption that ctx caused.
func cause(err error, ctx context.Context) error {
	if err == ErrInterrupted && ctx != nil {
		return ctx.Err()
	}
	return nil
}
