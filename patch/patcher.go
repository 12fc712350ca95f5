package patch

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/jit/jasm"
)

// Protocol is how a site's bytes are changed.
type Protocol int

const (
	// Auto picks the protocol the site's guarantee allows (the default).
	Auto Protocol = iota
	// AtomicSlot: the changed bytes lie in one naturally aligned qword;
	// one atomic 8-byte store replaces them (amd64). SDM Vol. 3 §8.1.1
	// makes that store atomic for data accesses; that instruction fetch
	// sees it whole is what V8 and HotSpot rely on too, not an
	// architectural promise (see amd64_protocol.go). On ppc64le and arm64
	// it means PatchClass.
	AtomicSlot
	// SelfLoop: HotSpot's protocol for sites wider than a qword (amd64):
	// park the head, barrier, write the tail, barrier, write the head,
	// barrier.
	SelfLoop
	// DataSlot: change an aligned 8-byte data word that the code loads;
	// no instruction changes.
	DataSlot
	// PatchClass: one aligned 4-byte store of an instruction that the
	// ISA allows to replace another under running threads, then the
	// writer's cache maintenance (jit.SyncICache). On ppc64le that is the
	// Power patch class (b, bl, the preferred nop), followed by dcbst;
	// sync; icbi; sync; isync (Power ISA Book II CMODX). On arm64 the name
	// stands for the Arm ARM's set (B, BL, NOP, BRK, SVC, HVC, SMC, ISB;
	// syncore writes B, BL and NOP), followed by DC CVAU; DSB ISH;
	// IC IVAU; DSB ISH; ISB (Arm ARM DDI 0487 B2.2.5, "Concurrent
	// modification and execution of instructions"). The name is kept
	// because the rule has the same shape on both: one aligned word, a
	// closed set of instructions, writer maintenance, then a
	// context-synchronising event on every other thread (the barrier).
	PatchClass
	// Unsafe writes the changed bytes one at a time with a pause between
	// them: the negative control that the stress harness must catch.
	Unsafe
	// Straddle writes a site that is wider than one atomic store with
	// several aligned stores and no parking (a multi-word amd64 site in
	// two qword stores, a data slot in two 4-byte halves): the negative
	// control for "changed bytes must lie in one aligned word".
	Straddle
)

var protocolNames = [...]string{"auto", "atomic", "selfloop", "dataslot", "patchclass", "unsafe", "straddle"}

func (p Protocol) String() string {
	if p >= 0 && int(p) < len(protocolNames) {
		return protocolNames[p]
	}
	return fmt.Sprintf("Protocol(%d)", int(p))
}

// ParseProtocol returns the protocol named s.
func ParseProtocol(s string) (Protocol, error) {
	for i, n := range protocolNames {
		if n == s {
			return Protocol(i), nil
		}
	}
	return 0, fmt.Errorf("patch: unknown protocol %q (want one of %v)", s, protocolNames[:])
}

// Errors of site operations, comparable with errors.Is.
var (
	ErrNoSite      = errors.New("patch: no such site")
	ErrSiteKind    = errors.New("patch: operation does not fit the site's kind")
	ErrProtocol    = errors.New("patch: protocol not allowed for this site")
	ErrOtherTarget = errors.New("patch: retarget needs a function of the site's program with the same arity")
)

// Options configures a Patcher.
type Options struct {
	// Barrier names the strategy (BarrierNames); "" picks the first of
	// FallbackOrder that works here and says why (Patcher.Reason).
	Barrier string
	// Strategy, when not nil, is the barrier to use instead of a named one:
	// a built-in value (SyncCore{}, NewHandshake(), …) or an implementation
	// of your own. Its Serialising method must tell the truth: a patch
	// relies on it (Intel SDM Vol. 3 §8.1.3, Power ISA Book II CMODX, Arm
	// ARM DDI 0487 B2.2.5).
	// Setting both Barrier and Strategy is an error.
	Strategy Barrier
	// Protocol forces a protocol on every site (for the stress harness
	// and its negative controls); Auto picks per site.
	Protocol Protocol
	// UnsafePause is the pause between the bytes of the Unsafe protocol
	// (default 20µs).
	UnsafePause time.Duration
}

