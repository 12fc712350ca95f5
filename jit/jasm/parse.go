package jasm

import (
	"fmt"
	"math"
	"strings"
	"unsafe"
)

// Parse reads a program from src (filename is used in positions only) and
// returns it verified. Errors are an ErrorList of *Error values that name
// file:line:col and say what was expected; syntax errors match ErrSyntax,
// unresolved names and verifier rule violations match ErrVerify. Parse never
// panics, runs in time linear in len(src) and stops at the limits (MaxFuncs,
// MaxFuncInsts, MaxProgramInsts, MaxSites, MaxNameLen) or after 10 errors.
// The program keeps no reference to src: the caller may reuse it.
//
// Allocations are per program and per function, never per instruction: the
// code of all functions is one array of pointer-free Insts, positions are
// a line and column per instruction with the file name held once per
// function (Func.InstPos).
func Parse(filename string, src []byte) (*Program, error) {
	ps := &parser{file: filename, prog: &Program{Entry: DefaultEntry}}
	ps.parse(src)
	if len(ps.errs) > 0 {
		return nil, ps.errs
	}
	ps.resolveCalls()
	if len(ps.errs) > 0 {
		return nil, ps.errs
	}
	// The parser's name table is the verifier's: it holds every function
	// once, at its index.
	if err := verify(ps.prog, ps.funcIdx); err != nil {
		return nil, err
	}
	return ps.prog, nil
}

// lc is a line and column in the file being parsed: a Pos without the file
// name, which the parser holds once.
type lc struct{ line, col int32 }

func (l lc) valid() bool { return l.line > 0 }

// ref is a name an instruction uses, resolved once its function (labels) or
// the whole file (functions) has been read.
type ref struct {
	fn       int32 // index in Program.Funcs of the instruction's function
	inst     int32 // the instruction's index in that function's Code
	at       lc    // of the name
	off, end int   // the name is src[off:end]
}

type labelDef struct {
	inst int32
	at   lc
}

type parser struct {
	file string
	// src is the text, read in place: tokens and the names looked up while
	// parsing are substrings of the caller's bytes. Every name the program
	// keeps is copied out (keep), so that nothing refers to them once Parse
	// returns.
	src  string
	prog *Program
	errs ErrorList

	// The function being read (nil outside one) and its state.
	cur      *Func
	labels   map[string]labelDef // cur's labels; cleared, not dropped, at its end
	jumps    []ref               // cur's label references
	body     bool                // an instruction or label of cur was seen (locals must come first)
	localsAt lc

	calls     []ref // function references of the whole file
	funcIdx   map[string]int
	siteNames map[string]lc
	entryAt   lc
	line      int
	stop      bool // a limit was hit or too many errors: give up

	// code holds the instructions of every function, one after the other:
	// code[:used] those of the functions read, code[used:used+n] those of
	// cur so far. Each Func.Code is a slice of it, capped at its length, set
	// when the function ends (writing an instruction stores no pointer).
	code    []Inst
	used, n int
	// funcs is where Func values are taken from (newFunc): room for as many
	// as the text can hold, made at once.
	funcs []Func
	// names is where the names the program keeps are copied to (keep).
	names []byte
}

// token is a word of the line: src[off:end] (offsets rather than a string,
// so that storing one involves no pointer), at column col.
type token struct{ off, end, col int }

// text returns the token's text, a substring of the source.
func (ps *parser) text(t token) string { return ps.src[t.off:t.end] }

// keep returns a copy of s, a substring of src, for the program to hold.
// The copies are packed into a few shared arrays (names are short), whose
// bytes are never written again once a string refers to them.
func (ps *parser) keep(s string) string {
	if s == "" {
		return ""
	}
	if cap(ps.names)-len(ps.names) < len(s) {
		ps.names = make([]byte, 0, max(len(s), min(2*cap(ps.names), 4096), 256))
	}
	off := len(ps.names)
	ps.names = append(ps.names, s...)
	return unsafe.String(&ps.names[off], len(s))
}

// refTo is a reference, at column t.col, by instruction idx of function fn
// to the name in t.
func (ps *parser) refTo(fn, idx int32, t token) ref {
	return ref{fn: fn, inst: idx, at: ps.at(t.col), off: t.off, end: t.end}
}

