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
	// Reclaim says how Program.Close frees code (default ReclaimGrace;
	// ReclaimUnsafe is a negative control).
	Reclaim ReclaimMode
	// JITDump writes a jitdump file (jit-PID.dump in JITDumpDir, default
	// os.TempDir()) that names every loaded function and its jasm lines for
	// perf (see jitdump.go). The environment variable SYNCORE_JITDUMP
	// (JITDumpEnv) turns it on too, for programs that embed syncore. The
	// runtimes of a process that write into one directory share one file,
	// closed with the last of them.
	JITDump    bool
	JITDumpDir string

	hooks testHooks // code generation hooks, set by tests only (export_test.go)
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
	// Reclaim is how Program.Close orders the entry marks of running calls
	// before it reads them: membarrier PRIVATE_EXPEDITED (registered in
	// New), or the fallback in use and why.
	Reclaim string
	// ReclaimMode is Options.Reclaim.
	ReclaimMode ReclaimMode
	// Reuse says whether freed code memory is given to later programs, and
	// which barrier serialises the threads before it is: SYNC_CORE, else
	// membarrier GLOBAL; with neither, freed blocks stay trapped for good.
	Reuse string
	// JITDump is the path of the jitdump file for perf, "" when off.
	JITDump string
}

// Runtime compiles jasm programs into its code heap and runs them. It is
// safe for concurrent use.
type Runtime struct {
	opts    Options
	heap    *Heap
	readers readers
	stacks  stackPool
	info    Info
	writeMu sync.Mutex // the writer lock (LockWrites)
	progMu  sync.Mutex
	progs   map[*Program]struct{} // loaded and not reclaimed: where a fault PC may lie
	// serialize makes every thread execute a serialising instruction before
	// code is written into reused memory (nil: memory is never reused).
	serialize func() error
	// reuseBarriers counts the barriers Load issued for reused memory.
	reuseBarriers atomic.Uint64
	dump          *jitDump  // nil unless profiling (Options.JITDump); shared by the process's runtimes
	dumpDone      sync.Once // releases dump once, however often Close is called
}

// New creates a runtime: it registers the process for membarrier
// PRIVATE_EXPEDITED_SYNC_CORE (once, here: a registration costs an RCU grace
// period), maps the code heap and, for HeapAuto, runs the coherence probe and
// falls back to an RWX mapping when code written through the RW view is not
// executed through the RX view.
func New(opts Options) (*Runtime, error) {
	if err := Supported(); err != nil {
		return nil, err
	}
	if opts.StackBytes <= 0 {
		opts.StackBytes = jasm.DefaultStackBytes
	}
	if opts.Reclaim != ReclaimGrace && opts.Reclaim != ReclaimUnsafe {
		return nil, fmt.Errorf("jit: unknown reclaim mode %v", opts.Reclaim)
	}
	rt := &Runtime{opts: opts}
	rt.stacks = stackPool{budget: opts.StackBytes, rd: &rt.readers}
	rt.info.Arch, rt.info.CanExecute = HostArch()
	rt.info.SyncCore = registerFn(membarrier.CmdRegisterPrivateExpeditedSyncCore)
	global := false // membarrier GLOBAL, needed only without SYNC_CORE
	if rt.info.SyncCore != nil {
		set, err := queryFn()
		global = err == nil && set.Has(membarrier.CmdGlobal)
	}
	rt.readers.choose(rt.info.SyncCore, global)
	rt.info.Reclaim, rt.info.ReclaimMode = rt.readers.mech, opts.Reclaim
	switch {
	case rt.info.SyncCore == nil:
		rt.serialize = membarrier.SyncCore
		rt.info.Reuse = "freed code is reused after a SYNC_CORE barrier"
	case global:
		rt.serialize = func() error { return membarrier.Barrier(membarrier.CmdGlobal) }
		rt.info.Reuse = "freed code is reused after a membarrier GLOBAL (SYNC_CORE unavailable)"
	default:
		rt.info.Reuse = "freed code is never reused: no serialising barrier (SYNC_CORE and GLOBAL unavailable)"
	}

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
	if dir, on := jitDumpDir(opts); on && rt.info.CanExecute {
		d, err := acquireJITDump(dir, rt.info.Arch)
		if err != nil {
			rt.heap.Close()
			return nil, err
		}
		rt.dump, rt.info.JITDump = d, d.Path()
	}
	rt.info.HeapMode = rt.heap.Mode()
	rt.heap.noReuse = rt.serialize == nil
	return rt, nil
}

