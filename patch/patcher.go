package patch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
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
	// one atomic 8-byte store replaces them (amd64; Intel SDM Vol. 3
	// §8.1.1). On ppc64le it means PatchClass.
	AtomicSlot
	// SelfLoop: HotSpot's protocol for sites wider than a qword (amd64):
	// park the head, barrier, write the tail, barrier, write the head,
	// barrier.
	SelfLoop
	// DataSlot: change an aligned 8-byte data word that the code loads;
	// no instruction changes.
	DataSlot
	// PatchClass: one aligned 4-byte store of a patch-class instruction
	// (b, bl, nop), then dcbst; sync; icbi; sync; isync (ppc64le; Power
	// ISA Book II CMODX).
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
	// Protocol forces a protocol on every site (for the stress harness
	// and its negative controls); Auto picks per site.
	Protocol Protocol
	// UnsafePause is the pause between the bytes of the Unsafe protocol
	// (default 20µs).
	UnsafePause time.Duration
}

// Patcher changes the sites of programs loaded in one jit.Runtime.
// Patches are serialised per Patcher (one writer at a time: sites may
// share a qword, and the protocols read-modify-write aligned words); reading
// a site's state is one atomic load. It is safe for concurrent use.
type Patcher struct {
	rt      *jit.Runtime
	arch    jit.Arch
	barrier Barrier
	reason  string
	proto   Protocol
	pause   time.Duration
	mu      sync.Mutex
	gen     uint64             // commits so far (guarded by mu)
	scratch [maxPhases][]store // stores of the commit in progress (guarded by mu)
	batches atomic.Uint64      // barriers issued, for reports
}

// New returns a patcher for rt's programs.
func New(rt *jit.Runtime, opts Options) (*Patcher, error) {
	if rt == nil {
		return nil, errors.New("patch: New needs a jit.Runtime")
	}
	info := rt.Info()
	b, why, err := chooseBarrier(opts.Barrier, info.SyncCore, nil)
	if err != nil {
		return nil, err
	}
	if opts.UnsafePause <= 0 {
		opts.UnsafePause = 20 * time.Microsecond
	}
	return &Patcher{rt: rt, arch: info.Arch, barrier: b, reason: why, proto: opts.Protocol, pause: opts.UnsafePause}, nil
}

// Barrier returns the active barrier strategy.
func (p *Patcher) Barrier() Barrier { return p.barrier }

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
	state atomic.Int64 // pconst: value; pcall: callee index; guard: 1 armed
	// mark and pos find an earlier op on this site in the commit that
	// Patcher.gen numbers (guarded by Patcher.mu).
	mark uint64
	pos  int
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
	s := &Site{p: p, prog: prog, index: i, js: sites[i], code: prog.Code().Sites[i]}
	s.state.Store(s.js.Init)
	if s.js.Kind == jasm.SiteGuard {
		s.state.Store(0)
	}
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

// Value returns the site's current state: the pconst value, the pcall
// callee's function index, or 1 for an armed guard and 0 for a disarmed one.
func (s *Site) Value() int64 { return s.state.Load() }

// SetConst changes a pconst site to v; see the package doc for what holds
// when it returns.
func (s *Site) SetConst(v int64) error { return s.change(op{s: s, kind: opConst, arg: v, state: v}) }

