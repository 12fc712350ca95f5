package jasm

import (
	"fmt"
	"strconv"
)

// Limits. The parser and the verifier reject programs beyond them, so that
// any input is processed in time and memory linear in its size and every
// compiled frame has a known, small size.
const (
	MaxParams       = 8       // parameters of a function (and arguments of an entry call)
	MaxLocals       = 256     // extra local slots of a function
	MaxStackDepth   = 1024    // operand-stack depth of a function at any point
	MaxFuncs        = 4096    // functions in a program
	MaxFuncInsts    = 1 << 16 // instructions in one function (labels per function too)
	MaxProgramInsts = 1 << 18 // instructions in a whole program
	MaxSites        = 1 << 16 // patch sites in a program
	MaxNameLen      = 128     // bytes in a function, label or site name
)

// DefaultEntry is the entry point's name when Program.Entry is empty.
const DefaultEntry = "main"

// Op is a jasm instruction's operation. The zero Op is OpInvalid, which the
// verifier rejects, so a zero Inst never passes for an instruction.
type Op uint8

// The operations. Stack effects are written (before -- after), top of the
// stack on the right; a and b are popped values, b the top one.
const (
	OpInvalid Op = iota
	OpPush       // push v:      ( -- v )          Arg = v
	OpPop        // pop:         ( a -- )
	OpDup        // dup:         ( a -- a a )
	OpSwap       // swap:        ( a b -- b a )
	OpArg        // arg i:       ( -- param[i] )   Arg = i, 0 <= i < Params
	OpLoad       // load i:      ( -- local[i] )   Arg = i, 0 <= i < Locals
	OpStore      // store i:     ( a -- )          Arg = i, 0 <= i < Locals
	OpAdd        // ( a b -- a+b ) wrapping
	OpSub        // ( a b -- a-b ) wrapping
	OpMul        // ( a b -- a*b ) wrapping
	OpDiv        // ( a b -- a/b ) truncated; b == 0 is ErrDivisionByZero; MinInt64/-1 = MinInt64
	OpRem        // ( a b -- a%b ) sign of a; b == 0 is ErrDivisionByZero; MinInt64%-1 = 0
	OpAnd        // ( a b -- a&b )
	OpOr         // ( a b -- a|b )
	OpXor        // ( a b -- a^b )
	OpShl        // ( a b -- a<<(b&63) )
	OpShr        // ( a b -- a>>(b&63) ) logical
	OpSar        // ( a b -- a>>(b&63) ) arithmetic
	OpNeg        // ( a -- -a ) wrapping
	OpNot        // ( a -- ^a ) bitwise
	OpEq         // ( a b -- a==b ? 1 : 0 )
	OpNe         // ( a b -- a!=b ? 1 : 0 )
	OpLt         // ( a b -- a<b ? 1 : 0 ) signed
	OpLe         // ( a b -- a<=b ? 1 : 0 ) signed
	OpGt         // ( a b -- a>b ? 1 : 0 ) signed
	OpGe         // ( a b -- a>=b ? 1 : 0 ) signed
	OpJmp        // jmp L:       ( -- )            Arg = target instruction index
	OpJz         // jz L:        ( a -- )          jumps if a == 0; Arg = target
	OpJnz        // jnz L:       ( a -- )          jumps if a != 0; Arg = target
	OpCall       // call f:      ( a1..an -- r )   Arg = callee function index, n its Params
	OpRet        // ret:         ( r -- )          the stack must hold exactly r
	OpPConst     // pconst s v:  ( -- v' )         Site = s; Arg = initial v; v' the live value
	OpPCall      // pcall s f:   ( a1..an -- r )   Site = s; Arg = initial callee; n its Params
	OpGuard      // guard s L:   ( -- )            Site = s; Arg = target, taken once armed

	numOps
)

var opNames = [numOps]string{
	OpInvalid: "invalid",
	OpPush:    "push", OpPop: "pop", OpDup: "dup", OpSwap: "swap",
	OpArg: "arg", OpLoad: "load", OpStore: "store",
	OpAdd: "add", OpSub: "sub", OpMul: "mul", OpDiv: "div", OpRem: "rem",
	OpAnd: "and", OpOr: "or", OpXor: "xor", OpShl: "shl", OpShr: "shr", OpSar: "sar",
	OpNeg: "neg", OpNot: "not",
	OpEq: "eq", OpNe: "ne", OpLt: "lt", OpLe: "le", OpGt: "gt", OpGe: "ge",
	OpJmp: "jmp", OpJz: "jz", OpJnz: "jnz", OpCall: "call", OpRet: "ret",
	OpPConst: "pconst", OpPCall: "pcall", OpGuard: "guard",
}

// String returns the mnemonic, or "op(N)" for a value that is no operation.
func (op Op) String() string {
	if op < numOps {
		return opNames[op]
	}
	return "op(" + strconv.Itoa(int(op)) + ")"
}

// Valid reports whether op is one of the operations (not OpInvalid).
func (op Op) Valid() bool { return op > OpInvalid && op < numOps }