// refName returns the name r refers to.
func (ps *parser) refName(r ref) string { return ps.src[r.off:r.end] }

func (ps *parser) pos(col int) Pos { return Pos{File: ps.file, Line: ps.line, Col: col} }

// at is the current line and column col, as instructions store them.
func (ps *parser) at(col int) lc { return lc{clamp32(ps.line), clamp32(col)} }

// posOf is the position of l in the file.
func (ps *parser) posOf(l lc) Pos { return Pos{File: ps.file, Line: int(l.line), Col: int(l.col)} }

func clamp32(n int) int32 { return int32(min(n, math.MaxInt32)) }

func (ps *parser) errAt(kind error, pos Pos, format string, args ...any) {
	if ps.stop {
		return
	}
	e := &Error{Pos: pos, Inst: -1, Msg: fmt.Sprintf(format, args...), Kind: kind}
	if ps.cur != nil {
		e.Func = ps.cur.Name
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

// tokenize appends the white-space separated tokens of the line that starts
// at src[start] to toks, up to a ';' (a comment), the end of the line or
// maxLineTokens tokens, and returns them with the start of the next line.
// A token is a pair of offsets into src: no allocation per token.
func tokenize(src string, start int, toks []token) ([]token, int) {
	i := start
	for {
		for i < len(src) && charClass[src[i]] == classSpace {
			i++
		}
		if i == len(src) {
			return toks, i
		}
		if c := src[i]; c == '\n' {
			return toks, i + 1
		} else if c == ';' || len(toks) == maxLineTokens {
			break
		}
		t := i
		for i < len(src) && charClass[src[i]] == classWord {
			i++
		}
		toks = append(toks, token{off: t, end: i, col: t - start + 1})
	}
	// The rest of the line is a comment or beyond the tokens a line may hold.
	if j := strings.IndexByte(src[i:], '\n'); j >= 0 {
		return toks, i + j + 1
	}
	return toks, len(src)
}

// Character classes of the tokenizer: white space (isSpace), the ends of a
// token's line ('\n', ';'), and everything else, which words are made of.
const (
	classWord = iota
	classSpace
	classEnd
)

var charClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case isSpace(byte(c)):
			t[c] = classSpace
		case c == '\n' || c == ';':
			t[c] = classEnd
		}
	}
	return t
}()

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }

// mnemonic returns the operation whose mnemonic is s, or OpInvalid.
func mnemonic(s string) Op {
	switch s {
	case "push":
		return OpPush
	case "pop":
		return OpPop
	case "dup":
		return OpDup
	case "swap":
		return OpSwap
	case "arg":
		return OpArg
	case "load":
		return OpLoad
	case "store":
		return OpStore
	case "add":
		return OpAdd
	case "sub":
		return OpSub
	case "mul":
		return OpMul
	case "div":
		return OpDiv
	case "rem":
		return OpRem
	case "and":
		return OpAnd
	case "or":
		return OpOr
	case "xor":
		return OpXor
	case "shl":
		return OpShl
	case "shr":
		return OpShr
	case "sar":
		return OpSar
	case "neg":
		return OpNeg
	case "not":
		return OpNot
	case "eq":
		return OpEq
	case "ne":
		return OpNe
	case "lt":
		return OpLt
	case "le":
		return OpLe
	case "gt":
		return OpGt
	case "ge":
		return OpGe
	case "jmp":
		return OpJmp
	case "jz":
		return OpJz
	case "jnz":
		return OpJnz
	case "call":
		return OpCall
	case "ret":
		return OpRet
	case "pconst":
		return OpPConst
	case "pcall":
		return OpPCall
	case "guard":
		return OpGuard
	}
	return OpInvalid
}