// Info reports how the runtime was set up.
func (rt *Runtime) Info() Info { return rt.info }

// Heap returns the runtime's code heap.
func (rt *Runtime) Heap() *Heap { return rt.heap }

// Close unmaps the code heap (and finishes the jitdump file, once no other
// runtime of the process writes to it). No function of the runtime may run
// or be called afterwards.
func (rt *Runtime) Close() error {
	err := rt.heap.Close()
	if rt.dump != nil {
		rt.dumpDone.Do(func() { err = errors.Join(err, rt.dump.release()) })
	}
	return err
}

// LockWrites takes the runtime's writer lock. Every store into the code
// heap's machine code (patch protocols, the traps of a closed program)
// holds it, whichever Patcher or Program makes it: protocols
// read-modify-write whole aligned words, which neighbouring sites may share
// (a movabs tail and the next guard share a qword on amd64), so two writers
// at once could lose each other's bytes.
func (rt *Runtime) LockWrites() { rt.writeMu.Lock() }

// UnlockWrites releases the writer lock.
func (rt *Runtime) UnlockWrites() { rt.writeMu.Unlock() }

// GracePeriods returns how many grace periods Program.Close has waited for.
func (rt *Runtime) GracePeriods() uint64 { return rt.readers.graces.Load() }

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
	code, err := Compile(p, CompileOptions{Arch: rt.info.Arch, PConst: rt.opts.PConst, Lines: rt.dump != nil, hooks: rt.opts.hooks})
	if err != nil {
		return nil, err
	}
	return rt.load(code)
}

