package jasm

import (
	"errors"
	"fmt"
)

// Verify checks every rule a program must obey before it is run or
// compiled, fills Func.MaxStack and Func.Depth, and marks p verified. On
// failure it returns an ErrorList (each entry matching ErrVerify) and p is
// not verified. The rules:
//
//   - the entry function (Entry, or "main") exists; 1..MaxFuncs functions
//     with unique valid names, 0..MaxParams parameters, 0..MaxLocals locals,
//     1..MaxFuncInsts instructions each and MaxProgramInsts in all;
//   - every operation is valid; arg, load and store indices are in range;
//     jump targets are instructions of the same function; callees exist;
//   - sites: at most MaxSites, unique valid names, numbered in program
//     order, each naming its instruction (of the matching kind, whose Site
//     field names it back) with Init equal to the instruction's Arg;
//   - on every path, the operand stack never underflows, never exceeds
//     MaxStackDepth, has the same depth wherever paths join, and is exactly 1
//     deep at each ret; no path falls off the end of a function.
//
// Instructions no path reaches get Depth -1; only their operands are checked.
func Verify(p *Program) error { return verify(p, nil) }

// verify is Verify; funcIdx, when not nil, already maps each function's
// name to its index (the parser's table): the verifier checks it and keeps
// it instead of building another.
func verify(p *Program, funcIdx map[string]int) error {
	if p == nil {
		return ErrorList{{Inst: -1, Msg: "nil program", Kind: ErrVerify}}
	}
	p.verified = false
	v := &verifier{p: p, funcIdx: funcIdx}
	v.run()
	if len(v.errs) > 0 {
		return v.errs
	}
	p.verified = true
	return nil
}

type verifier struct {
	p       *Program
	errs    ErrorList
	funcIdx map[string]int
	work    []int // checkFlow's work list, reused from function to function
}

var errTooMany = errors.New("too many errors")

func (v *verifier) errorf(f *Func, inst int, format string, args ...any) {
	if len(v.errs) >= maxErrors {
		panic(errTooMany)
	}
	e := &Error{Inst: inst, Msg: fmt.Sprintf(format, args...), Kind: ErrVerify}
	if f != nil {
		e.Func = f.Name
		e.Pos = f.InstPos(inst)
	}
	v.errs = append(v.errs, e)
}

func (v *verifier) run() {
	defer func() {
		if r := recover(); r != nil && r != errTooMany {
			panic(r)
		}
	}()
	p := v.p
	if len(p.Funcs) == 0 {
		v.errorf(nil, -1, "program has no functions")
		return
	}
	if len(p.Funcs) > MaxFuncs {
		v.errorf(nil, -1, "program has %d functions, more than %d", len(p.Funcs), MaxFuncs)
		return
	}
	funcIdx := v.funcIdx
	if funcIdx == nil {
		funcIdx = make(map[string]int, len(p.Funcs))
	}
	total := 0
	for i, f := range p.Funcs {
		if f == nil {
			v.errorf(nil, -1, "function %d is nil", i)
			return
		}
		if !validName(f.Name) {
			v.errorf(f, -1, "invalid function name %q", f.Name)
		} else if j, ok := funcIdx[f.Name]; ok && j != i {
			v.errorf(f, -1, "function %s defined twice (first at %s)", f.Name, p.Funcs[j].Pos)
		} else if !ok {
			funcIdx[f.Name] = i
		}
		if f.Params < 0 || f.Params > MaxParams {
			v.errorf(f, -1, "func %s has %d parameters, want 0..%d", f.Name, f.Params, MaxParams)
		}
		if f.Locals < 0 || f.Locals > MaxLocals {
			v.errorf(f, -1, "func %s has %d locals, want 0..%d", f.Name, f.Locals, MaxLocals)
		}
		switch {
		case len(f.Code) == 0:
			v.errorf(f, -1, "func %s has no instructions (it must end in ret)", f.Name)
		case len(f.Code) > MaxFuncInsts:
			v.errorf(f, -1, "func %s has %d instructions, more than %d", f.Name, len(f.Code), MaxFuncInsts)
			return
		}
		total += len(f.Code)
	}
	if total > MaxProgramInsts {
		v.errorf(nil, -1, "program has %d instructions, more than %d", total, MaxProgramInsts)
		return
	}
	if _, ok := funcIdx[p.EntryName()]; !ok {
		v.errorf(nil, -1, "no function %s (the entry point)", p.EntryName())
		// The whole file is at fault: point at its start, as every other
		// error of a parsed program has a position.
		if file := p.Funcs[0].Pos.File; p.Funcs[0].Pos.IsValid() {
			v.errs[len(v.errs)-1].Pos = Pos{File: file, Line: 1, Col: 1}
		}
	}
	siteIdx := v.checkSites()
	if len(v.errs) > 0 {
		return // operand and flow checks rely on well-formed functions and sites
	}
	// Every function's Depth is a slice of one array.
	depths := make([]int, total)
	for fi, f := range p.Funcs {
		n := len(f.Code)
		if v.checkOperands(fi, f) {
			v.checkFlow(f, depths[:n:n])
		}
		depths = depths[n:]
	}
	if len(v.errs) == 0 {
		p.funcIdx, p.siteIdx = funcIdx, siteIdx
	}
}

