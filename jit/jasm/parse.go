package jasm

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Parse reads a program from src (filename is used in positions only) and
// returns it verified. Errors are an ErrorList of *Error values that name
// file:line:col and say what was expected; syntax errors match ErrSyntax,
// unresolved names and verifier rule violations match ErrVerify. Parse never
// panics, runs in time linear in len(src) and stops at the limits (MaxFuncs,
// MaxFuncInsts, MaxProgramInsts, MaxSites, MaxNameLen) or after 10 errors.
func Parse(filename string, src []byte) (*Program, error) {
	ps := &parser{file: filename, prog: &Program{Entry: DefaultEntry}, funcIdx: map[string]int{}, siteNames: map[string]Pos{}}
	ps.parse(src)
	if len(ps.errs) > 0 {
		return nil, ps.errs
	}
	ps.resolveCalls()
	if len(ps.errs) > 0 {
		return nil, ps.errs
	}
	if err := Verify(ps.prog); err != nil {
		return nil, err
	}
	return ps.prog, nil
}

type ref struct {
	inst int
	name string
	pos  Pos
}

type labelDef struct {
	inst int
	pos  Pos
}

type pfunc struct {
	f        *Func
	labels   map[string]labelDef
	jumps    []ref // label references
	calls    []ref // function references
	body     bool  // an instruction or label was seen (locals must come first)
	localsAt Pos
}

type parser struct {
	file      string
	prog      *Program
	errs      ErrorList
	cur       *pfunc
	funcs     []*pfunc
	funcIdx   map[string]int
	siteNames map[string]Pos
	entryAt   Pos
	insts     int
	line      int
	stop      bool   // a limit was hit or too many errors: give up
	scratch   []Inst // the current function's code grows here; endFunc copies it out at its size
}

type token struct {
	text string
	col  int
}

func (ps *parser) pos(col int) Pos { return Pos{File: ps.file, Line: ps.line, Col: col} }

func (ps *parser) errAt(kind error, pos Pos, format string, args ...any) {
	if ps.stop {
		return
	}
	e := &Error{Pos: pos, Inst: -1, Msg: fmt.Sprintf(format, args...), Kind: kind}
	if ps.cur != nil {
		e.Func = ps.cur.f.Name
	}
	ps.errs = append(ps.errs, e)
	if len(ps.errs) >= maxErrors {
		ps.stop = true
	}
}

func (ps *parser) syntax(col int, format string, args ...any) {
	ps.errAt(ErrSyntax, ps.pos(col), format, args...)
}

// limit reports a limit that stops the parse.
func (ps *parser) limit(col int, format string, args ...any) {
	ps.syntax(col, format, args...)
	ps.stop = true
}

// maxLineTokens is more than any line may hold (labels aside), so that a
// line's tokens are bounded however long the line is.
const maxLineTokens = 8

// tokenize appends the white-space separated tokens of line to toks. The
// tokens are substrings of line: no allocation per token.
func tokenize(line string, toks []token) []token {
	i := 0
	for i < len(line) && len(toks) < maxLineTokens {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			break
		}
		start := i
		for i < len(line) && !isSpace(line[i]) {
			i++
		}
		toks = append(toks, token{text: line[start:i], col: start + 1})
	}
	return toks
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }

var mnemonics = func() map[string]Op {
	m := make(map[string]Op, numOps)
	for op := OpInvalid + 1; op < numOps; op++ {
		m[op.String()] = op
	}
	return m
}()

func (ps *parser) parse(text []byte) {
	var toks []token
	src := string(text) // one copy; lines, tokens and names are substrings of it
	// No function has more instructions than the text has lines: size the
	// scratch once instead of growing it.
	ps.scratch = make([]Inst, 0, min(strings.Count(src, "\n")+1, MaxFuncInsts))
	for len(src) > 0 && !ps.stop {
		ps.line++
		line := src
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = ""
		}
		if i := strings.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		toks = tokenize(line, toks[:0])
		ps.parseLine(toks)
	}
	if ps.stop {
		return
	}
	if ps.cur != nil {
		ps.line++
		ps.syntax(1, "expected end of func %s before the end of the file", strings.TrimSpace(ps.cur.f.Name+" "))
		ps.endFunc()
	}
	if len(ps.prog.Funcs) == 0 && len(ps.errs) == 0 {
		ps.line = max(ps.line, 1)
		ps.syntax(1, "expected a func; the file has no functions")
	}
}