// Patcher changes the sites of programs loaded in one jit.Runtime.
// Every commit holds the runtime's writer lock (jit.Runtime.LockWrites),
// whichever Patcher makes it: sites may share an aligned word, and the
// protocols read-modify-write whole words, so several Patchers on one
// runtime never lose each other's bytes. Reading a site's state is one
// atomic load. It is safe for concurrent use.
type Patcher struct {
	rt      *jit.Runtime
	isa     isaBytes // the site byte builders of the runtime's ISA
	barrier Barrier
	reason  string
	proto   Protocol
	pause   time.Duration
	// scratch holds the stores of the commit in progress. It is guarded by
	// the runtime's writer lock, which every commit holds from before its
	// first use to after its last.
	scratch [maxPhases][]store
	batches atomic.Uint64 // barriers issued, for reports
}

// commitGen numbers commits, across runtimes; a site location marked with
// the current number already has an op in the commit (see commit).
var commitGen atomic.Uint64

// cell is the state of one site location, shared by every handle for it
// (several Site values, several Patchers): it lives on the program
// (jit.Program.Extension).
type cell struct {
	state  atomic.Int64             // pconst: value; pcall: callee index in its program; guard: 1 armed
	target atomic.Pointer[jit.Func] // pcall: the function called

	// parked: a multi-phase protocol stopped at a failed barrier. Written
	// under the runtime's writer lock, read without it (Site.Parked must
	// not wait for a commit, which holds the lock through its barriers).
	parked atomic.Bool

	// Guarded by the runtime's writer lock:
	mark uint64 // commitGen of the last commit that planned an op here
	pos  int    // that op's index in the commit
	head [8]byte
	hlen int            // while parked: the head bytes that belong in place of the park
	ref  *jit.Program   // pcall into another program: the reference held on it
	drop []*jit.Program // references to drop once a barrier completes
}

type cellsKey struct{}

// cellOf returns the shared state of site i of prog.
func cellOf(prog *jit.Program, i int) *cell {
	cells := prog.Extension(cellsKey{}, func() any {
		sites := prog.Jasm().Sites
		cs := make([]cell, len(sites))
		for j, js := range sites {
			if js.Kind == jasm.SiteGuard {
				continue // disarmed: state 0 (its Init is its label's instruction, not a state)
			}
			cs[j].state.Store(js.Init)
			if js.Kind == jasm.SiteCall {
				cs[j].target.Store(prog.FuncAt(int(js.Init)))
			}
		}
		return cs
	}).([]cell)
	return &cells[i]
}

// New returns a patcher for rt's programs.
func New(rt *jit.Runtime, opts Options) (*Patcher, error) {
	if err := jit.Supported(); err != nil {
		return nil, fmt.Errorf("patch: %w", err)
	}
	if rt == nil {
		return nil, errors.New("patch: New needs a jit.Runtime")
	}
	info := rt.Info()
	var b Barrier
	var why string
	switch {
	case opts.Strategy != nil && opts.Barrier != "":
		return nil, fmt.Errorf("%w: both Options.Barrier (%q) and Options.Strategy (%s) are set", ErrBarrier, opts.Barrier, opts.Strategy.Name())
	case opts.Strategy != nil:
		b, why = opts.Strategy, "chosen in Options.Strategy"
		if !b.Serialising() {
			why += " (not core-serialising: other threads may run stale instructions after a patch)"
		}
	default:
		var err error
		if b, why, err = chooseBarrier(opts.Barrier, info.SyncCore, nil); err != nil {
			return nil, err
		}
	}
	isa, err := isaBytesFor(info.Arch)
	if err != nil {
		return nil, err
	}
	if opts.UnsafePause <= 0 {
		opts.UnsafePause = 20 * time.Microsecond
	}
	return &Patcher{rt: rt, isa: isa, barrier: b, reason: why, proto: opts.Protocol, pause: opts.UnsafePause}, nil
}

// Barrier returns the active barrier strategy.
func (p *Patcher) Barrier() Barrier { return p.barrier }

// Handshake returns the active barrier when it is the cooperative
// handshake (Options.Barrier "handshake", or a *Handshake in
// Options.Strategy), else nil. Every thread that runs the patched code must
// Join it, from a goroutine locked to its OS thread (runtime.LockOSThread),
// and call Safepoint between calls.
func (p *Patcher) Handshake() *Handshake {
	h, _ := p.barrier.(*Handshake)
	return h
}