// checkSites checks the site table and returns it by name (nil for a
// program without sites: Program.Site finds none either way).
func (v *verifier) checkSites() map[string]int {
	p := v.p
	if len(p.Sites) > MaxSites {
		v.errorf(nil, -1, "program has %d sites, more than %d", len(p.Sites), MaxSites)
		return nil
	}
	if len(p.Sites) == 0 {
		return nil
	}
	names := make(map[string]int, len(p.Sites))
	prevF, prevI := -1, -1
	for i, s := range p.Sites {
		if s.Func < 0 || s.Func >= len(p.Funcs) || s.Inst < 0 || s.Inst >= len(p.Funcs[s.Func].Code) {
			v.errorf(nil, -1, "site %d (%s) names instruction %d of function %d, which does not exist", i, s.Name, s.Inst, s.Func)
			continue
		}
		f := p.Funcs[s.Func]
		in := f.Code[s.Inst]
		if !validName(s.Name) {
			v.errorf(f, s.Inst, "invalid site name %q", s.Name)
		} else if j, dup := names[s.Name]; dup {
			v.errorf(f, s.Inst, "site %s defined twice (first at %s)", s.Name, sitePos(p, p.Sites[j]))
		} else {
			names[s.Name] = i
		}
		if s.Func < prevF || s.Func == prevF && s.Inst <= prevI {
			v.errorf(f, s.Inst, "site %s is out of program order (sites are numbered by function, then instruction)", s.Name)
		}
		prevF, prevI = s.Func, s.Inst
		if in.Op != s.Kind.Op() {
			v.errorf(f, s.Inst, "site %s is a %s site but its instruction is %s", s.Name, s.Kind, in.Op)
			continue
		}
		if int(in.Site) != i {
			v.errorf(f, s.Inst, "site %s is site %d but its instruction names site %d", s.Name, i, in.Site)
		}
		if in.Arg != s.Init {
			v.errorf(f, s.Inst, "site %s has Init %d but its instruction has %d", s.Name, s.Init, in.Arg)
		}
	}
	return names
}

func sitePos(p *Program, s Site) string {
	if s.Func >= 0 && s.Func < len(p.Funcs) && s.Inst >= 0 && s.Inst < len(p.Funcs[s.Func].Code) {
		if pos := p.Funcs[s.Func].InstPos(s.Inst); pos.IsValid() {
			return pos.String()
		}
		return fmt.Sprintf("func %s, inst %d", p.Funcs[s.Func].Name, s.Inst)
	}
	return "-"
}

// checkOperands checks what does not depend on control flow; it reports
// whether flow analysis can run.
func (v *verifier) checkOperands(fi int, f *Func) bool {
	ok := true
	n := int64(len(f.Code))
	for j, in := range f.Code {
		bad := func(format string, args ...any) {
			v.errorf(f, j, format, args...)
			ok = false
		}
		if !in.Op.Valid() {
			bad("invalid operation %s", in.Op)
			continue
		}
		switch in.Op {
		case OpArg:
			if in.Arg < 0 || in.Arg >= int64(f.Params) {
				bad("arg %d out of range: func %s has %d parameters", in.Arg, f.Name, f.Params)
			}
		case OpLoad, OpStore:
			if in.Arg < 0 || in.Arg >= int64(f.Locals) {
				bad("%s %d out of range: func %s has %d locals", in.Op, in.Arg, f.Name, f.Locals)
			}
		case OpJmp, OpJz, OpJnz, OpGuard:
			if in.Arg == n {
				bad("%s jumps past the last instruction of func %s (every path must end in ret)", in.Op, f.Name)
			} else if in.Arg < 0 || in.Arg > n {
				bad("%s target %d out of range: func %s has %d instructions", in.Op, in.Arg, f.Name, n)
			}
		case OpCall, OpPCall:
			if in.Arg < 0 || in.Arg >= int64(len(v.p.Funcs)) {
				bad("%s of function %d: program has %d functions", in.Op, in.Arg, len(v.p.Funcs))
			}
		}
		if in.Op.IsSite() {
			s := int(in.Site)
			if s < 0 || s >= len(v.p.Sites) || v.p.Sites[s].Func != fi || v.p.Sites[s].Inst != j {
				bad("%s names site %d, which is not this instruction", in.Op, in.Site)
			}
		}
	}
	return ok
}