// Operand is the kind of an instruction's operands in the text.
type Operand uint8

// Operand kinds.
const (
	OperandNone      Operand = iota // no operand
	OperandInt                      // an int64 immediate (push)
	OperandIndex                    // a slot index (arg, load, store)
	OperandLabel                    // a label (jmp, jz, jnz)
	OperandFunc                     // a function name (call)
	OperandSiteInt                  // a site name and an int64 (pconst)
	OperandSiteFunc                 // a site name and a function name (pcall)
	OperandSiteLabel                // a site name and a label (guard)
)

// Operand returns the kind of op's operands.
func (op Op) Operand() Operand {
	switch op {
	case OpPush:
		return OperandInt
	case OpArg, OpLoad, OpStore:
		return OperandIndex
	case OpJmp, OpJz, OpJnz:
		return OperandLabel
	case OpCall:
		return OperandFunc
	case OpPConst:
		return OperandSiteInt
	case OpPCall:
		return OperandSiteFunc
	case OpGuard:
		return OperandSiteLabel
	}
	return OperandNone
}

// IsSite reports whether op is a patchable instruction (pconst, pcall, guard).
func (op Op) IsSite() bool { return op == OpPConst || op == OpPCall || op == OpGuard }

// IsJump reports whether Arg of op is a jump target (jmp, jz, jnz, guard).
func (op Op) IsJump() bool { return op == OpJmp || op == OpJz || op == OpJnz || op == OpGuard }

// IsBinary reports whether op pops two values and pushes one (add .. ge).
func (op Op) IsBinary() bool { return op >= OpAdd && op <= OpSar || op >= OpEq && op <= OpGe }

// Pos is a position in program text: 1-based line and byte column. The zero
// Pos means "unknown" (a program built in Go rather than parsed).
type Pos struct {
	File      string
	Line, Col int
}

// IsValid reports whether the position is known.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String returns "file:line:col", "line:col" without a file, or "-" if unknown.
func (p Pos) String() string {
	if !p.IsValid() {
		return "-"
	}
	s := strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
	if p.File != "" {
		s = p.File + ":" + s
	}
	return s
}

// Inst is one instruction. Every reference is resolved to an index: Arg
// holds the immediate (push, pconst: the initial value), the slot index
// (arg, load, store), the target instruction's index in the same function
// (jmp, jz, jnz, guard) or the callee's index in Program.Funcs (call, pcall:
// the initial callee). Site is the index in Program.Sites for pconst, pcall
// and guard, and is ignored (left 0 by the parser) for other operations.
//
// Line and Col are where the instruction is in the text (1-based line and
// byte column; Line 0 when unknown; the parser stores a line or column past
// MaxInt32 as MaxInt32). The file name is not repeated in every
// instruction: it is the function's (Func.Pos.File), and Func.InstPos puts
// the three together. An Inst holds no pointer, so a program's code is one
// flat array the garbage collector does not scan.
type Inst struct {
	Op   Op
	Site int32
	Arg  int64
	Line int32
	Col  int32
}

// Func is one function. Params and Locals are separate: `arg i` reads
// parameter i, `load i`/`store i` address the Locals extra slots, which start
// at 0 on every call.
type Func struct {
	Name   string
	Params int // 0..MaxParams
	Locals int // 0..MaxLocals
	Code   []Inst
	Pos    Pos // of the func line; its File is every instruction's file too

	// Filled by Verify.

	// MaxStack is the largest operand-stack depth reached in the function
	// (arguments pushed for a call count; the callee's frame does not).
	MaxStack int
	// Depth[i] is the operand-stack depth on entry to Code[i], or -1 if
	// Code[i] is unreachable. Unreachable instructions are allowed; their
	// operands are checked but they need not be compiled.
	Depth []int
}

// InstPos returns the position of instruction i: the function's file with
// Code[i]'s line and column, or the zero Pos when that instruction's line is
// unknown. For i outside Code (-1 stands for the function's entry) it is the
// func line's position, Pos.
func (f *Func) InstPos(i int) Pos {
	if i < 0 || i >= len(f.Code) {
		return f.Pos
	}
	in := &f.Code[i]
	if in.Line <= 0 {
		return Pos{}
	}
	return Pos{File: f.Pos.File, Line: int(in.Line), Col: int(in.Col)}
}

// SiteKind is the kind of a patch site.
type SiteKind uint8

// Site kinds, one per patchable instruction.
const (
	SiteConst SiteKind = iota // pconst: a constant
	SiteCall                  // pcall: a call target
	SiteGuard                 // guard: a disarmed/armed branch
)

func (k SiteKind) String() string {
	switch k {
	case SiteConst:
		return "const"
	case SiteCall:
		return "call"
	case SiteGuard:
		return "guard"
	}
	return "sitekind(" + strconv.Itoa(int(k)) + ")"
}

// Op returns the instruction that makes a site of this kind.
func (k SiteKind) Op() Op {
	switch k {
	case SiteConst:
		return OpPConst
	case SiteCall:
		return OpPCall
	case SiteGuard:
		return OpGuard
	}
	return OpInvalid
}