// Reason says why the active strategy was chosen (and what failed before it).
func (p *Patcher) Reason() string { return p.reason }

// Barriers returns how many barriers the patcher has issued.
func (p *Patcher) Barriers() uint64 { return p.batches.Load() }

// Site is one patchable site of a loaded program.
type Site struct {
	p     *Patcher
	prog  *jit.Program
	index int
	js    jasm.Site
	code  jit.SiteCode
	proto Protocol
	cell  *cell // shared by every handle of this location
}

// Site returns the site called name in prog.
func (p *Patcher) Site(prog *jit.Program, name string) (*Site, error) {
	i, ok := prog.Jasm().Site(name)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoSite, name)
	}
	return p.SiteAt(prog, i)
}

// SiteAt returns site i (index in prog.Jasm().Sites).
func (p *Patcher) SiteAt(prog *jit.Program, i int) (*Site, error) {
	sites := prog.Jasm().Sites
	if i < 0 || i >= len(sites) {
		return nil, fmt.Errorf("%w: index %d (program has %d)", ErrNoSite, i, len(sites))
	}
	if prog.Runtime() != p.rt {
		return nil, fmt.Errorf("patch: site %s: the program belongs to another runtime", sites[i].Name)
	}
	s := &Site{p: p, prog: prog, index: i, js: sites[i], code: prog.Code().Sites[i], cell: cellOf(prog, i)}
	proto, err := p.protocolFor(s)
	if err != nil {
		return nil, err
	}
	s.proto = proto
	return s, nil
}

// Name returns the site's name.
func (s *Site) Name() string { return s.js.Name }

// Kind returns the site's kind.
func (s *Site) Kind() jasm.SiteKind { return s.js.Kind }

// Protocol returns the protocol that patches the site.
func (s *Site) Protocol() Protocol { return s.proto }

// Code returns the machine-level site (offsets within the program's blob);
// Present is false for a site in unreachable code.
func (s *Site) Code() jit.SiteCode { return s.code }

// Value returns the site's state after the last change that completed: the
// pconst value, the pcall callee's function index (in the callee's
// program), or 1 for an armed guard and 0 for a disarmed one. Every handle
// for the same site reports the same state.
func (s *Site) Value() int64 { return s.cell.state.Load() }

// Target returns the function a pcall site calls (nil for other kinds).
func (s *Site) Target() *jit.Func { return s.cell.target.Load() }

// Program returns the program the site belongs to.
func (s *Site) Program() *jit.Program { return s.prog }

// Parked reports whether a multi-phase change of the site stopped at a
// failed barrier: threads that reach it wait at its park (a polling stub,
// or a guard's label) until a later change completes. It is one atomic
// load: it does not wait for a commit in progress (whose barrier may be
// waiting for the caller, a handshake participant), and reports the state
// that the last finished commit left.
func (s *Site) Parked() bool { return s.cell.parked.Load() }

// SetConst changes a pconst site to v; see the package doc for what holds
// when it returns.
func (s *Site) SetConst(v int64) error { return s.change(op{s: s, kind: opConst, arg: v, state: v}) }

// Retarget makes a pcall site call function fn (an index in the site's
// program, with the arity of the site's call).
func (s *Site) Retarget(fn int) error {
	if err := s.prog.Jasm().CanRetarget(s.index, fn); err != nil {
		return fmt.Errorf("%w: %w", ErrOtherTarget, err)
	}
	return s.change(op{s: s, kind: opCall, fn: s.prog.FuncAt(fn), state: int64(fn)})
}

// RetargetFunc makes a pcall site call f, which may belong to another
// program of the same runtime (the tiering pattern: compile tier 2,
// retarget the live call site to it, close tier 1). While the site calls
// into another program, that program cannot be closed (jit.ErrInUse);
// the reference moves with the next retarget, after its barrier, so once
// RetargetFunc returns no new call reaches the old callee through this
// site, and closing the old callee's program waits for the calls already
// inside it.
func (s *Site) RetargetFunc(f *jit.Func) error {
	if err := s.canCall(f); err != nil {
		return err
	}
	return s.change(op{s: s, kind: opCall, fn: f, state: int64(f.Index())})
}

// Arm makes a guard site jump to its label.
func (s *Site) Arm() error { return s.change(op{s: s, kind: opGuard, arg: 1, state: 1}) }