func (ps *parser) parseLine(toks []token) {
	for len(toks) > 0 && strings.HasSuffix(toks[0].text, ":") {
		ps.label(toks[0])
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return
	}
	kw, rest := toks[0], toks[1:]
	switch kw.text {
	case "func":
		ps.funcLine(kw, rest)
	case "end":
		if ps.cur == nil {
			ps.syntax(kw.col, "end outside a function")
			return
		}
		if ps.extra(kw, rest, 0) {
			ps.endFunc()
		}
	case "locals":
		ps.localsLine(kw, rest)
	case "entry":
		ps.entryLine(kw, rest)
	default:
		op, ok := mnemonics[kw.text]
		if !ok {
			ps.syntax(kw.col, "unknown instruction %q", kw.text)
			return
		}
		ps.inst(op, kw, rest)
	}
}

// extra reports an error if rest holds more than n tokens; it returns
// whether it did not.
func (ps *parser) extra(kw token, rest []token, n int) bool {
	if len(rest) > n {
		ps.syntax(rest[n].col, "unexpected %q after %s", rest[n].text, kw.text)
		return false
	}
	return true
}

func (ps *parser) name(tok token, what string, after string) (string, bool) {
	if len(tok.text) > MaxNameLen {
		ps.syntax(tok.col, "%s name longer than %d bytes", what, MaxNameLen)
		return "", false
	}
	if !validName(tok.text) {
		ps.syntax(tok.col, "expected %s name after %s, found %q", article(what), after, tok.text)
		return "", false
	}
	return tok.text, true
}

func article(what string) string {
	if strings.IndexByte("aeiou", what[0]) >= 0 {
		return "an " + what
	}
	return "a " + what
}

func (ps *parser) label(tok token) {
	name := tok.text[:len(tok.text)-1]
	if ps.cur == nil {
		ps.syntax(tok.col, "label %q outside a function", name)
		return
	}
	if name == "" {
		ps.syntax(tok.col, "expected a label name before ':'")
		return
	}
	if len(name) > MaxNameLen {
		ps.syntax(tok.col, "label name longer than %d bytes", MaxNameLen)
		return
	}
	if !validName(name) {
		ps.syntax(tok.col, "invalid label name %q", name)
		return
	}
	pf := ps.cur
	pf.body = true
	if d, dup := pf.labels[name]; dup {
		ps.errAt(ErrVerify, ps.pos(tok.col), "label %s defined twice in func %s (first at %s)", name, pf.f.Name, d.pos)
		return
	}
	if len(pf.labels) >= MaxFuncInsts {
		ps.limit(tok.col, "func %s has more than %d labels", pf.f.Name, MaxFuncInsts)
		return
	}
	if pf.labels == nil {
		pf.labels = map[string]labelDef{}
	}
	pf.labels[name] = labelDef{inst: len(pf.f.Code), pos: ps.pos(tok.col)}
}

func (ps *parser) funcLine(kw token, rest []token) {
	if ps.cur != nil {
		ps.syntax(kw.col, "func inside func %s (missing end?)", ps.cur.f.Name)
		ps.endFunc()
	}
	if len(ps.prog.Funcs) >= MaxFuncs {
		ps.limit(kw.col, "more than %d functions", MaxFuncs)
		return
	}
	f := &Func{Pos: ps.pos(kw.col), Code: ps.scratch[:0]}
	pf := &pfunc{f: f} // labels: made at the first label
	ps.cur = pf
	ps.funcs = append(ps.funcs, pf)
	ps.prog.Funcs = append(ps.prog.Funcs, f)
	if len(rest) == 0 {
		ps.syntax(kw.col, "expected a function name after func")
		return
	}
	name, ok := ps.name(rest[0], "function", "func")
	if !ok {
		return
	}
	f.Name = name
	if j, dup := ps.funcIdx[name]; dup {
		ps.errAt(ErrVerify, ps.pos(rest[0].col), "function %s defined twice (first at %s)", name, ps.prog.Funcs[j].Pos)
	} else {
		ps.funcIdx[name] = len(ps.prog.Funcs) - 1
	}
	if len(rest) == 1 {
		ps.syntax(kw.col, "expected the number of parameters after func %s", name)
		return
	}
	n, ok := ps.index(rest[1], "the number of parameters", "func "+name)
	if !ok {
		return
	}
	f.Params = int(min(n, math.MaxInt32))
	ps.extra(kw, rest, 2)
}