func (ps *parser) parse(text []byte) {
	var buf [maxLineTokens]token
	src := unsafe.String(unsafe.SliceData(text), len(text)) // no copy: see parser.src
	ps.src = src
	lines := strings.Count(src, "\n") + 1
	// Every func line says "func", and a function takes three lines at
	// least: room for that many functions is made at once.
	n := min(strings.Count(src, "func"), lines/3+1, MaxFuncs)
	ps.funcs = make([]Func, 0, n)
	ps.prog.Funcs = make([]*Func, 0, n)
	ps.funcIdx = make(map[string]int, n)
	ps.calls = make([]ref, 0, n) // as many calls as functions, to start with
	// Every function's code lives in one array, allocated here: a line
	// holds at most one instruction, and the program at most
	// MaxProgramInsts.
	ps.code = make([]Inst, min(lines, MaxProgramInsts))
	for i := 0; i < len(src) && !ps.stop; {
		ps.line++
		var toks []token
		toks, i = tokenize(src, i, buf[:0])
		ps.parseLine(toks)
	}
	if ps.stop {
		return
	}
	if ps.cur != nil {
		ps.line++
		ps.syntax(1, "expected end of func %s before the end of the file", strings.TrimSpace(ps.cur.Name+" "))
		ps.endFunc()
	}
	if len(ps.prog.Funcs) == 0 && len(ps.errs) == 0 {
		ps.line = max(ps.line, 1)
		ps.syntax(1, "expected a func; the file has no functions")
	}
	// A file of comments and blank lines leaves most of the array unused:
	// give the functions one of their size.
	if n := ps.used; len(ps.errs) == 0 && len(ps.code)-n > n && len(ps.code) > 64 {
		code := make([]Inst, 0, n)
		for _, f := range ps.prog.Funcs {
			off := len(code)
			code = append(code, f.Code...)
			f.Code = code[off:len(code):len(code)]
		}
		ps.code = code
	}
}

func (ps *parser) parseLine(toks []token) {
	for len(toks) > 0 && strings.HasSuffix(ps.text(toks[0]), ":") {
		ps.label(toks[0])
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return
	}
	kw, rest := toks[0], toks[1:]
	switch ps.text(kw) {
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
		op := mnemonic(ps.text(kw))
		if op == OpInvalid {
			ps.syntax(kw.col, "unknown instruction %q", ps.text(kw))
			return
		}
		ps.inst(op, kw, rest)
	}
}

// extra reports an error if rest holds more than n tokens; it returns
// whether it did not.
func (ps *parser) extra(kw token, rest []token, n int) bool {
	if len(rest) > n {
		ps.syntax(rest[n].col, "unexpected %q after %s", ps.text(rest[n]), ps.text(kw))
		return false
	}
	return true
}

func (ps *parser) name(tok token, what string, after string) (string, bool) {
	text := ps.text(tok)
	if len(text) > MaxNameLen {
		ps.syntax(tok.col, "%s name longer than %d bytes", what, MaxNameLen)
		return "", false
	}
	if !validName(text) {
		ps.syntax(tok.col, "expected %s name after %s, found %q", article(what), after, text)
		return "", false
	}
	return text, true
}

func article(what string) string {
	if strings.IndexByte("aeiou", what[0]) >= 0 {
		return "an " + what
	}
	return "a " + what
}