// load puts compiled or assembled code in the heap and makes it a Program.
func (rt *Runtime) load(code *Code) (*Program, error) {
	p := code.Program
	blk, reused, err := rt.heap.alloc(len(code.Blob.Code))
	if err != nil {
		return nil, err
	}
	copy(blk.RW, code.Blob.Code)
	SyncICache(blk, 0, len(blk.RW))
	// Serialise every thread before any of them can reach the code (Intel
	// SDM Vol. 3 §8.1.3). For fresh memory SYNC_CORE is a precaution; for
	// memory that held a closed program it is needed (a thread may hold
	// instructions fetched from there), so without SYNC_CORE the fallback
	// barrier runs (the heap reuses nothing when there is none).
	if rt.info.SyncCore == nil || reused {
		if reused {
			rt.reuseBarriers.Add(1)
		}
		if err := rt.serialize(); err != nil {
			rt.heap.Free(blk)
			return nil, fmt.Errorf("jit: barrier after loading: %w", err)
		}
	}
	prog := &Program{rt: rt, code: code, block: blk, id: programIDs.Add(1) & idMask, closing: make(chan struct{}, 1)}
	rt.progMu.Lock()
	if rt.progs == nil {
		rt.progs = map[*Program]struct{}{}
	}
	rt.progs[prog] = struct{}{}
	rt.progMu.Unlock()
	// The Funcs and their first interrupt words are made together, not one
	// allocation each (Interrupt gives a function a word of its own).
	prog.funcs = make([]*Func, len(p.Funcs))
	funcs, words := make([]Func, len(p.Funcs)), make([]uint64, len(p.Funcs))
	for i, f := range p.Funcs {
		fn := &funcs[i]
		fn.prog, fn.index, fn.name, fn.params, fn.entry = prog, i, f.Name, f.Params, blk.Addr(code.Entries[i])
		fn.intr.Store(&words[i])
		prog.funcs[i] = fn
	}
	if rt.dump != nil {
		rt.dump.load(prog)
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
	id     uint64 // the marks of calls entering here carry it (reclaim.go)

	// closing is a semaphore (one slot) that serialises Close; a
	// CloseContext waits for it only until its context is done.
	closing chan struct{}
	freed   atomic.Bool // the block went back to the heap

	mu      sync.Mutex       // guards the fields below
	inRefs  int              // call sites of other programs that call into p
	outRefs map[*Program]int // programs that p's call sites call into
	// callers are the programs whose call sites called into p (AddRef), each
	// kept until its Close has waited out the calls that entered it (one of
	// them may still be in p); callees are the reverse edges: the programs
	// whose callers hold p. Neither keeps a reclaimed program.
	callers map[*Program]struct{}
	callees map[*Program]struct{}
	ext     map[any]any // Extension
}

// programIDs numbers programs (modulo 1<<idBits).
var programIDs atomic.Uint64

// ErrClosed: the program was closed; its code is gone or going.
var ErrClosed = errors.New("jit: program closed")

// Close retires the program and frees its code; it is CloseContext with a
// context that is never done.
func (p *Program) Close() error { return p.CloseContext(context.Background()) }

// CloseContext retires the program and frees its code once no thread can be
// running it:
//
//  1. No new call enters: calls, Callers and patches of the program fail
//     with ErrClosed from now on.
//  2. Calls in flight (including calls parked in a yield) are interrupted
//     at their next poll point and return an error matching both ErrClosed
//     and jasm.ErrInterrupted, or finish normally. (A call that entered
//     through another program's call site polls that program's interrupt
//     word and runs to its end.)
//  3. A grace period: membarrier orders every call's entry mark, and Close
//     waits until each call that may have entered has returned (see
//     Info.Reclaim for the mechanism).
//  4. Only then are traps written over the code, under the runtime's writer
//     lock, and the block handed back to the heap.
//
// When ctx is done first, CloseContext returns its error: the program stays
// closed to new calls and its code stays in place; a later Close tries
// again. Closes of one program run one at a time: a CloseContext that finds
// another under way waits for it only until ctx is done. Closing a
// reclaimed program returns nil. A program that call sites of
// other programs still call into (a Retarget across programs) is not
// closed: the error matches ErrInUse.
func (p *Program) CloseContext(ctx context.Context) error {
	if p.freed.Load() {
		return nil
	}
	select {
	case p.closing <- struct{}{}:
	default:
		select { // another Close runs: wait for it, or for ctx
		case p.closing <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("jit: close: waiting for another Close of the program: %w", ctx.Err())
		}
	}
	defer func() { <-p.closing }()
	if p.freed.Load() {
		return nil // the other Close reclaimed it
	}
	p.mu.Lock()
	if n := p.inRefs; n > 0 {
		p.mu.Unlock()
		return fmt.Errorf("jit: close: %w: %d call site(s) of other programs call into it; retarget them first", ErrInUse, n)
	}
	p.closed.Store(true)
	p.mu.Unlock()
	for _, f := range p.funcs {
		f.stop(f.intr.Load()) // the program never runs again: no fresh word needed
	}
	rt := p.rt
	if rt.opts.Reclaim != ReclaimUnsafe {
		if err := rt.readers.synchronize(ctx, p.reachers()); err != nil {
			return fmt.Errorf("jit: close: %w", err)
		}
	}
	rt.progMu.Lock()
	delete(rt.progs, p)
	rt.progMu.Unlock()
	rt.LockWrites()
	err := rt.heap.Free(p.block)
	rt.UnlockWrites()
	p.freed.Store(true)
	p.mu.Lock()
	out, callees, callers := p.outRefs, p.callees, p.callers
	p.outRefs, p.callees, p.callers = nil, nil, nil
	p.mu.Unlock()
	for q, n := range out {
		q.mu.Lock()
		q.inRefs -= n
		q.mu.Unlock()
	}
	// After the grace period no call that entered p is inside: the programs
	// p called into need not wait for p's calls any more, and a program
	// whose call sites called into p need not remember p.
	for q := range callees {
		q.mu.Lock()
		delete(q.callers, p)
		q.mu.Unlock()
	}
	for c := range callers {
		c.mu.Lock()
		delete(c.callees, p)
		c.mu.Unlock()
	}
	return err
}

// reachers returns the ids of the programs through which a call may have
// reached p's code: p, and every program whose call sites called into one
// of those (until that program's Close has waited out its calls: see
// Program.callers).
func (p *Program) reachers() []uint64 {
	p.mu.Lock()
	n := len(p.callers)
	p.mu.Unlock()
	if n == 0 {
		return []uint64{p.id} // the common case: no call site of another program ever called in
	}
	var ids []uint64
	seen := map[*Program]bool{p: true}
	todo := []*Program{p}
	for len(todo) > 0 {
		q := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		ids = append(ids, q.id)
		q.mu.Lock()
		for c := range q.callers {
			if !seen[c] {
				seen[c] = true
				todo = append(todo, c)
			}
		}
		q.mu.Unlock()
	}
	return ids
}

// Reclaimed reports whether the program's code went back to the heap.
func (p *Program) Reclaimed() bool { return p.freed.Load() }

// AddRef records that a call site of p now calls into program q (a
// Retarget across programs): q cannot be closed (ErrInUse) until p drops
// the reference or is closed and reclaimed itself. It fails with ErrClosed
// when q or p is closed (a closed program's Close has released, or will
// never see, its references). Package patch calls it before it writes such
// a call.
func (p *Program) AddRef(q *Program) error {
	if p == q {
		return nil
	}
	if p.rt != q.rt {
		return fmt.Errorf("jit: a call from one runtime's code into another's")
	}
	q.mu.Lock()
	if q.closed.Load() {
		q.mu.Unlock()
		return fmt.Errorf("jit: reference into a closed program: %w", ErrClosed)
	}
	q.inRefs++
	if q.callers == nil {
		q.callers = map[*Program]struct{}{}
	}
	// Kept after a DropRef (a call that entered p before a retarget may
	// still be in q), until p's Close has waited for p's calls.
	q.callers[p] = struct{}{}
	q.mu.Unlock()
	p.mu.Lock()
	if p.closed.Load() {
		// p's Close sets closed under p.mu and takes outRefs later: this
		// reference would never be released. Undo it; q forgets p unless
		// an earlier reference of p's (whose calls may be in q) holds it.
		_, held := p.callees[q]
		p.mu.Unlock()
		q.mu.Lock()
		q.inRefs--
		if !held {
			delete(q.callers, p)
		}
		q.mu.Unlock()
		return fmt.Errorf("jit: reference from a closed program: %w", ErrClosed)
	}
	if p.outRefs == nil {
		p.outRefs = map[*Program]int{}
	}
	p.outRefs[q]++
	if p.callees == nil {
		p.callees = map[*Program]struct{}{}
	}
	p.callees[q] = struct{}{}
	p.mu.Unlock()
	return nil
}

// DropRef undoes one AddRef(q), once p's call site no longer calls into q
// (after the barrier of the Retarget that moved it).
func (p *Program) DropRef(q *Program) {
	if p == q {
		return
	}
	p.mu.Lock()
	n := p.outRefs[q]
	if n == 0 {
		p.mu.Unlock()
		return // released by p's Close already
	}
	if n == 1 {
		delete(p.outRefs, q)
	} else {
		p.outRefs[q] = n - 1
	}
	p.mu.Unlock()
	q.mu.Lock()
	q.inRefs--
	q.mu.Unlock()
}

// Extension returns the value kept under key for this program, made by mk
// the first time. Packages that manage a program's sites keep their shared
// state here (package patch: one record per site, whichever handle or
// Patcher changes it).
func (p *Program) Extension(key any, mk func() any) any {
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.ext[key]; ok {
		return v
	}
	if p.ext == nil {
		p.ext = map[any]any{}
	}
	v := mk()
	p.ext[key] = v
	return v
}

// Runtime returns the runtime the program is loaded in.
func (p *Program) Runtime() *Runtime { return p.rt }

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

// Index returns the function's index in its program (Jasm().Funcs).
func (f *Func) Index() int { return f.index }

// Program returns the program the function belongs to.
func (f *Func) Program() *Program { return f.prog }

// Params returns the number of parameters.
func (f *Func) Params() int { return f.params }

// Addr returns the executable address of the function's entry.
func (f *Func) Addr() uintptr { return f.entry }

// Call runs the function with args on a JIT stack and returns its result, or
// a *jasm.RuntimeError matching jasm.ErrDivisionByZero, jasm.ErrStackOverflow
// or jasm.ErrInterrupted, with the function and jasm position of the check
// that failed ("division by zero in fib at fib.jasm:12:5") — what the
// interpreter returns for the same program and input.
func (f *Func) Call(args ...int64) (int64, error) {
	if len(args) != f.params {
		return 0, f.arityErr(len(args))
	}
	return f.run(f.intr.Load(), args)
}

// CallContext is Call that stops with jasm.ErrInterrupted when ctx is done
// (noticed within pollBudget poll points: loop back-edges and the entries of
// recursive functions); the error then matches ctx.Err()
// (context.Canceled, context.DeadlineExceeded) too.
func (f *Func) CallContext(ctx context.Context, args ...int64) (int64, error) {
	if len(args) != f.params {
		return 0, f.arityErr(len(args))
	}
	if ctx.Done() == nil {
		return f.run(f.intr.Load(), args)
	}
	if ctx.Err() != nil {
		return 0, &jasm.RuntimeError{Err: jasm.ErrInterrupted, Func: f.name, Pos: f.prog.code.Program.Funcs[f.index].Pos, Cause: ctx.Err()}
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
	if re, ok := err.(*jasm.RuntimeError); ok && re.Err == jasm.ErrInterrupted && ctx.Err() != nil {
		re.Cause = ctx.Err() // stopped by its context (not by Interrupt or Close)
	}
	stop()
	f.mu.Lock()
	delete(f.active, w)
	f.mu.Unlock()
	return v, err
}

// Interrupt stops every call of f running now: each returns
// jasm.ErrInterrupted within its next 1024 poll points (loop back-edges and
// the entries of functions on a call cycle; see pollBudget and
// docs/abi.md), so a call that passes fewer than that runs to its end.
// Calls that start after
// Interrupt returns run normally — unless the program is closing: then the
// fresh word is stopped too, so that a call which passed its closed check
// before Close and loads the word after this swap is stopped as well (Close
// stops the word it finds, and would otherwise wait for that call to end on
// its own). Both flags are sequentially consistent: either Close's load of
// the word follows the swap, or this load of closed follows Close's store.
func (f *Func) Interrupt() {
	f.stop(f.intr.Swap(new(uint64)))
	if f.prog.closed.Load() {
		f.stop(f.intr.Load())
	}
}

// stop sets word (the interrupt word of f's Call and Caller calls that
// loaded it) and the word of every CallContext call of f running now.
func (f *Func) stop(word *uint64) {
	atomic.StoreUint64(word, 1)
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
	return rawCall(&f.prog.rt.stacks, f.entry, f.prog.block.RX, intr, f, args)
}

// exitErr is the error of a call of f that left through an exit stub with
// exit code exit (not exitOK) at pc (callCtx.faultPC): the interpreter's
// runtime error with the function and position of the check that failed;
// for a call interrupted because its program was closed, an error that
// matches ErrClosed too. The caller still holds the call's entry mark, so
// the program that holds pc has not been reclaimed.
func (f *Func) exitErr(exit int64, pc uintptr) error {
	var err error
	switch exit {
	case exitDivideByZero:
		err = jasm.ErrDivisionByZero
	case exitStackOverflow:
		err = jasm.ErrStackOverflow
	case exitInterrupted:
		if f.prog.closed.Load() {
			return fmt.Errorf("call %s: %w: %w", f.name, ErrClosed, f.prog.runtimeError(jasm.ErrInterrupted, pc))
		}
		err = jasm.ErrInterrupted
	default:
		panic(fmt.Sprintf("BUG: machine code exited with code %d", exit))
	}
	return f.prog.runtimeError(err, pc)
}

// runtimeError is err at the check whose stub is at pc (callCtx.faultPC):
// in p, the program the call entered, or else in whichever of the
// runtime's programs holds it (a call that entered p may fail in another
// program it calls into). The caller holds the call's entry mark.
func (p *Program) runtimeError(err error, pc uintptr) *jasm.RuntimeError {
	e := &jasm.RuntimeError{Err: err}
	rt := p.rt
	if rt.info.Arch == ArchPPC64LE || rt.info.Arch == ArchARM64 {
		pc -= 4 // the stub's bl: LR is its address + 4
	}
	if p.position(e, pc) {
		return e // p.code and p.block stay valid: no lock needed
	}
	rt.progMu.Lock()
	defer rt.progMu.Unlock()
	for q := range rt.progs {
		if q != p && q.position(e, pc) {
			break
		}
	}
	return e
}

// position reports whether pc lies in p's block and, if so, sets e's
// function and position from p's line table.
func (p *Program) position(e *jasm.RuntimeError, pc uintptr) bool {
	if pc < p.block.RX || pc >= p.block.RX+uintptr(len(p.block.RW)) {
		return false
	}
	if l, ok := p.code.LineAt(int(pc - p.block.RX)); ok {
		e.Func, e.Pos = p.code.Program.Funcs[l.Func].Name, p.code.Pos(l)
	}
	return true
}
