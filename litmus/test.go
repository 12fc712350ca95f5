package litmus

import (
	"fmt"
	"strconv"
)

// Pos is a position in a litmus file: line and column (of the byte, 1-based).
type Pos struct {
	File string
	Line int
	Col  int
}

// IsValid reports whether the position is known.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String returns "file:line:col" (or "line:col" without a file name).
func (p Pos) String() string {
	s := strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
	if p.File != "" {
		s = p.File + ":" + s
	}
	return s
}

// Test is one parsed litmus test: patch sites and data words in their
// initial state, threads of operations, a final condition and what each
// ISA's rules say about it.
type Test struct {
	Name    string         // after "litmus"
	File    string         // the name it was parsed from
	Doc     []string       // "doc" lines, in order
	Sites   []*Site        // in declaration order
	Data    []*Data        // in declaration order
	Threads []*Thread      // thread i is Threads[i]
	Exists  *Expr          // the final condition ("exists")
	Expect  []*Expectation // at most one per ISA, in file order
	Pos     Pos            // of the "litmus" line
}

// Shape is the code a site is assembled as (per ISA: see docs/litmus.md and
// asm.go). Every version of a site is a tiny function that returns a value
// identifying the version.
type Shape int

const (
	// ShapeImm: the value is an immediate in the one instruction that
	// loads it (amd64 mov rax, imm32; ppc64le li r3; arm64 movz x0). Not a
	// patch-class instruction on ppc64le or arm64.
	ShapeImm Shape = iota + 1
	// ShapeWide: a multi-byte immediate (amd64 movabs rax, imm64) or a
	// two-instruction load (ppc64le lis/ori, arm64 movz/movk).
	ShapeWide
	// ShapeBranch: a jump to the version's body (amd64 jmp rel32, ppc64le
	// b, arm64 b): patch class on ppc64le and arm64.
	ShapeBranch
	// ShapeCall: a call of the version's body in the form syncore's call
	// sites take (amd64 nop3 + call rel32 in one aligned qword, ppc64le bl,
	// arm64 bl).
	ShapeCall
	// ShapeGuard: two versions: the first is a nop that falls through to
	// the first body, the second a jump to the second body (amd64 5-byte
	// nop / jmp rel32, ppc64le and arm64 nop / b).
	ShapeGuard
	// ShapeSlot: the value is an aligned 8-byte data word in the code's
	// blob, loaded PC-relative: writing a version changes data, not
	// instructions (syncore's DataSlot).
	ShapeSlot
)

var shapeNames = map[Shape]string{ShapeImm: "imm", ShapeWide: "wide", ShapeBranch: "branch",
	ShapeCall: "call", ShapeGuard: "guard", ShapeSlot: "slot"}

// String returns the shape's name in the format (imm, wide, …).
func (s Shape) String() string {
	if n, ok := shapeNames[s]; ok {
		return n
	}
	return fmt.Sprintf("Shape(%d)", int(s))
}

// Limits of a test, enforced by the parser (ErrSyntax).
const (
	// MaxVersions is the most versions a site may have.
	MaxVersions = 8
	// MaxThreads is the most threads a test may have: each runs on an OS
	// thread (and a CPU) of its own.
	MaxThreads = 16
	// MaxSites is the most sites a test may declare: each is a program of
	// its own in the code heap.
	MaxSites = 16
)

// Site is a patch site: a tiny function with named versions, of which one
// is in memory at a time.
type Site struct {
	Name     string
	Shape    Shape
	Versions []string // 2..MaxVersions names, distinct
	Init     int      // index in Versions of the initial version
	At       int      // offset of the site's entry in its 64-byte-aligned blob; -1: the shape's default
	Pos      Pos
}

// Version returns the index of the version called name, or -1.
func (s *Site) Version(name string) int {
	for i, v := range s.Versions {
		if v == name {
			return i
		}
	}
	return -1
}

// Data is a data word (8 bytes, aligned, on a cache line of its own).
type Data struct {
	Name string
	Init int64
	Pos  Pos
}