// Site is a patchable instruction: Program.Funcs[Func].Code[Inst]. Sites
// are numbered in program order (by Func, then Inst); the verifier checks it,
// so a site's index is the same in a program and in its printed text.
type Site struct {
	Name string
	Kind SiteKind
	Func int // index in Program.Funcs
	Inst int // index in that function's Code
	// Init is the initial state, equal to the instruction's Arg: the pconst
	// value, the pcall callee's function index, or the guard's target
	// instruction index (a guard starts disarmed).
	Init int64
}

// Program is a whole jasm program. Build one with Parse, or in Go and then
// call Verify; only a verified program is accepted by the interpreter and
// the compiler.
type Program struct {
	Funcs []*Func
	Sites []Site
	// Entry names the function a program is run from; "" means DefaultEntry.
	Entry string

	verified bool
	funcIdx  map[string]int
	siteIdx  map[string]int
}

// Verified reports whether Verify last succeeded on p. Changing p after
// Verify voids the guarantee: call Verify again.
func (p *Program) Verified() bool { return p != nil && p.verified }

// EntryName returns Entry, or DefaultEntry if Entry is empty.
func (p *Program) EntryName() string {
	if p.Entry == "" {
		return DefaultEntry
	}
	return p.Entry
}

// Func returns the index of the function called name.
func (p *Program) Func(name string) (int, bool) {
	if p.verified && p.funcIdx != nil {
		i, ok := p.funcIdx[name]
		return i, ok
	}
	for i, f := range p.Funcs {
		if f != nil && f.Name == name {
			return i, true
		}
	}
	return -1, false
}

// Site returns the index of the site called name.
func (p *Program) Site(name string) (int, bool) {
	if p.verified && p.siteIdx != nil {
		i, ok := p.siteIdx[name]
		return i, ok
	}
	for i, s := range p.Sites {
		if s.Name == name {
			return i, true
		}
	}
	return -1, false
}

// CanRetarget reports whether pcall site may be retargeted to function fn:
// nil if site is a pcall site and fn a function with the same number of
// parameters as the site's initial callee; otherwise an error matching
// ErrBadSite, ErrNoSuchFunc or ErrArity.
func (p *Program) CanRetarget(site, fn int) error {
	if site < 0 || site >= len(p.Sites) {
		return fmt.Errorf("retarget site %d: %w: no such site (program has %d)", site, ErrBadSite, len(p.Sites))
	}
	s := p.Sites[site]
	if s.Kind != SiteCall {
		return fmt.Errorf("retarget site %s: %w: a %s site, not a call site", s.Name, ErrBadSite, s.Kind)
	}
	if fn < 0 || fn >= len(p.Funcs) {
		return fmt.Errorf("retarget site %s: %w: function index %d (program has %d)", s.Name, ErrNoSuchFunc, fn, len(p.Funcs))
	}
	if s.Init < 0 || s.Init >= int64(len(p.Funcs)) {
		return fmt.Errorf("retarget site %s: %w: initial callee %d", s.Name, ErrBadSite, s.Init)
	}
	want, got := p.Funcs[s.Init], p.Funcs[fn]
	if got.Params != want.Params {
		return fmt.Errorf("retarget site %s to %s: %w: %s takes %d parameters, the site calls with %d",
			s.Name, got.Name, ErrArity, got.Name, got.Params, want.Params)
	}
	return nil
}

// FrameSize returns the bytes one activation of f uses in the stack budget
// model shared by the interpreter and the compiled code: 8 * (2 + Params +
// Locals + MaxStack), rounded up to a multiple of 16. It needs MaxStack,
// so f must belong to a verified program.
func FrameSize(f *Func) int {
	n := 8 * (2 + f.Params + f.Locals + f.MaxStack)
	return (n + 15) &^ 15
}

// DefaultStackBytes is the default stack budget of one entry call: the sum
// of FrameSize over the active frames may not exceed it.
const DefaultStackBytes = 1 << 20

// Equal reports whether a and b are the same program: same entry, functions
// (name, parameters, locals, instructions) and sites. Positions, the fields
// filled by Verify and the verified flag are ignored. Inst.Site is compared
// only for site instructions.
func Equal(a, b *Program) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.EntryName() != b.EntryName() || len(a.Funcs) != len(b.Funcs) || len(a.Sites) != len(b.Sites) {
		return false
	}
	for i, fa := range a.Funcs {
		fb := b.Funcs[i]
		if fa == nil || fb == nil {
			if fa != fb {
				return false
			}
			continue
		}
		if fa.Name != fb.Name || fa.Params != fb.Params || fa.Locals != fb.Locals || len(fa.Code) != len(fb.Code) {
			return false
		}
		for j, ia := range fa.Code {
			ib := fb.Code[j]
			if ia.Op != ib.Op || ia.Arg != ib.Arg || ia.Op.IsSite() && ia.Site != ib.Site {
				return false
			}
		}
	}
	for i, sa := range a.Sites {
		sb := b.Sites[i]
		if sa != sb {
			return false
		}
	}
	return true
}