// Retarget makes a pcall site call function fn (an index in the site's
// program, with the arity of the site's call).
func (s *Site) Retarget(fn int) error {
	if err := s.prog.Jasm().CanRetarget(s.index, fn); err != nil {
		return fmt.Errorf("%w: %w", ErrOtherTarget, err)
	}
	return s.change(op{s: s, kind: opCall, arg: int64(fn), state: int64(fn)})
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
// multi-word site, PatchClass for a Power patch-class word, AtomicSlot for
// bytes inside one aligned qword.
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
	case DataSlot, SelfLoop:
		allowed[Straddle] = true
	case PatchClass:
		allowed[AtomicSlot] = true
	case AtomicSlot:
		// The self-loop protocol may only park threads where they can
		// still reach a poll point (see parkHead): a guard jumps to its
		// label. A call slot has no such place, and a thread spinning on
		// jmp $-2 while the patching goroutine is stopped for a GC would
		// deadlock the process.
		if s.code.Site.Kind == codegen.SiteGuard {
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
	arg   int64 // the constant, the callee's function index, or 1 to arm
	state int64
	skip  bool // replaced by a later op on the same site
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

func (b *Batch) add(s *Site, kind opKind, arg, state int64) *Batch {
	if b.err != nil {
		return b
	}
	if err := b.p.check(s, kind); err != nil {
		return b.fail(err)
	}
	b.ops = append(b.ops, op{s: s, kind: kind, arg: arg, state: state})
	return b
}

// SetConst adds "pconst site s becomes v".
func (b *Batch) SetConst(s *Site, v int64) *Batch { return b.add(s, opConst, v, v) }

// Retarget adds "pcall site s calls function fn".
func (b *Batch) Retarget(s *Site, fn int) *Batch {
	if err := s.prog.Jasm().CanRetarget(s.index, fn); err != nil {
		return b.fail(fmt.Errorf("%w: %w", ErrOtherTarget, err))
	}
	return b.add(s, opCall, int64(fn), int64(fn))
}

// Arm adds "guard site s jumps to its label".
func (b *Batch) Arm(s *Site) *Batch { return b.add(s, opGuard, 1, 1) }

// Disarm adds "guard site s falls through".
func (b *Batch) Disarm(s *Site) *Batch { return b.add(s, opGuard, 0, 0) }

// newBytes appends to dst the site's new bytes for [Change,
// Change+ChangeLen) after op o. Commit calls it under the patcher's lock,
// since it may read the site's current bytes (another Commit may be
// changing them).
func (o *op) newBytes(dst []byte) ([]byte, error) {
	s := o.s
	switch o.kind {
	case opConst:
		return s.constBytes(dst, o.arg)
	case opCall:
		return s.callBytes(dst, s.prog.FuncAt(int(o.arg)).Addr())
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

// commit writes ops phase by phase with a barrier after each.
func (p *Patcher) commit(ops []op) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	// A later change of the same site replaces an earlier one: two
	// multi-phase changes of one site in one batch would expose the first
	// one's head with the second one's tail. Sites are marked with this
	// commit's generation (guarded by p.mu).
	p.gen++
	for i := range ops {
		o := &ops[i]
		if o.s.mark == p.gen {
			ops[o.s.pos].skip = true
		}
		o.s.mark, o.s.pos = p.gen, i
	}
	// The stores go into the patcher's scratch space (guarded by p.mu),
	// which keeps its capacity from one commit to the next.
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
			return fmt.Errorf("patch: site %s: %w", o.s.js.Name, err) // nothing written yet
		}
		if len(nb) != o.s.code.Site.ChangeLen {
			panic(fmt.Sprintf("BUG: %d new bytes for a site that changes %d", len(nb), o.s.code.Site.ChangeLen))
		}
		phases = o.s.plan(phases, nb)
	}
	// A failed barrier does not stop the protocol half way: every phase is
	// written, so no site stays parked and the code is the new code; the
	// error says that other threads may not have caught up yet.
	var berr error
	for _, ph := range phases {
		if len(ph) == 0 {
			break // phases fill from the first
		}
		for _, st := range ph {
			st.apply(p.pause)
		}
		if err := p.barrier.Sync(); err != nil && berr == nil {
			berr = fmt.Errorf("patch: barrier %s: %w", p.barrier.Name(), err)
		}
		p.batches.Add(1)
	}
	for i := range ops {
		if !ops[i].skip {
			ops[i].s.state.Store(ops[i].state)
		}
	}
	for i := range phases {
		clear(phases[i]) // do not keep sites alive
	}
	p.scratch = phases
	return berr
}

// Bytes of a site, through the RW view.
func (s *Site) current() []byte {
	blk := s.prog.Block()
	o := s.code.Site.Offset + s.code.Site.Change
	return blk.RW[o : o+s.code.Site.ChangeLen]
}

// rx is the executable address of blob offset off.
func (s *Site) rx(off int) uint64 { return uint64(s.prog.Block().Addr(off)) }

func (s *Site) constBytes(dst []byte, v int64) ([]byte, error) {
	c := s.code.Site
	switch {
	case c.Kind == codegen.SiteData:
		return binary.LittleEndian.AppendUint64(dst, uint64(v)), nil
	case s.p.arch == jit.ArchAMD64 && c.Guarantee&codegen.MultiWord != 0 && c.ChangeLen == 10:
		cur := s.current() // movabs: keep REX.W and B8+r
		return binary.LittleEndian.AppendUint64(append(dst, cur[0], cur[1]), uint64(v)), nil
	}
	return nil, fmt.Errorf("%w: no constant encoding for a %v site", ErrSiteKind, c.Kind)
}

func (s *Site) targetRX() (uint64, error) {
	off := s.prog.Code().Blob.Offset(s.code.Site.Target)
	if off < 0 {
		return 0, fmt.Errorf("site has no target label")
	}
	return s.rx(off), nil
}