// Thread is one thread's operations, run in order each iteration.
type Thread struct {
	ID  int
	Ops []*Op
	Pos Pos
}

// OpKind says what an operation does.
type OpKind int

const (
	// OpWrite stores a site's version (Site, Version) with Mode through Via.
	OpWrite OpKind = iota + 1
	// OpStore stores Value into data word Data (release order: the
	// thread's earlier stores, code included, are visible first).
	OpStore
	// OpLoad loads data word Data into register Reg (acquire order, not
	// context-synchronising).
	OpLoad
	// OpExec calls Site and records in Reg which version ran ("torn" for
	// a value no version returns).
	OpExec
	// OpSerialise executes a serialising instruction on this thread: cpuid
	// (amd64), isync (ppc64le), isb (arm64).
	OpSerialise
	// OpMembarrier issues membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE).
	OpMembarrier
	// OpSyncICache runs the writer's cache maintenance over Site's changed
	// bytes (jit.SyncICache: dcbst/sync/icbi/sync/isync on ppc64le,
	// DC CVAU/DSB/IC IVAU/DSB/ISB on arm64, nothing on amd64).
	OpSyncICache
)

var opNames = map[OpKind]string{OpWrite: "write", OpStore: "store", OpLoad: "load", OpExec: "exec",
	OpSerialise: "serialise", OpMembarrier: "membarrier", OpSyncICache: "sync_icache"}

// String returns the operation's verb in the format.
func (k OpKind) String() string {
	if n, ok := opNames[k]; ok {
		return n
	}
	return fmt.Sprintf("OpKind(%d)", int(k))
}

// WriteMode is how a write stores a site's changed bytes.
type WriteMode int

const (
	// Atomic: one aligned store that covers every changed byte: 8 bytes on
	// amd64; on ppc64le and arm64 4 bytes when the changed bytes lie in one
	// aligned word, else 8.
	Atomic WriteMode = iota + 1
	// Bytewise: one 1-byte store per changed byte, lowest address first.
	Bytewise
	// Straddle: the changed bytes cross an 8-byte boundary and are stored
	// with one aligned 8-byte store per qword they touch, lowest first.
	Straddle
	// Park, Tail and Head are the three phases of the self-loop protocol
	// (syncore's amd64 SelfLoop, HotSpot's replace_mt_safe): Park stores,
	// with one aligned store, a jump to the site's park stub over the
	// head (the first bytes of the site's entry instruction: 5 on amd64,
	// one instruction word on ppc64le and arm64); the stub jumps back to
	// the entry, so a thread that arrives spins until the head changes.
	// Tail stores the version's changed bytes behind the head (aligned
	// stores, masked: none when every changed byte lies in the head).
	// Head stores the version's head bytes with one aligned store, which
	// releases the parked threads. The version of a Park write is not
	// used. A thread that parks a site must write its head later.
	Park
	Tail
	Head
)

var modeNames = map[WriteMode]string{Atomic: "atomic", Bytewise: "bytewise", Straddle: "straddle",
	Park: "park", Tail: "tail", Head: "head"}

// String returns the mode's name in the format.
func (m WriteMode) String() string {
	if n, ok := modeNames[m]; ok {
		return n
	}
	return fmt.Sprintf("WriteMode(%d)", int(m))
}

// View is the mapping a write goes through.
type View int

const (
	// RW: the heap's writable view (the alias of a dual-mapped heap; the
	// executable mapping itself on an RWX heap).
	RW View = iota + 1
	// Same: the executable mapping the threads run, which must then be
	// writable: only on an RWX heap.
	Same
)

var viewNames = map[View]string{RW: "rw", Same: "same"}

// String returns the view's name in the format.
func (v View) String() string {
	if n, ok := viewNames[v]; ok {
		return n
	}
	return fmt.Sprintf("View(%d)", int(v))
}