// Disarm makes a guard site fall through again.
func (s *Site) Disarm() error { return s.change(op{s: s, kind: opGuard, arg: 0, state: 0}) }

// change applies one op: a batch of one, without the Batch.
func (s *Site) change(o op) error {
	if err := s.p.check(o.s, o.kind); err != nil {
		return err
	}
	ops := [1]op{o}
	return s.p.commit(ops[:])
}

// NaturalProtocol returns the protocol that a site's guarantee calls for
// (Auto when none can patch it): DataSlot for a data slot, SelfLoop for a
// multi-word site, PatchClass for a word of the ISA's concurrently
// modifiable set (a Power patch-class word on ppc64le, a B2.2.5 word on
// arm64: codegen.PatchClass), AtomicSlot for bytes inside one aligned
// qword (amd64).
func NaturalProtocol(c codegen.Site) Protocol {
	g := c.Guarantee
	switch {
	case c.Kind == codegen.SiteData:
		return DataSlot
	case g&codegen.MultiWord != 0:
		return SelfLoop
	case g&codegen.PatchClass != 0:
		return PatchClass
	case g&codegen.InAlignedQword != 0:
		return AtomicSlot
	}
	return Auto
}

// protocolFor checks the patcher's forced protocol against the site's
// guarantee, or picks the protocol the guarantee calls for.
func (p *Patcher) protocolFor(s *Site) (Protocol, error) {
	if !s.code.Present {
		return Auto, nil // nothing to write
	}
	g := s.code.Site.Guarantee
	natural := NaturalProtocol(s.code.Site)
	allowed := map[Protocol]bool{Unsafe: true, natural: true}
	switch natural {
	case SelfLoop:
		if s.code.Site.Kind == codegen.SiteBranch {
			// A call site claiming MultiWord (an assembled blob's): its
			// park would jump to the callee, a tail call that returns
			// past the caller (see parkHead), and a multi-phase change
			// of a call could leave it parked with a callee referenced.
			return 0, fmt.Errorf("%w: call site %s claims %v: no protocol can patch a call wider than a qword", ErrProtocol, s.js.Name, g)
		}
		if !p.isa.selfLoop() {
			return 0, fmt.Errorf("%w: site %s claims %v: %s has no multi-word protocol", ErrProtocol, s.js.Name, g, p.rt.Info().Arch)
		}
		allowed[Straddle] = true
	case DataSlot:
		allowed[Straddle] = true
	case PatchClass:
		allowed[AtomicSlot] = true
	case AtomicSlot:
		// The self-loop protocol may only park threads where they can
		// still reach a poll point (see parkHead): a guard jumps to its
		// label. A call slot has no such place, and a thread spinning on
		// jmp $-2 while the patching goroutine is stopped for a GC would
		// deadlock the process. The park is a 5-byte jmp: a 2-byte guard
		// has no room for it.
		if s.code.Site.Kind == codegen.SiteGuard && s.code.Site.Size >= 5 && p.isa.selfLoop() {
			allowed[SelfLoop] = true
		}
	default:
		return 0, fmt.Errorf("%w: site %s has guarantee %v, which no protocol can patch", ErrProtocol, s.js.Name, g)
	}
	want := p.proto
	if want == Auto {
		return natural, nil
	}
	if !allowed[want] {
		return 0, fmt.Errorf("%w: %s on %s site %s (%v): use %v", ErrProtocol, want, s.js.Kind, s.js.Name, g, natural)
	}
	if want == AtomicSlot && natural == PatchClass {
		return PatchClass, nil
	}
	return want, nil
}

