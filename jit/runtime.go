package jit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/syncore/syncore/jit/jasm"
	"github.com/syncore/syncore/membarrier"
)

// Options configures a Runtime. The zero value gives the defaults.
type Options struct {
	Heap HeapOptions
	// StackBytes is the stack budget of one call from Go: the sum of
	// jasm.FrameSize over active frames may not exceed it (the interpreter
	// uses the same model, so both overflow on the same call). Default
	// jasm.DefaultStackBytes.
	StackBytes int
	// PConst chooses how pconst sites are compiled (default PConstData).
	PConst PConstMode
}

// Info describes a Runtime's set-up.
type Info struct {
	Arch       Arch
	CanExecute bool
	HeapMode   HeapMode    // HeapDual or HeapRWX
	HeapReason string      // why that mode
	Probe      ProbeResult // the coherence probe's finding (dual mapping)
	// SyncCore is nil when the process is registered for membarrier
	// PRIVATE_EXPEDITED_SYNC_CORE (done once, in New), else why not.
	SyncCore error
}

// Runtime compiles jasm programs into its code heap and runs them. It is
// safe for concurrent use.
type Runtime struct {
	opts   Options
	heap   *Heap
	stacks stackPool
	info   Info
}

// New creates a runtime: it registers the process for membarrier
// PRIVATE_EXPEDITED_SYNC_CORE (once, here: a registration costs an RCU grace
// period), maps the code heap and, for HeapAuto, runs the coherence probe and
// falls back to an RWX mapping when code written through the RW view is not
// executed through the RX view.
func New(opts Options) (*Runtime, error) {
	if opts.StackBytes <= 0 {
		opts.StackBytes = jasm.DefaultStackBytes
	}
	rt := &Runtime{opts: opts, stacks: stackPool{budget: opts.StackBytes}}
	rt.info.Arch, rt.info.CanExecute = HostArch()
	rt.info.SyncCore = membarrier.Register(membarrier.CmdRegisterPrivateExpeditedSyncCore)

	switch opts.Heap.Mode {
	case HeapDual, HeapRWX:
		rt.heap = newHeap(opts.Heap, opts.Heap.Mode)
		rt.info.HeapReason = "chosen in Options.Heap.Mode"
	case HeapAuto:
		rt.heap = newHeap(opts.Heap, HeapDual)
		probe, err := probeHeap(rt.heap, &rt.stacks)
		if err != nil {
			rt.heap.Close()
			return nil, fmt.Errorf("jit: coherence probe: %w", err)
		}
		rt.info.Probe = probe
		switch {
		case !probe.Ran:
			rt.info.HeapReason = "W^X dual mapping (probe not run: " + probe.Detail + ")"
		case probe.Coherent:
			rt.info.HeapReason = "W^X dual mapping: the coherence probe saw a patch written through the RW view"
		default:
			rt.heap.Close()
			rt.heap = newHeap(opts.Heap, HeapRWX)
			rt.info.HeapReason = "RWX fallback: " + probe.Detail
		}
	default:
		return nil, fmt.Errorf("jit: unknown heap mode %v", opts.Heap.Mode)
	}
	rt.info.HeapMode = rt.heap.Mode()
	return rt, nil
}

// Info reports how the runtime was set up.
func (rt *Runtime) Info() Info { return rt.info }

// Heap returns the runtime's code heap.
func (rt *Runtime) Heap() *Heap { return rt.heap }

// Close unmaps the code heap. No function of the runtime may run or be
// called afterwards.
func (rt *Runtime) Close() error { return rt.heap.Close() }

// Compile parses, verifies, compiles and loads a jasm program.
func (rt *Runtime) Compile(filename string, src []byte) (*Program, error) {
	p, err := jasm.Parse(filename, src)
	if err != nil {
		return nil, err
	}
	return rt.Load(p)
}

// Load compiles a verified program for the host and loads it into the code
// heap.
func (rt *Runtime) Load(p *jasm.Program) (*Program, error) {
	if !rt.info.CanExecute {
		return nil, ErrUnsupported
	}
	code, err := Compile(p, CompileOptions{Arch: rt.info.Arch, PConst: rt.opts.PConst})
	if err != nil {
		return nil, err
	}
	blk, err := rt.heap.Alloc(len(code.Blob.Code))
	if err != nil {
		return nil, err
	}
	copy(blk.RW, code.Blob.Code)
	SyncICache(blk, 0, len(blk.RW))
	if rt.info.SyncCore == nil {
		// New code at new addresses: serialise every thread anyway before
		// any of them can reach it (Intel SDM Vol. 3 §8.1.3).
		if err := membarrier.SyncCore(); err != nil {
			return nil, fmt.Errorf("jit: barrier after loading: %w", err)
		}
	}
	prog := &Program{rt: rt, code: code, block: blk}
	prog.funcs = make([]*Func, len(p.Funcs))
	for i, f := range p.Funcs {
		fn := &Func{prog: prog, index: i, name: f.Name, params: f.Params, entry: blk.Addr(code.Entries[i])}
		fn.intr.Store(new(uint64))
		prog.funcs[i] = fn
	}
	return prog, nil
}

