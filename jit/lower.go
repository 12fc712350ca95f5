package jit

import (
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/jit/jasm"
)

// Arch is a target instruction set.
type Arch string

// The targets syncore compiles for. Each compiles on every host; only the
// host's own runs.
const (
	ArchAMD64   Arch = "amd64"
	ArchPPC64LE Arch = "ppc64le"
	ArchARM64   Arch = "arm64"
)

// HostArch returns the host's Arch and whether syncore can run code on it
// (Linux only: see Supported).
func HostArch() (Arch, bool) {
	switch runtime.GOARCH {
	case "amd64":
		return ArchAMD64, canExecute
	case "ppc64le":
		return ArchPPC64LE, canExecute
	case "arm64":
		return ArchARM64, canExecute
	}
	return Arch(runtime.GOARCH), false
}

// ParseArch returns the Arch named s ("amd64", "ppc64le", "arm64").
func ParseArch(s string) (Arch, error) {
	switch Arch(s) {
	case ArchAMD64, ArchPPC64LE, ArchARM64:
		return Arch(s), nil
	}
	return "", fmt.Errorf("jit: unknown architecture %q (want amd64, ppc64le or arm64)", s)
}

// PConstMode chooses how a pconst site is compiled.
type PConstMode int

const (
	// PConstData (the default) loads the constant from an aligned 8-byte
	// data slot; patching it is a data store, no code changes. This is the
	// only form on ppc64le, where li/addi/lis+ori immediates are not in the
	// Power patch class, and on arm64, where only B, BL, NOP and a few
	// system instructions may change while they run (Arm ARM B2.2.5).
	PConstData PConstMode = iota
	// PConstCode puts the constant in the instruction stream (amd64: a
	// 10-byte movabs, patched with the self-loop protocol). On ppc64le and
	// arm64 it is refused.
	PConstCode
)

func (m PConstMode) String() string {
	switch m {
	case PConstData:
		return "data"
	case PConstCode:
		return "code"
	}
	return fmt.Sprintf("PConstMode(%d)", int(m))
}

// CompileOptions selects the target and code shapes.
type CompileOptions struct {
	Arch   Arch       // default: the host's (amd64 when the host runs neither)
	PConst PConstMode // default PConstData
	// Lines records where every reachable jasm instruction starts in
	// Code.Lines (for profilers' line tables: jitdump). The checks that
	// can fail (division, stack, interrupt) are always recorded.
	Lines bool

	hooks testHooks // set by tests only (export_test.go)
}

// testHooks change code generation for tests: swapSub compiles sub with
// its operands swapped on every ISA (the negative control of the
// differential tests); noFuse turns off the lowering driver's fusions
// (compare and branch, result into a stored local) and puts every value in
// its canonical place after every instruction, so that the plain code
// stays covered. Only tests set them (export_test.go), through
// CompileOptions or Options.
type testHooks struct{ swapSub, noFuse bool }

// ErrCompile: the program cannot be compiled (unverified, too large, or an
// option the target does not support). The error says why.
var ErrCompile = errors.New("jit: cannot compile")

// Code is a compiled program: a position-independent blob for one Arch, the
// entry offset of every function, and where every site's patchable bytes are.
type Code struct {
	Arch    Arch
	Program *jasm.Program
	Blob    *codegen.Blob
	// Entries[i] is the offset of Program.Funcs[i]'s first instruction.
	Entries []int
	// Sites[i] is the machine-level site of Program.Sites[i]; Present is
	// false for a site in unreachable code (it has no bytes to patch).
	Sites  []SiteCode
	PConst PConstMode
	// Lines maps code offsets to jasm instructions, sorted by Offset: the
	// out-of-line stub of every check that can fail at run time (the
	// position a runtime error reports) and, with CompileOptions.Lines, the
	// start of every reachable instruction.
	Lines []Line
}

// Line says that the code at Offset belongs to instruction Inst of
// function Func (indices in Program.Funcs and its Code); Inst is -1 for a
// function's entry (its stack check).
type Line struct {
	Offset int
	Func   int
	Inst   int
}

// Pos returns the jasm position of the line: the instruction's, or the
// func line's for an entry.
func (c *Code) Pos(l Line) jasm.Pos {
	return c.Program.Funcs[l.Func].InstPos(l.Inst)
}

// LineAt returns the line the code at offset off belongs to: the last
// entry of Lines at or before off, or ok false when there is none.
func (c *Code) LineAt(off int) (Line, bool) {
	i := sort.Search(len(c.Lines), func(i int) bool { return c.Lines[i].Offset > off })
	if i == 0 {
		return Line{}, false
	}
	return c.Lines[i-1], true
}

// SiteCode is one jasm site in machine code.
type SiteCode struct {
	Present bool
	Site    codegen.Site // offsets are within Code.Blob
}