// canCall checks that pcall site s may call f.
func (s *Site) canCall(f *jit.Func) error {
	if f == nil {
		return fmt.Errorf("%w: retarget site %s to nil", ErrOtherTarget, s.js.Name)
	}
	if f.Program() == s.prog {
		if err := s.prog.Jasm().CanRetarget(s.index, f.Index()); err != nil {
			return fmt.Errorf("%w: %w", ErrOtherTarget, err)
		}
		return nil
	}
	if s.js.Kind != jasm.SiteCall {
		return fmt.Errorf("%w: %s site %s", ErrSiteKind, s.js.Kind, s.js.Name)
	}
	if f.Program().Runtime() != s.prog.Runtime() {
		return fmt.Errorf("%w: site %s: %s belongs to another runtime", ErrOtherTarget, s.js.Name, f.Name())
	}
	if want := s.prog.FuncAt(int(s.js.Init)).Params(); f.Params() != want {
		return fmt.Errorf("%w: site %s calls with %d arguments, %s takes %d", ErrOtherTarget, s.js.Name, want, f.Name(), f.Params())
	}
	if s.p.isa.entryData() {
		// Code addresses its data slots from the caller's entry program
		// (ppc64le: callCtx.base, the entry program's blob).
		for _, c := range f.Program().Code().Sites {
			if c.Present && c.Site.Kind == dataKind {
				return fmt.Errorf("%w: site %s: %s's program has data slots, which %s code addresses from the entry program", ErrOtherTarget, s.js.Name, f.Name(), s.p.rt.Info().Arch)
			}
		}
	}
	return nil
}

// opKind is what a batch entry does to its site.
type opKind uint8

const (
	opConst opKind = iota
	opCall
	opGuard
)

// op is one change in a batch.
type op struct {
	s     *Site
	kind  opKind
	arg   int64     // the constant, or 1 to arm
	fn    *jit.Func // opCall: the callee
	state int64
	skip  bool         // replaced by a later op on the same site
	ref   *jit.Program // opCall into another program: the reference taken
	head  [8]byte      // SelfLoop: the final head bytes
	prev  [8]byte      // SelfLoop: the head bytes before the commit
	hlen  int          // of head and prev
}

// Batch collects changes that Commit applies together: each protocol phase
// of every site is written, then one barrier serves them all, so n sites
// cost max(phases) barriers instead of n × phases (Linux's batched static
// keys: 168 → 3 IPIs). The first mistake is kept and returned by Commit;
// nothing is written then. A Batch is used by one goroutine.
type Batch struct {
	p     *Patcher
	ops   []op
	small [4]op // ops' first storage: a batch of a few sites allocates nothing more
	err   error
}

// Batch starts a batch.
func (p *Patcher) Batch() *Batch {
	b := &Batch{p: p}
	b.ops = b.small[:0]
	return b
}

// Reset empties the batch for reuse, keeping its storage: a patcher that
// commits batches in a loop allocates nothing once they have grown.
func (b *Batch) Reset() {
	clear(b.ops)
	b.ops, b.err = b.ops[:0], nil
}

// Err returns the first mistake made building the batch (Commit returns
// it), or nil.
func (b *Batch) Err() error { return b.err }

// Len is the number of changes in the batch.
func (b *Batch) Len() int { return len(b.ops) }

func (b *Batch) fail(err error) *Batch {
	if b.err == nil {
		b.err = err
	}
	return b
}

// check reports whether op kind fits site s of this patcher.
func (p *Patcher) check(s *Site, kind opKind) error {
	if s.prog.Closed() {
		return fmt.Errorf("patch: site %s: %w", s.js.Name, jit.ErrClosed)
	}
	if s.p != p {
		return fmt.Errorf("patch: site %s belongs to another patcher", s.js.Name)
	}
	want := [...]jasm.SiteKind{opConst: jasm.SiteConst, opCall: jasm.SiteCall, opGuard: jasm.SiteGuard}[kind]
	if s.js.Kind != want {
		return fmt.Errorf("%w: %s site %s", ErrSiteKind, s.js.Kind, s.js.Name)
	}
	return nil
}

func (b *Batch) add(o op) *Batch {
	if b.err != nil {
		return b
	}
	if err := b.p.check(o.s, o.kind); err != nil {
		return b.fail(err)
	}
	b.ops = append(b.ops, o)
	return b
}

// SetConst adds "pconst site s becomes v".
func (b *Batch) SetConst(s *Site, v int64) *Batch {
	return b.add(op{s: s, kind: opConst, arg: v, state: v})
}

// Retarget adds "pcall site s calls function fn".
func (b *Batch) Retarget(s *Site, fn int) *Batch {
	if err := s.prog.Jasm().CanRetarget(s.index, fn); err != nil {
		return b.fail(fmt.Errorf("%w: %w", ErrOtherTarget, err))
	}
	return b.add(op{s: s, kind: opCall, fn: s.prog.FuncAt(fn), state: int64(fn)})
}