// Op is one operation of a thread.
type Op struct {
	Kind    OpKind
	Reg     string    // OpLoad, OpExec: the register written
	Site    string    // OpWrite, OpExec, OpSyncICache
	Version string    // OpWrite
	Mode    WriteMode // OpWrite
	Via     View      // OpWrite
	Data    string    // OpStore, OpLoad
	Value   int64     // OpStore
	Pos     Pos
}

// ExprKind says what a condition node is.
type ExprKind int

const (
	// ExprAtom: thread Thread's register Reg equals Value.
	ExprAtom ExprKind = iota + 1
	// ExprCrash: the iteration crashed (the child process died or hung).
	ExprCrash
	// ExprNot: not Args[0].
	ExprNot
	// ExprAnd: every one of Args (two or more).
	ExprAnd
	// ExprOr: any one of Args (two or more).
	ExprOr
)

// Expr is a node of the final condition.
type Expr struct {
	Kind   ExprKind
	Args   []*Expr
	Thread int    // ExprAtom
	Reg    string // ExprAtom
	// Value (ExprAtom): a version name or "torn" for a register an exec
	// wrote; a decimal integer for one a load wrote.
	Value string
	Pos   Pos
}

// Verdict is what an architecture's rules say about a condition.
type Verdict int

const (
	// Allowed: the rules permit an outcome that satisfies the condition
	// (observing it is no fault; never observing it proves nothing).
	Allowed Verdict = iota + 1
	// Forbidden: the rules rule it out: observing it is a failure.
	Forbidden
)

// String returns "allowed" or "forbidden".
func (v Verdict) String() string {
	switch v {
	case Allowed:
		return "allowed"
	case Forbidden:
		return "forbidden"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// MarshalText makes a Verdict "allowed" or "forbidden" in JSON.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText reads "allowed" or "forbidden".
func (v *Verdict) UnmarshalText(b []byte) error {
	switch string(b) {
	case "allowed":
		*v = Allowed
	case "forbidden":
		*v = Forbidden
	default:
		return fmt.Errorf("litmus: unknown verdict %q", b)
	}
	return nil
}

// Arches are the ISAs a litmus test states expectations for.
var Arches = []string{"amd64", "ppc64le", "arm64"}

// Expectation is one ISA's verdict on the condition and the manual section
// it comes from.
type Expectation struct {
	Arch    string  `json:"arch"`
	Verdict Verdict `json:"verdict"`
	Source  string  `json:"source"`
	Pos     Pos     `json:"-"`
}

// ExpectFor returns the expectation for arch, or nil.
func (t *Test) ExpectFor(arch string) *Expectation {
	for _, e := range t.Expect {
		if e.Arch == arch {
			return e
		}
	}
	return nil
}

// Site returns the site called name, or nil.
func (t *Test) Site(name string) *Site {
	for _, s := range t.Sites {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// DataWord returns the data word called name, or nil.
func (t *Test) DataWord(name string) *Data {
	for _, d := range t.Data {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// RegOp returns the operation of thread th that writes register reg, or nil.
func (t *Test) RegOp(th int, reg string) *Op {
	if th < 0 || th >= len(t.Threads) {
		return nil
	}
	for _, op := range t.Threads[th].Ops {
		if (op.Kind == OpLoad || op.Kind == OpExec) && op.Reg == reg {
			return op
		}
	}
	return nil
}

// Uses reports whether some thread performs an operation of kind k
// (and, for OpWrite, through view v when v is not 0).
func (t *Test) Uses(k OpKind, v View) bool {
	for _, th := range t.Threads {
		for _, op := range th.Ops {
			if op.Kind == k && (k != OpWrite || v == 0 || op.Via == v) {
				return true
			}
		}
	}
	return false
}

// Parks reports whether a write of t parks site (any site when site is "").
func (t *Test) Parks(site string) bool {
	for _, th := range t.Threads {
		for _, op := range th.Ops {
			if op.Kind == OpWrite && op.Mode == Park && (site == "" || op.Site == site) {
				return true
			}
		}
	}
	return false
}