// lowerState is what the lowering driver and the ISAs share: the program, labels of
// functions and of jump targets, and the exit stubs.
type lowerState struct {
	b          *codegen.Buffer
	p          *jasm.Program
	opts       CompileOptions
	funcLabels []codegen.Label
	instLabels []codegen.Label // of the current function, 0 until needed
	entryPoll  []bool          // by function: see entryPolls
	// Of the current function (enter): it calls; it polls elsewhere than
	// on entry.
	calls, backEdges bool
	divZero          codegen.Label // exit stubs
	overflow         codegen.Label
	interrupt        codegen.Label
	yield            codegen.Label // saves the live state and returns exitYield

	at       place      // the instruction being compiled
	lines    []lineMark // Code.Lines before the offsets are known
	deferred []func()   // out-of-line code of the current function
	exits    []exitStub // out-of-line exit stubs of the current function
}

// exitTo returns the label of a new out-of-line stub for a check at the
// current instruction that fails through exit stub exit: the ISA jumps
// there when the check fails; driver.flushExits emits it with the ISA's
// exitJump, and Code.Lines maps it to the instruction (the position a
// runtime error reports).
func (s *lowerState) exitTo(exit codegen.Label) codegen.Label {
	stub := s.b.NewLabel()
	s.exits = append(s.exits, exitStub{stub, exit, s.at})
	return stub
}

// exitStub is a failing check's out-of-line stub (see lowerState.exitTo).
type exitStub struct {
	l, exit codegen.Label
	at      place
}

// deferHere adds out-of-line code that is emitted after the current
// function and runs as if compiled at the current instruction (its checks
// report that instruction).
func (s *lowerState) deferHere(fn func()) {
	at := s.at
	s.deferred = append(s.deferred, func() {
		saved := s.at
		s.at = at
		fn()
		s.at = saved
	})
}

// place is a jasm instruction: function and instruction index (-1: the
// function's entry).
type place struct{ fn, inst int32 }

// lineMark is a Line whose offset is a label's.
type lineMark struct {
	l  codegen.Label
	at place
}

// mark records that the code at label l belongs to the current instruction.
func (s *lowerState) mark(l codegen.Label) { s.lines = append(s.lines, lineMark{l, s.at}) }

func (s *lowerState) init(b *codegen.Buffer, p *jasm.Program, opts CompileOptions) {
	s.p, s.opts, s.b = p, opts, b
	s.entryPoll = entryPolls(p)
	s.funcLabels = make([]codegen.Label, len(p.Funcs))
	for i := range p.Funcs {
		s.funcLabels[i] = b.NewLabel()
	}
	s.divZero, s.overflow, s.interrupt, s.yield = b.NewLabel(), b.NewLabel(), b.NewLabel(), b.NewLabel()
}

// enter makes a label for every reachable jump target of f, so that
// backward jumps find their target's label already bound.
//
// In the same pass it notes what the function's entry needs to know:
// whether it calls (calls), and whether it has a poll point other than its
// entry (backEdges: a backward jump or guard, or a parked const site).
func (s *lowerState) enter(f *jasm.Func) {
	b := s.b
	s.instLabels = slices.Grow(s.instLabels[:0], len(f.Code))[:len(f.Code)]
	clear(s.instLabels)
	s.calls, s.backEdges = false, false
	loops := false
	for i, in := range f.Code {
		if f.Depth[i] < 0 {
			continue
		}
		switch {
		case in.Op.IsJump():
			if s.instLabels[in.Arg] == 0 {
				s.instLabels[in.Arg] = b.NewLabel()
			}
			if int(in.Arg) <= i {
				s.backEdges = true
				loops = loops || in.Op == jasm.OpJmp
			}
		case in.Op == jasm.OpCall || in.Op == jasm.OpPCall:
			s.calls = true
		case in.Op == jasm.OpPConst && s.opts.PConst == PConstCode:
			s.backEdges = true // the parked site's stub polls
		}
	}
	if s.opts.hooks.noFuse || !loops {
		return
	}
	// The body of a loop whose back-edge is a jmp and whose top is a test
	// gets a label: the back-edge branches there (driver.rotate).
	for i, in := range f.Code {
		if in.Op == jasm.OpJmp && f.Depth[i] >= 0 && int(in.Arg) <= i {
			if t, ok := loopTestAt(f, s.instLabels, int(in.Arg)); ok && s.instLabels[t.cond+1] == 0 {
				s.instLabels[t.cond+1] = b.NewLabel()
			}
		}
	}
}