// RetargetFunc adds "pcall site s calls f" (see Site.RetargetFunc).
func (b *Batch) RetargetFunc(s *Site, f *jit.Func) *Batch {
	if err := s.canCall(f); err != nil {
		return b.fail(err)
	}
	return b.add(op{s: s, kind: opCall, fn: f, state: int64(f.Index())})
}

// Arm adds "guard site s jumps to its label".
func (b *Batch) Arm(s *Site) *Batch { return b.add(op{s: s, kind: opGuard, arg: 1, state: 1}) }

// Disarm adds "guard site s falls through".
func (b *Batch) Disarm(s *Site) *Batch { return b.add(op{s: s, kind: opGuard, arg: 0, state: 0}) }

// newBytes appends to dst the site's new bytes for [Change,
// Change+ChangeLen) after op o. Commit calls it under the runtime's writer
// lock, since it may read the site's current bytes (another Commit may be
// changing them).
func (o *op) newBytes(dst []byte) ([]byte, error) {
	s := o.s
	switch o.kind {
	case opConst:
		return s.constBytes(dst, o.arg)
	case opCall:
		return s.callBytes(dst, o.fn.Addr())
	default:
		return s.guardBytes(dst, o.arg == 1)
	}
}

// Commit writes every change and issues the barriers. When it returns nil,
// the contract in the package doc holds for every site of the batch.
func (b *Batch) Commit() error {
	if b.err != nil {
		return b.err
	}
	return b.p.commit(b.ops)
}

// ErrBarrierFailed: a barrier of a commit failed; the commit stopped there.
// A site of the batch whose last phase was followed by a barrier that
// completed is changed, as after a commit that returned nil (a callee it
// called before is released). A site whose last phase was followed by the
// failed barrier holds its new bytes, but other threads may not have caught
// up (its old callee stays referenced until the site's next change
// completes). A multi-phase site whose last phase was not written stays
// parked (Site.Parked), which is safe: a thread that reaches one waits at a
// polling stub or takes the guard's jump, and the next change of the site
// completes it.
var ErrBarrierFailed = errors.New("patch: barrier failed")