// Program is a compiled, loaded program.
type Program struct {
	rt     *Runtime
	code   *Code
	block  Block
	funcs  []*Func
	closed atomic.Bool
}

// ErrClosed: the program was closed; its code is gone.
var ErrClosed = errors.New("jit: program closed")

// Close frees the program's code for later programs. The caller guarantees
// that none of its functions is running or will be called (calls made
// after Close fail with ErrClosed; a Caller made before fails too) and that
// no patcher changes its sites any more. Closing twice is harmless.
func (p *Program) Close() error {
	if !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	return p.rt.heap.Free(p.block)
}

// Closed reports whether Close was called.
func (p *Program) Closed() bool { return p.closed.Load() }

// Code returns the compiled code (blob, entries, site table).
func (p *Program) Code() *Code { return p.code }

// Block returns where the program lives in the code heap.
func (p *Program) Block() Block { return p.block }

// Jasm returns the program's bytecode.
func (p *Program) Jasm() *jasm.Program { return p.code.Program }

// Func returns the function called name, or nil if there is none.
func (p *Program) Func(name string) *Func {
	if i, ok := p.code.Program.Func(name); ok {
		return p.funcs[i]
	}
	return nil
}

// FuncAt returns function i (index in Jasm().Funcs).
func (p *Program) FuncAt(i int) *Func { return p.funcs[i] }

// Entry returns the entry function (jasm's Entry, "main" by default), or nil.
func (p *Program) Entry() *Func { return p.Func(p.code.Program.EntryName()) }

// Func is a compiled function that Go can call.
type Func struct {
	prog   *Program
	index  int
	name   string
	params int
	entry  uintptr

	intr   atomic.Pointer[uint64] // word polled by calls made with Call
	mu     sync.Mutex
	active map[*uint64]struct{} // words of running CallContext calls
}

// Name returns the function's name.
func (f *Func) Name() string { return f.name }

// Params returns the number of parameters.
func (f *Func) Params() int { return f.params }

// Addr returns the executable address of the function's entry.
func (f *Func) Addr() uintptr { return f.entry }

// Call runs the function with args on a JIT stack and returns its result, or
// jasm.ErrDivisionByZero, jasm.ErrStackOverflow or jasm.ErrInterrupted —
// the same values the interpreter returns for the same program and input.
func (f *Func) Call(args ...int64) (int64, error) {
	if len(args) != f.params {
		return 0, f.arityErr(len(args))
	}
	if f.prog.closed.Load() {
		return 0, fmt.Errorf("call %s: %w", f.name, ErrClosed)
	}
	return f.run(f.intr.Load(), args)
}

// CallContext is Call that stops with jasm.ErrInterrupted when ctx is done
// (checked at loop back-edges and calls).
func (f *Func) CallContext(ctx context.Context, args ...int64) (int64, error) {
	if len(args) != f.params {
		return 0, f.arityErr(len(args))
	}
	if f.prog.closed.Load() {
		return 0, fmt.Errorf("call %s: %w", f.name, ErrClosed)
	}
	if ctx.Done() == nil {
		return f.run(f.intr.Load(), args)
	}
	if ctx.Err() != nil {
		return 0, jasm.ErrInterrupted
	}
	w := new(uint64)
	f.mu.Lock()
	if f.active == nil {
		f.active = map[*uint64]struct{}{}
	}
	f.active[w] = struct{}{}
	f.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { atomic.StoreUint64(w, 1) })
	v, err := f.run(w, args)
	stop()
	f.mu.Lock()
	delete(f.active, w)
	f.mu.Unlock()
	return v, err
}

// Interrupt stops every call of f running now: each returns
// jasm.ErrInterrupted at its next back-edge or call. Calls that start after
// Interrupt returns run normally.
func (f *Func) Interrupt() {
	old := f.intr.Swap(new(uint64))
	atomic.StoreUint64(old, 1)
	f.mu.Lock()
	for w := range f.active {
		atomic.StoreUint64(w, 1)
	}
	f.mu.Unlock()
}

func (f *Func) arityErr(n int) error {
	return fmt.Errorf("jit: call %s: %w: %d given, it takes %d", f.name, jasm.ErrArity, n, f.params)
}

func (f *Func) run(intr *uint64, args []int64) (int64, error) {
	v, exit, err := rawCall(&f.prog.rt.stacks, f.entry, f.prog.block.RX, intr, args)
	if err != nil {
		return 0, err
	}
	return exitResult(v, exit)
}

// exitResult turns the result register and exit code of a call into what
// Call returns: the interpreter's runtime errors, exactly.
func exitResult(v, exit int64) (int64, error) {
	switch exit {
	case exitOK:
		return v, nil
	case exitDivideByZero:
		return 0, jasm.ErrDivisionByZero
	case exitStackOverflow:
		return 0, jasm.ErrStackOverflow
	case exitInterrupted:
		return 0, jasm.ErrInterrupted
	}
	panic(fmt.Sprintf("BUG: machine code exited with code %d", exit))
}