// entryPolls returns which functions of p poll on entry: those that can
// reach themselves through plain calls (a strongly connected component of
// the call graph with a cycle), and those that make a patchable call (whose
// target, any function of any program, may call back). Every other call
// chain is finite and polls in its loops, so time between polls stays
// bounded without one at each function's entry.
func entryPolls(p *jasm.Program) []bool {
	n := len(p.Funcs)
	out := make([]bool, n)
	// Tarjan's strongly connected components, iteratively.
	index, low := make([]int, n), make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	next := 0
	type frame struct{ f, inst int }
	for root := range n {
		if index[root] >= 0 {
			continue
		}
		work := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(work) > 0 {
			top := &work[len(work)-1]
			f := p.Funcs[top.f]
			descended := false
			for top.inst < len(f.Code) {
				in := f.Code[top.inst]
				top.inst++
				if f.Depth[top.inst-1] < 0 {
					continue
				}
				if in.Op == jasm.OpPCall {
					out[top.f] = true
				}
				if in.Op != jasm.OpCall {
					continue
				}
				g := int(in.Arg)
				if g == top.f {
					out[g] = true // calls itself
				}
				if index[g] < 0 {
					index[g], low[g] = next, next
					next++
					stack = append(stack, g)
					onStack[g] = true
					work = append(work, frame{g, 0})
					descended = true
					break
				}
				if onStack[g] {
					low[top.f] = min(low[top.f], index[g])
				}
			}
			if descended {
				continue
			}
			v := top.f
			work = work[:len(work)-1]
			if len(work) > 0 {
				u := work[len(work)-1].f
				low[u] = min(low[u], low[v])
			}
			if low[v] == index[v] { // v roots a component
				j := len(stack) - 1
				for stack[j] != v {
					j--
				}
				comp := stack[j:]
				if len(comp) > 1 {
					for _, w := range comp {
						out[w] = true
					}
				}
				for _, w := range comp {
					onStack[w] = false
				}
				stack = stack[:j]
			}
		}
	}
	return out
}

// fusable reports whether instruction j of the current function may be
// compiled together with the one before it: it exists and no jump lands on
// it (at a join every value must be in its canonical place).
func (s *lowerState) fusable(f *jasm.Func, j int) bool {
	return j < len(f.Code) && s.instLabels[j] == 0
}

// label returns the label of instruction j of the current function.
func (s *lowerState) label(j int64) codegen.Label {
	if s.instLabels[j] == 0 {
		panic(fmt.Sprintf("BUG: no label for jump target %d", j))
	}
	return s.instLabels[j]
}

// siteName is the codegen name of jasm site i.
func (s *lowerState) siteName(i int32) string { return s.p.Sites[i].Name }

// Compile compiles a verified program to machine code for opts.Arch. It runs
// on any host.
func Compile(p *jasm.Program, opts CompileOptions) (*Code, error) {
	if !p.Verified() {
		return nil, fmt.Errorf("%w: the program is not verified (use jasm.Parse or jasm.Verify)", ErrCompile)
	}
	if opts.Arch == "" {
		opts.Arch, _ = HostArch()
		if opts.Arch != ArchPPC64LE && opts.Arch != ArchARM64 {
			opts.Arch = ArchAMD64
		}
	}
	var g isa
	switch opts.Arch {
	case ArchAMD64:
		g = newAMD64Gen()
	case ArchPPC64LE:
		if opts.PConst == PConstCode {
			return nil, fmt.Errorf("%w: pconst in code is not possible on ppc64le: immediates are not in the Power patch class (use PConstData)", ErrCompile)
		}
		g = newPPC64Gen()
	case ArchARM64:
		if opts.PConst == PConstCode {
			return nil, fmt.Errorf("%w: pconst in code is not possible on arm64: only B, BL, NOP and a few system instructions may be modified while they run (use PConstData)", ErrCompile)
		}
		g = newARM64Gen()
	default:
		return nil, fmt.Errorf("%w: unknown architecture %q", ErrCompile, opts.Arch)
	}
	d := newDriver(p, opts, g)
	d.compile()
	b, st := g.buffer(), &d.lowerState
	blob, err := b.Finish()
	if err != nil {
		return nil, fmt.Errorf("%w: %v: %w", ErrCompile, opts.Arch, err)
	}
	c := &Code{Arch: opts.Arch, Program: p, Blob: blob, Entries: make([]int, len(p.Funcs)),
		Sites: make([]SiteCode, len(p.Sites)), PConst: opts.PConst, Lines: make([]Line, len(st.lines))}
	for i, m := range st.lines {
		c.Lines[i] = Line{Offset: blob.Offset(m.l), Func: int(m.at.fn), Inst: int(m.at.inst)}
	}
	slices.SortStableFunc(c.Lines, func(a, b Line) int { return cmp.Compare(a.Offset, b.Offset) })
	for i, fl := range st.funcLabels {
		c.Entries[i] = blob.Offset(fl)
	}
	byName := make(map[string]int, len(p.Sites))
	for i, s := range p.Sites {
		byName[s.Name] = i
	}
	for _, s := range blob.Sites {
		i, ok := byName[s.Name]
		if !ok {
			panic("BUG: codegen site " + s.Name + " is no jasm site")
		}
		c.Sites[i] = SiteCode{Present: true, Site: s}
	}
	return c, nil
}