func (ps *parser) label(tok token) {
	name := ps.text(tok)
	name = name[:len(name)-1]
	f := ps.cur
	if f == nil {
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
	ps.body = true
	if d, dup := ps.labels[name]; dup {
		ps.errAt(ErrVerify, ps.pos(tok.col), "label %s defined twice in func %s (first at %s)", name, f.Name, ps.posOf(d.at))
		return
	}
	if len(ps.labels) >= MaxFuncInsts {
		ps.limit(tok.col, "func %s has more than %d labels", f.Name, MaxFuncInsts)
		return
	}
	if ps.labels == nil {
		ps.labels = map[string]labelDef{} // made at the first label of the file, reused by every function
	}
	ps.labels[name] = labelDef{inst: int32(ps.n), at: ps.at(tok.col)}
}

// newFunc returns a zero Func from the parser's supply; should the
// estimate made in parse fall short, the supply grows geometrically, not
// one allocation per function.
func (ps *parser) newFunc() *Func {
	if len(ps.funcs) == cap(ps.funcs) {
		ps.funcs = make([]Func, 0, min(max(8, 2*cap(ps.funcs)), MaxFuncs))
	}
	ps.funcs = ps.funcs[:len(ps.funcs)+1]
	return &ps.funcs[len(ps.funcs)-1]
}

func (ps *parser) funcLine(kw token, rest []token) {
	if ps.cur != nil {
		ps.syntax(kw.col, "func inside func %s (missing end?)", ps.cur.Name)
		ps.endFunc()
	}
	if len(ps.prog.Funcs) >= MaxFuncs {
		ps.limit(kw.col, "more than %d functions", MaxFuncs)
		return
	}
	f := ps.newFunc()
	f.Pos = ps.pos(kw.col)
	ps.cur, ps.body, ps.localsAt = f, false, lc{}
	ps.prog.Funcs = append(ps.prog.Funcs, f)
	if len(rest) == 0 {
		ps.syntax(kw.col, "expected a function name after func")
		return
	}
	name, ok := ps.name(rest[0], "function", "func")
	if !ok {
		return
	}
	name = ps.keep(name)
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
	n, ok := ps.index(rest[1], "the number of parameters", "func", name)
	if !ok {
		return
	}
	f.Params = int(min(n, math.MaxInt32))
	ps.extra(kw, rest, 2)
}

func (ps *parser) endFunc() {
	f := ps.cur
	ps.cur = nil
	end := ps.used + ps.n
	f.Code = ps.code[ps.used:end:end]
	ps.used, ps.n = end, 0
	for _, r := range ps.jumps {
		d, ok := ps.labels[ps.refName(r)]
		if !ok {
			ps.errAt(ErrVerify, ps.posOf(r.at), "undefined label %s in func %s", ps.refName(r), f.Name)
			continue
		}
		in := &f.Code[r.inst]
		in.Arg = int64(d.inst)
		if in.Op == OpGuard {
			ps.prog.Sites[in.Site].Init = in.Arg
		}
	}
	clear(ps.labels)
	ps.jumps = ps.jumps[:0]
}

func (ps *parser) localsLine(kw token, rest []token) {
	f := ps.cur
	if f == nil {
		ps.syntax(kw.col, "locals outside a function")
		return
	}
	if ps.localsAt.valid() {
		ps.syntax(kw.col, "locals given twice in func %s (first at %s)", f.Name, ps.posOf(ps.localsAt))
		return
	}
	if ps.body {
		ps.syntax(kw.col, "locals must come before the first instruction or label of func %s", f.Name)
		return
	}
	ps.localsAt = ps.at(kw.col)
	if len(rest) == 0 {
		ps.syntax(kw.col, "expected the number of locals after locals")
		return
	}
	n, ok := ps.index(rest[0], "the number of locals", "locals", "")
	if !ok {
		return
	}
	f.Locals = int(min(n, math.MaxInt32))
	ps.extra(kw, rest, 1)
}

func (ps *parser) entryLine(kw token, rest []token) {
	if ps.cur != nil {
		ps.syntax(kw.col, "entry inside func %s (it is a top-level directive)", ps.cur.Name)
		return
	}
	if ps.entryAt.valid() {
		ps.syntax(kw.col, "entry given twice (first at %s)", ps.posOf(ps.entryAt))
		return
	}
	ps.entryAt = ps.at(kw.col)
	if len(rest) == 0 {
		ps.syntax(kw.col, "expected a function name after entry")
		return
	}
	if name, ok := ps.name(rest[0], "function", "entry"); ok {
		ps.prog.Entry = ps.keep(name)
		ps.extra(kw, rest, 1)
	}
}

// index parses a non-negative integer operand, what comes after the word
// after (followed by name, if any: the message is only made on an error).
func (ps *parser) index(tok token, what, after, name string) (int64, bool) {
	text := ps.text(tok)
	v, ok := parseInt(text)
	if !ok || v < 0 || text[0] == '-' {
		if name != "" {
			after += " " + name
		}
		if ok || !isIntLike(text) {
			ps.syntax(tok.col, "expected %s after %s, found %q", what, after, text)
		} else {
			ps.syntax(tok.col, "integer %s out of range", text)
		}
		return 0, false
	}
	return v, true
}

func (ps *parser) integer(tok token, after string) (int64, bool) {
	text := ps.text(tok)
	v, ok := parseInt(text)
	if !ok {
		if isIntLike(text) {
			ps.syntax(tok.col, "integer %s out of range for int64", text)
		} else {
			ps.syntax(tok.col, "expected an integer after %s, found %q", after, text)
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
	// No value of up to 15 digits overflows 64 bits in either base: only
	// longer ones need the check (against a constant cutoff, not a
	// division per digit).
	safe := len(s) <= 15
	cutoff := math.MaxUint64 / base
	for i := 0; i < len(s); i++ {
		d := uint64(hexDigit(s[i]))
		if d >= base { // a negative hexDigit is a huge uint64
			return 0, false
		}
		if !safe && (mag > cutoff || mag == cutoff && d > math.MaxUint64%base) {
			return 0, false
		}
		mag = mag*base + d
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
	f := ps.cur
	if f == nil {
		ps.syntax(kw.col, "instruction %s outside a function", op)
		return
	}
	ps.body = true
	if ps.n >= MaxFuncInsts {
		ps.limit(kw.col, "func %s has more than %d instructions", f.Name, MaxFuncInsts)
		return
	}
	if ps.used+ps.n >= MaxProgramInsts {
		ps.limit(kw.col, "program has more than %d instructions", MaxProgramInsts)
		return
	}
	at := ps.at(kw.col)
	in := Inst{Op: op, Line: at.line, Col: at.col}
	fn, idx := int32(len(ps.prog.Funcs)-1), int32(ps.n)
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
			in.Arg, ok = ps.index(t, "an index", op.String(), "")
		case OperandLabel:
			if _, ok = ps.name(t, "label", op.String()); ok {
				ps.jumps = append(ps.jumps, ps.refTo(fn, idx, t))
			}
		case OperandFunc:
			if _, ok = ps.name(t, "function", op.String()); ok {
				ps.calls = append(ps.calls, ps.refTo(fn, idx, t))
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
			if _, ok = ps.name(t, "function", after); ok {
				ps.calls = append(ps.calls, ps.refTo(fn, idx, t))
			}
		default:
			if _, ok = ps.name(t, "label", after); ok {
				ps.jumps = append(ps.jumps, ps.refTo(fn, idx, t))
			}
		}
		if !ok {
			return
		}
		if first, dup := ps.siteNames[site]; dup {
			ps.errAt(ErrVerify, ps.pos(rest[0].col), "site %s defined twice (first at %s)", site, ps.posOf(first))
			return
		}
		if len(ps.prog.Sites) >= MaxSites {
			ps.limit(kw.col, "program has more than %d sites", MaxSites)
			return
		}
		if ps.siteNames == nil {
			ps.siteNames = map[string]lc{}
		}
		site = ps.keep(site)
		ps.siteNames[site] = ps.at(rest[0].col)
		in.Site = int32(len(ps.prog.Sites))
		sk := SiteGuard
		switch op {
		case OpPConst:
			sk = SiteConst
		case OpPCall:
			sk = SiteCall
		}
		ps.prog.Sites = append(ps.prog.Sites, Site{Name: site, Kind: sk, Func: int(fn), Inst: int(idx), Init: in.Arg})
	}
	ps.extra(kw, rest, want) // the instruction is kept either way: no verification runs after an error
	ps.code[ps.used+ps.n] = in
	ps.n++
}

// resolveCalls resolves function names in call and pcall.
func (ps *parser) resolveCalls() {
	for _, r := range ps.calls {
		f := ps.prog.Funcs[r.fn]
		in := &f.Code[r.inst]
		j, ok := ps.funcIdx[ps.refName(r)]
		if !ok {
			if ps.stop {
				return
			}
			ps.errs = append(ps.errs, &Error{Pos: ps.posOf(r.at), Func: f.Name, Inst: int(r.inst),
				Msg: fmt.Sprintf("%s of undefined function %s", in.Op, ps.refName(r)), Kind: ErrVerify})
			ps.stop = len(ps.errs) >= maxErrors
			continue
		}
		in.Arg = int64(j)
		if in.Op == OpPCall {
			ps.prog.Sites[in.Site].Init = in.Arg
		}
	}
}