func (ps *parser) endFunc() {
	pf := ps.cur
	ps.cur = nil
	for _, r := range pf.jumps {
		d, ok := pf.labels[r.name]
		if !ok {
			ps.errAt(ErrVerify, r.pos, "undefined label %s in func %s", r.name, pf.f.Name)
			continue
		}
		in := &pf.f.Code[r.inst]
		in.Arg = int64(d.inst)
		if in.Op == OpGuard {
			ps.prog.Sites[in.Site].Init = in.Arg
		}
	}
	pf.labels, pf.jumps = nil, nil
	// One allocation of the right size per function; the scratch keeps its
	// capacity for the next one.
	ps.scratch = pf.f.Code[:0]
	pf.f.Code = slices.Clone(pf.f.Code)
}

func (ps *parser) localsLine(kw token, rest []token) {
	pf := ps.cur
	if pf == nil {
		ps.syntax(kw.col, "locals outside a function")
		return
	}
	if pf.localsAt.IsValid() {
		ps.syntax(kw.col, "locals given twice in func %s (first at %s)", pf.f.Name, pf.localsAt)
		return
	}
	if pf.body {
		ps.syntax(kw.col, "locals must come before the first instruction or label of func %s", pf.f.Name)
		return
	}
	pf.localsAt = ps.pos(kw.col)
	if len(rest) == 0 {
		ps.syntax(kw.col, "expected the number of locals after locals")
		return
	}
	n, ok := ps.index(rest[0], "the number of locals", "locals")
	if !ok {
		return
	}
	pf.f.Locals = int(min(n, math.MaxInt32))
	ps.extra(kw, rest, 1)
}

func (ps *parser) entryLine(kw token, rest []token) {
	if ps.cur != nil {
		ps.syntax(kw.col, "entry inside func %s (it is a top-level directive)", ps.cur.f.Name)
		return
	}
	if ps.entryAt.IsValid() {
		ps.syntax(kw.col, "entry given twice (first at %s)", ps.entryAt)
		return
	}
	ps.entryAt = ps.pos(kw.col)
	if len(rest) == 0 {
		ps.syntax(kw.col, "expected a function name after entry")
		return
	}
	if name, ok := ps.name(rest[0], "function", "entry"); ok {
		ps.prog.Entry = name
		ps.extra(kw, rest, 1)
	}
}

// index parses a non-negative integer operand.
func (ps *parser) index(tok token, what, after string) (int64, bool) {
	v, ok := parseInt(tok.text)
	if !ok || v < 0 || tok.text[0] == '-' {
		if ok || !isIntLike(tok.text) {
			ps.syntax(tok.col, "expected %s after %s, found %q", what, after, tok.text)
		} else {
			ps.syntax(tok.col, "integer %s out of range", tok.text)
		}
		return 0, false
	}
	return v, true
}

func (ps *parser) integer(tok token, after string) (int64, bool) {
	v, ok := parseInt(tok.text)
	if !ok {
		if isIntLike(tok.text) {
			ps.syntax(tok.col, "integer %s out of range for int64", tok.text)
		} else {
			ps.syntax(tok.col, "expected an integer after %s, found %q", after, tok.text)
		}
		return 0, false
	}
	return v, true
}