// commit writes ops phase by phase with a barrier after each, holding the
// runtime's writer lock.
func (p *Patcher) commit(ops []op) error {
	p.rt.LockWrites()
	defer p.rt.UnlockWrites()
	// A program closed before we took the lock may have been reclaimed
	// and its block reused: nothing of this commit may be written. One
	// closed after it cannot be reclaimed before we let go.
	for i := range ops {
		if ops[i].s.prog.Closed() {
			return fmt.Errorf("patch: site %s: %w", ops[i].s.js.Name, jit.ErrClosed)
		}
	}
	// A later change of the same site location (whichever handle names it)
	// replaces an earlier one: two multi-phase changes of one site in one
	// batch would expose the first one's head with the second one's tail.
	gen := commitGen.Add(1)
	for i := range ops {
		c := ops[i].s.cell
		if c.mark == gen {
			ops[c.pos].skip = true
		}
		c.mark, c.pos = gen, i
	}
	// Calls into other programs hold a reference on them, so that they
	// cannot be closed while this code may call them.
	for i := range ops {
		o := &ops[i]
		o.ref = nil
		if o.skip || o.kind != opCall || !o.s.code.Present || o.fn.Program() == o.s.prog {
			continue
		}
		if err := o.s.prog.AddRef(o.fn.Program()); err != nil {
			dropRefs(ops[:i])
			return fmt.Errorf("patch: site %s: %w", o.s.js.Name, err)
		}
		o.ref = o.fn.Program()
	}
	// The stores go into the patcher's scratch space (guarded by the
	// writer lock), which keeps its capacity from one commit to the next.
	phases := p.scratch
	for i := range phases {
		phases[i] = phases[i][:0]
	}
	if cap(phases[0]) < len(ops) {
		phases[0] = make([]store, 0, len(ops)) // one store per site, for all but Unsafe
	}
	var buf [16]byte
	for i := range ops {
		o := &ops[i]
		if o.skip || !o.s.code.Present {
			continue
		}
		nb, err := o.newBytes(buf[:0])
		if err != nil {
			dropRefs(ops)
			return fmt.Errorf("patch: site %s: %w", o.s.js.Name, err) // nothing written yet
		}
		if len(nb) != o.s.code.Site.ChangeLen {
			panic(fmt.Sprintf("BUG: %d new bytes for a site that changes %d", len(nb), o.s.code.Site.ChangeLen))
		}
		phases = o.plan(phases, nb)
	}
	// Each phase is written, then one barrier serves every site. A phase
	// with no stores (a protocol with fewer phases, a self-loop site whose
	// tail is empty) is skipped, not the end. A failed barrier ends the
	// commit: writing the next phase would expose what the barrier was to
	// keep from view (a torn immediate behind a parked head).
	failed := -1
	var berr error
	for k, ph := range phases {
		if len(ph) == 0 {
			continue
		}
		for _, st := range ph {
			st.apply(p.pause)
		}
		p.batches.Add(1)
		if err := p.barrier.Sync(); err != nil {
			failed = k
			berr = fmt.Errorf("%w: %s after phase %d: %w", ErrBarrierFailed, p.barrier.Name(), k+1, err)
			break
		}
	}
	// An op is complete when the barrier after its last phase returned:
	// every thread has caught up with all of its bytes, whatever a later
	// barrier of the batch did.
	for i := range ops {
		o := &ops[i]
		if o.skip {
			continue
		}
		c := o.s.cell
		last := o.lastPhase()
		if failed >= 0 && failed < last {
			// Parked: the head that belongs there is kept for the next
			// change, which must not take the park for the site's bytes.
			// Until the tail is written (the first barrier failed) that is
			// the head from before the commit; once it is, the new one.
			c.head, c.hlen = o.head, o.hlen
			if failed == 0 {
				c.head = o.prev
			}
			c.parked.Store(true)
			if o.ref != nil {
				// protocolFor gives call sites one-phase protocols only.
				panic(fmt.Sprintf("BUG: call site %s parked by a multi-phase protocol", o.s.js.Name))
			}
			continue
		}
		c.parked.Store(false)
		c.state.Store(o.state)
		if o.kind == opCall {
			c.target.Store(o.fn)
		}
		old := c.ref
		c.ref = o.ref
		if failed >= 0 && failed == last {
			// The barrier after the op's last phase failed: threads may
			// still run the old bytes, so the old callee keeps its
			// reference for now.
			if old != nil {
				c.drop = append(c.drop, old)
			}
			continue
		}
		if old != nil {
			o.s.prog.DropRef(old)
		}
		for _, q := range c.drop {
			o.s.prog.DropRef(q)
		}
		c.drop = c.drop[:0]
	}
	for i := range phases {
		clear(phases[i]) // do not keep sites alive
	}
	p.scratch = phases
	return berr
}

// lastPhase is the index of the last phase in which op o writes (a barrier
// follows each), or -1 when it writes nothing (a site in unreachable code).
func (o *op) lastPhase() int {
	switch {
	case !o.s.code.Present:
		return -1
	case o.s.proto == SelfLoop:
		return maxPhases - 1 // plan writes the final head in the last phase
	}
	return 0
}

// dropRefs undoes the references ops took before anything was written.
func dropRefs(ops []op) {
	for i := range ops {
		if ops[i].ref != nil {
			ops[i].s.prog.DropRef(ops[i].ref)
			ops[i].ref = nil
		}
	}
}

// bytes appends to dst the site's bytes [Offset, Offset+Size) as they
// belong: through the RW view, with the head that belongs there in place of
// a park left by a failed barrier. Called under the writer lock.
func (s *Site) bytes(dst []byte) []byte {
	c := s.code.Site
	dst = append(dst, s.prog.Block().RW[c.Offset:c.Offset+c.Size]...)
	if s.cell.parked.Load() {
		copy(dst[len(dst)-c.Size:], s.cell.head[:s.cell.hlen])
	}
	return dst
}

// current appends to dst the bytes of the site that a change replaces,
// [Change, Change+ChangeLen), as they belong.
func (s *Site) current(dst []byte) []byte {
	c := s.code.Site
	var b [16]byte
	return append(dst, s.bytes(b[:0])[c.Change:c.Change+c.ChangeLen]...)
}

// rx is the executable address of blob offset off.
func (s *Site) rx(off int) uint64 { return uint64(s.prog.Block().Addr(off)) }

func (s *Site) targetRX() (uint64, error) {
	off := s.prog.Code().Blob.Offset(s.code.Site.Target)
	if off < 0 {
		return 0, fmt.Errorf("site has no target label")
	}
	return s.rx(off), nil
}