// stackEffects[op] is what op pops and pushes; call and pcall pop their
// callee's parameters (effect). OpInvalid has none: the verifier rejects
// it before any flow analysis.
var stackEffects = func() (t [numOps]struct{ pop, push int8 }) {
	for op := OpInvalid + 1; op < numOps; op++ {
		e := &t[op]
		switch {
		case op == OpPush || op == OpArg || op == OpLoad || op == OpPConst:
			e.push = 1
		case op == OpPop || op == OpStore || op == OpJz || op == OpJnz || op == OpRet:
			e.pop = 1
		case op == OpDup:
			e.pop, e.push = 1, 2
		case op == OpSwap:
			e.pop, e.push = 2, 2
		case op == OpNeg || op == OpNot:
			e.pop, e.push = 1, 1
		case op == OpJmp || op == OpGuard:
		case op == OpCall || op == OpPCall:
			e.push = 1
		case op.IsBinary():
			e.pop, e.push = 2, 1
		default:
			panic("BUG: jasm: no stack effect for " + op.String())
		}
	}
	return t
}()

// effect returns the values in pops and pushes out of in.
func (v *verifier) effect(in *Inst) (pop, push int) {
	if in.Op == OpCall || in.Op == OpPCall {
		return v.p.Funcs[in.Arg].Params, 1
	}
	e := stackEffects[in.Op]
	return int(e.pop), int(e.push)
}

// checkFlow computes the stack depth on entry to every reachable
// instruction into depth (len(f.Code) ints, made f.Depth) and checks it; it
// stops at the function's first flow error. Instructions are visited depth
// first, the fall-through successor before a jump target.
func (v *verifier) checkFlow(f *Func, depth []int) {
	n := len(f.Code)
	for i := range depth {
		depth[i] = -1
	}
	f.Depth = depth
	f.MaxStack = 0
	depth[0] = 0
	work := append(v.work[:0], 0)
	defer func() { v.work = work[:0] }()
	maxStack := 0
	for len(work) > 0 {
		j := work[len(work)-1]
		work = work[:len(work)-1]
		// Straight-line code runs on in this loop: the fall-through
		// successor is taken next without a trip through the work list (it
		// would be pushed last, so popped first, anyway).
		for {
			in := &f.Code[j]
			d := depth[j]
			if in.Op == OpRet {
				if d != 1 {
					v.errorf(f, j, "ret with %s on the stack, want exactly 1", values(d))
					return
				}
				break
			}
			pop, push := v.effect(in)
			if d < pop {
				v.errorf(f, j, "stack underflow: %s needs %s, the stack has %d", in.Op, values(pop), d)
				return
			}
			after := d - pop + push
			if after > MaxStackDepth {
				v.errorf(f, j, "stack depth %d exceeds the limit of %d", after, MaxStackDepth)
				return
			}
			maxStack = max(maxStack, after)
			if in.Op.IsJump() {
				t := int(in.Arg)
				if depth[t] < 0 {
					depth[t] = after
					work = append(work, t)
				} else if depth[t] != after {
					v.mismatch(f, j, t, after, in.Op.String()+" reaches")
					return
				}
			}
			if in.Op == OpJmp {
				break
			}
			if j+1 == n {
				v.errorf(f, j, "control falls off the end of func %s after %s (every path must end in ret)", f.Name, in.Op)
				return
			}
			if depth[j+1] >= 0 {
				if depth[j+1] != after {
					v.mismatch(f, j, j+1, after, "falling through reaches")
					return
				}
				break
			}
			depth[j+1] = after
			j++
		}
	}
	f.MaxStack = maxStack
}

// mismatch reports that instruction from enters j with depth d, which
// another path entered with depth[j].
func (v *verifier) mismatch(f *Func, from, j, d int, how string) {
	v.errorf(f, from, "stack depth mismatch: %s instruction %d with %s, but another path reaches it with %d",
		how, j, values(d), f.Depth[j])
}

// validName reports whether s is a name: a letter, '_' or '.' followed by
// letters, digits, '_' and '.', at most MaxNameLen bytes.
func validName(s string) bool {
	if len(s) == 0 || len(s) > MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '.':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func values(n int) string {
	if n == 1 {
		return "1 value"
	}
	return fmt.Sprintf("%d values", n)
}