// isIntLike reports whether s has the shape of an integer (sign, 0x, digits).
func isIntLike(s string) bool {
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
		if s == "" {
			return false
		}
		for i := 0; i < len(s); i++ {
			if hexDigit(s[i]) < 0 {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parseInt parses an optionally signed decimal or 0x-hexadecimal int64;
// -0x8000000000000000 is accepted, anything out of range is not.
func parseInt(s string) (int64, bool) {
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := uint64(10)
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		base = 16
		s = s[2:]
	}
	if s == "" {
		return 0, false
	}
	var mag uint64
	for i := 0; i < len(s); i++ {
		d := hexDigit(s[i])
		if d < 0 || uint64(d) >= base {
			return 0, false
		}
		if mag > (math.MaxUint64-uint64(d))/base {
			return 0, false
		}
		mag = mag*base + uint64(d)
	}
	if neg {
		if mag > 1<<63 {
			return 0, false
		}
		return int64(-mag), true
	}
	if mag > math.MaxInt64 {
		return 0, false
	}
	return int64(mag), true
}

var operandWants = [...]string{
	OperandInt:   "an integer",
	OperandIndex: "an index",
	OperandLabel: "a label",
	OperandFunc:  "a function name",
}

func (ps *parser) inst(op Op, kw token, rest []token) {
	pf := ps.cur
	if pf == nil {
		ps.syntax(kw.col, "instruction %s outside a function", op)
		return
	}
	pf.body = true
	if len(pf.f.Code) >= MaxFuncInsts {
		ps.limit(kw.col, "func %s has more than %d instructions", pf.f.Name, MaxFuncInsts)
		return
	}
	if ps.insts >= MaxProgramInsts {
		ps.limit(kw.col, "program has more than %d instructions", MaxProgramInsts)
		return
	}
	in := Inst{Op: op, Pos: ps.pos(kw.col)}
	idx := len(pf.f.Code)
	kind := op.Operand()
	want := 0
	switch kind {
	case OperandNone:
	case OperandInt, OperandIndex, OperandLabel, OperandFunc:
		want = 1
		if len(rest) == 0 {
			ps.syntax(kw.col, "expected %s after %s", operandWants[kind], op)
			return
		}
		t := rest[0]
		var ok bool
		switch kind {
		case OperandInt:
			in.Arg, ok = ps.integer(t, op.String())
		case OperandIndex:
			in.Arg, ok = ps.index(t, "an index", op.String())
		case OperandLabel:
			var name string
			if name, ok = ps.name(t, "label", op.String()); ok {
				pf.jumps = append(pf.jumps, ref{inst: idx, name: name, pos: ps.pos(t.col)})
			}
		case OperandFunc:
			var name string
			if name, ok = ps.name(t, "function", op.String()); ok {
				pf.calls = append(pf.calls, ref{inst: idx, name: name, pos: ps.pos(t.col)})
			}
		}
		if !ok {
			return
		}
	default: // a site and an operand
		want = 2
		if len(rest) == 0 {
			ps.syntax(kw.col, "expected a site name after %s", op)
			return
		}
		site, ok := ps.name(rest[0], "site", op.String())
		if !ok {
			return
		}
		after := op.String() + " " + site
		var second string
		switch kind {
		case OperandSiteInt:
			second = "an integer"
		case OperandSiteFunc:
			second = "a function name"
		default:
			second = "a label"
		}
		if len(rest) == 1 {
			ps.syntax(kw.col, "expected %s after %s", second, after)
			return
		}
		t := rest[1]
		switch kind {
		case OperandSiteInt:
			in.Arg, ok = ps.integer(t, after)
		case OperandSiteFunc:
			var name string
			if name, ok = ps.name(t, "function", after); ok {
				pf.calls = append(pf.calls, ref{inst: idx, name: name, pos: ps.pos(t.col)})
			}
		default:
			var name string
			if name, ok = ps.name(t, "label", after); ok {
				pf.jumps = append(pf.jumps, ref{inst: idx, name: name, pos: ps.pos(t.col)})
			}
		}
		if !ok {
			return
		}
		if first, dup := ps.siteNames[site]; dup {
			ps.errAt(ErrVerify, ps.pos(rest[0].col), "site %s defined twice (first at %s)", site, first)
			return
		}
		if len(ps.prog.Sites) >= MaxSites {
			ps.limit(kw.col, "program has more than %d sites", MaxSites)
			return
		}
		ps.siteNames[site] = ps.pos(rest[0].col)
		in.Site = int32(len(ps.prog.Sites))
		sk := SiteGuard
		switch op {
		case OpPConst:
			sk = SiteConst
		case OpPCall:
			sk = SiteCall
		}
		ps.prog.Sites = append(ps.prog.Sites, Site{Name: site, Kind: sk, Func: len(ps.prog.Funcs) - 1, Inst: idx, Init: in.Arg})
	}
	ps.extra(kw, rest, want) // the instruction is kept either way: no verification runs after an error
	pf.f.Code = append(pf.f.Code, in)
	ps.insts++
}

// resolveCalls resolves function names in call and pcall.
func (ps *parser) resolveCalls() {
	for _, pf := range ps.funcs {
		for _, r := range pf.calls {
			in := &pf.f.Code[r.inst]
			j, ok := ps.funcIdx[r.name]
			if !ok {
				if ps.stop {
					return
				}
				ps.errs = append(ps.errs, &Error{Pos: r.pos, Func: pf.f.Name, Inst: r.inst,
					Msg: fmt.Sprintf("%s of undefined function %s", in.Op, r.name), Kind: ErrVerify})
				ps.stop = len(ps.errs) >= maxErrors
				continue
			}
			in.Arg = int64(j)
			if in.Op == OpPCall {
				ps.prog.Sites[in.Site].Init = in.Arg
			}
		}
	}
}
