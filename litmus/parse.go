package litmus

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The format (docs/litmus.md has the full description):
//
//	litmus CMC+flag
//	doc "Message passing of new code; no serialising instruction on the reader."
//	site f branch old new            # versions; "init V" and "at N" optional
//	data flag = 0
//	thread 0
//	    write f new atomic rw
//	    sync_icache f
//	    store flag 1
//	thread 1
//	    flag = load flag
//	    ran = exec f
//	exists (1:flag=1 /\ 1:ran=old)
//	expect amd64 allowed "Intel SDM Vol. 3 §8.1.3"
//
// One statement per line; # starts a comment; indentation is free.

// tokKind is a token's kind.
type tokKind int

const (
	tokWord  tokKind = iota + 1 // a name, keyword or integer
	tokStr                      // a double-quoted string (Go syntax)
	tokPunct                    // = ( ) : ~ /\ \/
)

type token struct {
	kind tokKind
	text string // for tokStr: the unquoted value
	pos  Pos
}

// isWordByte reports whether c may appear in a word token.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '+' || c == '-' || c == '.'
}

// lexLine splits one line into tokens; end is the column just past the
// statement (before a comment and trailing blanks).
func lexLine(file string, lineNo int, line string) (toks []token, end int, err error) {
	end = 1
	for i := 0; i < len(line); {
		c := line[i]
		pos := Pos{File: file, Line: lineNo, Col: i + 1}
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#':
			return toks, end, nil
		case isWordByte(c):
			j := i
			for j < len(line) && isWordByte(line[j]) {
				j++
			}
			toks = append(toks, token{tokWord, line[i:j], pos})
			i, end = j, j+1
		case c == '"':
			j := i + 1
			for j < len(line) && line[j] != '"' {
				if line[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(line) {
				return nil, 0, &Error{pos, "unterminated string", ErrSyntax}
			}
			s, err := strconv.Unquote(line[i : j+1])
			if err != nil {
				return nil, 0, &Error{pos, "bad string " + line[i:j+1] + ": " + err.Error(), ErrSyntax}
			}
			toks = append(toks, token{tokStr, s, pos})
			i = j + 1
			end = i + 1
		case c == '=' || c == '(' || c == ')' || c == ':' || c == '~':
			toks = append(toks, token{tokPunct, string(c), pos})
			i++
			end = i + 1
		case c == '/' && i+1 < len(line) && line[i+1] == '\\',
			c == '\\' && i+1 < len(line) && line[i+1] == '/':
			toks = append(toks, token{tokPunct, line[i : i+2], pos})
			i += 2
			end = i + 1
		default:
			return nil, 0, &Error{pos, fmt.Sprintf("unexpected character %q", c), ErrSyntax}
		}
	}
	return toks, end, nil
}

// Names: identifiers for sites, versions, data words and registers; a test
// name may also hold + - and . (CMC+flag, SMC-alias).
func isIdent(s string) bool {
	if s == "" || !(s[0] == '_' || s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// reserved cannot name a version: they are keywords of a site line or
// values of the condition.
var reserved = []string{"init", "at", "torn", "crash"}

// parser holds the state of one ParseFile.
type parser struct {
	t    *Test
	toks []token
	i    int
	end  Pos // just past the line's last token
}

func (p *parser) errf(pos Pos, kind error, format string, args ...any) error {
	return &Error{pos, fmt.Sprintf(format, args...), kind}
}

// peek returns the next token of the line, or a zero token at the end.
func (p *parser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{pos: p.end}
}

func (p *parser) next() token {
	t := p.peek()
	if p.i < len(p.toks) {
		p.i++
	}
	return t
}

func (p *parser) atEnd() bool { return p.i >= len(p.toks) }

// want returns the next token, which must be of kind k (and, when text is
// not "", spelled text).
func (p *parser) want(k tokKind, text, what string) (token, error) {
	t := p.next()
	if t.kind != k || text != "" && t.text != text {
		return t, p.errf(t.pos, ErrSyntax, "expected %s, found %s", what, describe(t))
	}
	return t, nil
}

func describe(t token) string {
	switch t.kind {
	case 0:
		return "end of line"
	case tokStr:
		return strconv.Quote(t.text)
	}
	return "'" + t.text + "'"
}

func (p *parser) ident(what string) (token, error) {
	t := p.next()
	if t.kind != tokWord || !isIdent(t.text) {
		return t, p.errf(t.pos, ErrSyntax, "expected %s (a name: letters, digits, _), found %s", what, describe(t))
	}
	return t, nil
}

func (p *parser) integer(what string) (int64, token, error) {
	t := p.next()
	if t.kind != tokWord {
		return 0, t, p.errf(t.pos, ErrSyntax, "expected %s (an integer), found %s", what, describe(t))
	}
	v, err := strconv.ParseInt(t.text, 0, 64)
	if err != nil {
		return 0, t, p.errf(t.pos, ErrSyntax, "expected %s (an integer), found %s", what, describe(t))
	}
	return v, t, nil
}

func (p *parser) endOfLine() error {
	if !p.atEnd() {
		t := p.peek()
		return p.errf(t.pos, ErrSyntax, "unexpected %s at the end of the statement", describe(t))
	}
	return nil
}

// section orders the statements of a file.
type section int

const (
	secStart   section = iota // before "litmus"
	secHeader                 // after "litmus": doc
	secDecls                  // site, data
	secThreads                // thread and its operations
	secExists                 // after exists: expect
)

// ParseFile parses the litmus test in src; name is used in positions and
// kept in Test.File. The error is an *Error ("file:line:col: ...") that
// matches ErrSyntax, ErrUndefined or ErrDuplicate with errors.Is.
func ParseFile(name string, src []byte) (*Test, error) {
	t := &Test{File: name}
	p := &parser{t: t}
	sec := secStart
	for lineNo, line := range strings.Split(string(src), "\n") {
		toks, endCol, err := lexLine(name, lineNo+1, line)
		if err != nil {
			return nil, err
		}
		if len(toks) == 0 {
			continue
		}
		p.toks, p.i = toks, 0
		p.end = Pos{name, lineNo + 1, endCol}
		first := toks[0]
		kw := ""
		if first.kind == tokWord {
			kw = first.text
		}
		// An assignment (REG = load D, REG = exec S) or an operation verb.
		isOp := len(toks) > 1 && toks[1].kind == tokPunct && toks[1].text == "=" ||
			kw == "write" || kw == "store" || kw == "serialise" || kw == "membarrier" || kw == "sync_icache"
		switch {
		case sec == secStart && kw != "litmus":
			return nil, p.errf(first.pos, ErrSyntax, "a litmus test starts with \"litmus NAME\", found %s", describe(first))
		case isOp:
			if sec != secThreads {
				return nil, p.errf(first.pos, ErrSyntax, "an operation outside a thread (start one with \"thread N\")")
			}
			err = p.parseOp()
		case kw == "litmus":
			if sec != secStart {
				return nil, p.errf(first.pos, ErrDuplicate, "a second \"litmus\" line (one test per file)")
			}
			err = p.parseLitmus()
			sec = secHeader
		case kw == "doc":
			if sec != secHeader {
				return nil, p.errf(first.pos, ErrSyntax, "doc belongs right after the litmus line")
			}
			err = p.parseDoc()
		case kw == "site" || kw == "data":
			if sec > secDecls {
				return nil, p.errf(first.pos, ErrSyntax, "%s after the threads: declare sites and data words first", kw)
			}
			sec = secDecls
			if kw == "site" {
				err = p.parseSite()
			} else {
				err = p.parseData()
			}
		case kw == "thread":
			if sec > secThreads {
				return nil, p.errf(first.pos, ErrSyntax, "thread after exists")
			}
			sec = secThreads
			err = p.parseThread()
		case kw == "exists":
			switch {
			case sec == secExists:
				return nil, p.errf(first.pos, ErrDuplicate, "a second exists condition")
			case sec != secThreads:
				return nil, p.errf(first.pos, ErrSyntax, "exists comes after the threads")
			}
			sec = secExists
			err = p.parseExists()
		case kw == "expect":
			if sec != secExists {
				return nil, p.errf(first.pos, ErrSyntax, "expect comes after exists")
			}
			err = p.parseExpect()
		default:
			return nil, p.errf(first.pos, ErrSyntax, "unknown statement %s", describe(first))
		}
		if err != nil {
			return nil, err
		}
	}
	end := Pos{File: name}
	switch {
	case sec == secStart:
		return nil, p.errf(end, ErrSyntax, "empty test: no \"litmus NAME\" line")
	case len(t.Threads) == 0:
		return nil, p.errf(t.Pos, ErrSyntax, "test %s has no thread", t.Name)
	case t.Exists == nil:
		return nil, p.errf(t.Pos, ErrSyntax, "test %s has no exists condition", t.Name)
	}
	for _, th := range t.Threads {
		if len(th.Ops) == 0 {
			return nil, p.errf(th.Pos, ErrSyntax, "thread %d has no operation", th.ID)
		}
		if err := checkParks(th); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (p *parser) parseLitmus() error {
	kw := p.next()
	name := p.next()
	if name.kind != tokWord {
		return p.errf(name.pos, ErrSyntax, "expected the test's name after litmus, found %s", describe(name))
	}
	p.t.Name, p.t.Pos = name.text, kw.pos
	return p.endOfLine()
}

func (p *parser) parseDoc() error {
	p.next()
	s, err := p.want(tokStr, "", "a quoted string after doc")
	if err != nil {
		return err
	}
	if strings.ContainsAny(s.text, "\n\r") {
		return p.errf(s.pos, ErrSyntax, "a doc string is one line (write several doc lines)")
	}
	p.t.Doc = append(p.t.Doc, s.text)
	return p.endOfLine()
}

// declared reports whether name is already a site or data word.
func (p *parser) declared(name string) bool {
	return p.t.Site(name) != nil || p.t.DataWord(name) != nil
}

func (p *parser) parseSite() error {
	kw := p.next()
	name, err := p.ident("the site's name")
	if err != nil {
		return err
	}
	if p.declared(name.text) {
		return p.errf(name.pos, ErrDuplicate, "%s is declared twice", name.text)
	}
	if len(p.t.Sites) == MaxSites {
		return p.errf(name.pos, ErrSyntax, "site %s: a test has at most %d sites", name.text, MaxSites)
	}
	shapeTok := p.next()
	s := &Site{Name: name.text, At: -1, Pos: kw.pos}
	for sh, n := range shapeNames {
		if shapeTok.kind == tokWord && shapeTok.text == n {
			s.Shape = sh
		}
	}
	if s.Shape == 0 {
		return p.errf(shapeTok.pos, ErrSyntax, "expected a shape (imm, wide, branch, call, guard, slot), found %s", describe(shapeTok))
	}
	for !p.atEnd() && !(p.peek().kind == tokWord && (p.peek().text == "init" || p.peek().text == "at")) {
		v, err := p.ident("a version name")
		if err != nil {
			return err
		}
		if slices.Contains(reserved, v.text) {
			return p.errf(v.pos, ErrSyntax, "%q is reserved: it cannot name a version", v.text)
		}
		if s.Version(v.text) >= 0 {
			return p.errf(v.pos, ErrDuplicate, "version %s of site %s is named twice", v.text, s.Name)
		}
		s.Versions = append(s.Versions, v.text)
	}
	switch {
	case len(s.Versions) < 2:
		return p.errf(shapeTok.pos, ErrSyntax, "site %s needs at least two versions", s.Name)
	case len(s.Versions) > MaxVersions:
		return p.errf(shapeTok.pos, ErrSyntax, "site %s has %d versions (at most %d)", s.Name, len(s.Versions), MaxVersions)
	case s.Shape == ShapeGuard && len(s.Versions) != 2:
		return p.errf(shapeTok.pos, ErrSyntax, "guard site %s has exactly two versions (disarmed, armed)", s.Name)
	}
	seenInit, seenAt := false, false
	for !p.atEnd() {
		kw := p.next()
		switch {
		case kw.text == "init" && !seenInit:
			v, err := p.ident("the initial version")
			if err != nil {
				return err
			}
			if s.Init = s.Version(v.text); s.Init < 0 {
				return p.errf(v.pos, ErrUndefined, "site %s has no version %s", s.Name, v.text)
			}
			seenInit = true
		case kw.text == "at" && !seenAt:
			at, tok, err := p.integer("the site's offset")
			if err != nil {
				return err
			}
			if at < 0 || at > 63 {
				return p.errf(tok.pos, ErrSyntax, "offset %d: a site starts at 0..63 in its 64-byte-aligned blob", at)
			}
			s.At, seenAt = int(at), true
		default:
			return p.errf(kw.pos, ErrSyntax, "unexpected %s in a site line (init VERSION, at OFFSET)", describe(kw))
		}
	}
	p.t.Sites = append(p.t.Sites, s)
	return nil
}

func (p *parser) parseData() error {
	kw := p.next()
	name, err := p.ident("the data word's name")
	if err != nil {
		return err
	}
	if p.declared(name.text) {
		return p.errf(name.pos, ErrDuplicate, "%s is declared twice", name.text)
	}
	d := &Data{Name: name.text, Pos: kw.pos}
	if !p.atEnd() {
		if _, err := p.want(tokPunct, "=", "'=' and the initial value"); err != nil {
			return err
		}
		if d.Init, _, err = p.integer("the initial value"); err != nil {
			return err
		}
	}
	p.t.Data = append(p.t.Data, d)
	return p.endOfLine()
}

func (p *parser) parseThread() error {
	kw := p.next()
	n, tok, err := p.integer("the thread's number")
	if err != nil {
		return err
	}
	if int(n) != len(p.t.Threads) {
		return p.errf(tok.pos, ErrSyntax, "thread %d: threads are numbered 0, 1, ... in order (expected %d)", n, len(p.t.Threads))
	}
	if n >= MaxThreads {
		return p.errf(tok.pos, ErrSyntax, "thread %d: a test has at most %d threads (0 to %d)", n, MaxThreads, MaxThreads-1)
	}
	p.t.Threads = append(p.t.Threads, &Thread{ID: int(n), Pos: kw.pos})
	return p.endOfLine()
}

func (p *parser) site(what string) (*Site, token, error) {
	tok, err := p.ident(what)
	if err != nil {
		return nil, tok, err
	}
	s := p.t.Site(tok.text)
	if s == nil {
		return nil, tok, p.errf(tok.pos, ErrUndefined, "no site %s", tok.text)
	}
	return s, tok, nil
}

func (p *parser) data(what string) (*Data, error) {
	tok, err := p.ident(what)
	if err != nil {
		return nil, err
	}
	d := p.t.DataWord(tok.text)
	if d == nil {
		return nil, p.errf(tok.pos, ErrUndefined, "no data word %s", tok.text)
	}
	return d, nil
}

func (p *parser) parseOp() error {
	th := p.t.Threads[len(p.t.Threads)-1]
	first := p.peek()
	op := &Op{Pos: first.pos}
	if len(p.toks) > 1 && p.toks[1].kind == tokPunct && p.toks[1].text == "=" {
		reg, err := p.ident("a register name")
		if err != nil {
			return err
		}
		if p.t.RegOp(th.ID, reg.text) != nil {
			return p.errf(reg.pos, ErrDuplicate, "thread %d writes register %s twice", th.ID, reg.text)
		}
		p.next() // =
		op.Reg = reg.text
		verb := p.next()
		switch {
		case verb.kind == tokWord && verb.text == "load":
			d, err := p.data("the data word to load")
			if err != nil {
				return err
			}
			op.Kind, op.Data = OpLoad, d.Name
		case verb.kind == tokWord && verb.text == "exec":
			s, _, err := p.site("the site to execute")
			if err != nil {
				return err
			}
			op.Kind, op.Site = OpExec, s.Name
		default:
			return p.errf(verb.pos, ErrSyntax, "expected load or exec after '%s =', found %s", reg.text, describe(verb))
		}
	} else {
		verb := p.next()
		switch verb.text {
		case "write":
			s, _, err := p.site("the site to write")
			if err != nil {
				return err
			}
			v, err := p.ident("the version to write")
			if err != nil {
				return err
			}
			if s.Version(v.text) < 0 {
				return p.errf(v.pos, ErrUndefined, "site %s has no version %s", s.Name, v.text)
			}
			op.Kind, op.Site, op.Version, op.Mode, op.Via = OpWrite, s.Name, v.text, Atomic, RW
			seenMode, seenVia := false, false
			for !p.atEnd() {
				w := p.next()
				found := false
				for m, n := range modeNames {
					if w.kind == tokWord && w.text == n && !seenMode {
						op.Mode, seenMode, found = m, true, true
					}
				}
				for vw, n := range viewNames {
					if w.kind == tokWord && w.text == n && !seenVia {
						op.Via, seenVia, found = vw, true, true
					}
				}
				if !found {
					return p.errf(w.pos, ErrSyntax, "unexpected %s in a write (atomic, bytewise, straddle, park, tail or head; rw or same)", describe(w))
				}
			}
		case "store":
			d, err := p.data("the data word to store to")
			if err != nil {
				return err
			}
			v, _, err := p.integer("the value to store")
			if err != nil {
				return err
			}
			op.Kind, op.Data, op.Value = OpStore, d.Name, v
		case "serialise":
			op.Kind = OpSerialise
		case "membarrier":
			op.Kind = OpMembarrier
		case "sync_icache":
			s, _, err := p.site("the site whose cache lines to maintain")
			if err != nil {
				return err
			}
			op.Kind, op.Site = OpSyncICache, s.Name
		}
	}
	th.Ops = append(th.Ops, op)
	return p.endOfLine()
}

func (p *parser) parseExists() error {
	p.next()
	e, err := p.parseOr()
	if err != nil {
		return err
	}
	p.t.Exists = e
	return p.endOfLine()
}

// parseOr: and { \/ and }
func (p *parser) parseOr() (*Expr, error) {
	return p.parseBinary(ExprOr, `\/`, p.parseAnd)
}

// parseAnd: unary { /\ unary }
func (p *parser) parseAnd() (*Expr, error) {
	return p.parseBinary(ExprAnd, `/\`, p.parseUnary)
}

func (p *parser) parseBinary(kind ExprKind, op string, sub func() (*Expr, error)) (*Expr, error) {
	first, err := sub()
	if err != nil {
		return nil, err
	}
	args := []*Expr{first}
	for t := p.peek(); t.kind == tokPunct && t.text == op; t = p.peek() {
		p.next()
		e, err := sub()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if len(args) == 1 {
		return first, nil
	}
	return &Expr{Kind: kind, Args: args, Pos: first.Pos}, nil
}

func (p *parser) parseUnary() (*Expr, error) {
	t := p.peek()
	switch {
	case t.kind == tokPunct && t.text == "~":
		p.next()
		e, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &Expr{Kind: ExprNot, Args: []*Expr{e}, Pos: t.pos}, nil
	case t.kind == tokPunct && t.text == "(":
		p.next()
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if _, err := p.want(tokPunct, ")", "')'"); err != nil {
			return nil, err
		}
		return e, nil
	case t.kind == tokWord && t.text == "crash":
		p.next()
		return &Expr{Kind: ExprCrash, Pos: t.pos}, nil
	}
	return p.parseAtom()
}

// parseAtom: THREAD ':' REG '=' VALUE
func (p *parser) parseAtom() (*Expr, error) {
	n, thTok, err := p.integer("a condition (T:reg=value, crash, ~, or a parenthesised condition)")
	if err != nil {
		return nil, err
	}
	if _, err := p.want(tokPunct, ":", "':' after the thread number"); err != nil {
		return nil, err
	}
	reg, err := p.ident("a register name")
	if err != nil {
		return nil, err
	}
	if _, err := p.want(tokPunct, "=", "'=' after the register"); err != nil {
		return nil, err
	}
	val := p.next()
	if val.kind != tokWord {
		return nil, p.errf(val.pos, ErrSyntax, "expected a value after '=', found %s", describe(val))
	}
	if n < 0 || int(n) >= len(p.t.Threads) {
		return nil, p.errf(thTok.pos, ErrUndefined, "no thread %d", n)
	}
	op := p.t.RegOp(int(n), reg.text)
	if op == nil {
		return nil, p.errf(reg.pos, ErrUndefined, "thread %d has no register %s (registers are written by load and exec)", n, reg.text)
	}
	e := &Expr{Kind: ExprAtom, Thread: int(n), Reg: reg.text, Pos: thTok.pos}
	if op.Kind == OpExec {
		s := p.t.Site(op.Site)
		if val.text != "torn" && s.Version(val.text) < 0 {
			return nil, p.errf(val.pos, ErrUndefined, "%d:%s holds a version of site %s (%s) or torn, not %s",
				n, reg.text, s.Name, strings.Join(s.Versions, ", "), val.text)
		}
		e.Value = val.text
	} else {
		v, err := strconv.ParseInt(val.text, 0, 64)
		if err != nil {
			return nil, p.errf(val.pos, ErrSyntax, "%d:%s holds a loaded integer, not %s", n, reg.text, val.text)
		}
		e.Value = strconv.FormatInt(v, 10)
	}
	return e, nil
}

func (p *parser) parseExpect() error {
	kw := p.next()
	arch := p.next()
	if arch.kind != tokWord || !slices.Contains(Arches, arch.text) {
		return p.errf(arch.pos, ErrSyntax, "expected an ISA (%s), found %s", strings.Join(Arches, ", "), describe(arch))
	}
	if p.t.ExpectFor(arch.text) != nil {
		return p.errf(arch.pos, ErrDuplicate, "a second expectation for %s", arch.text)
	}
	verdict := p.next()
	var v Verdict
	if verdict.kind != tokWord || v.UnmarshalText([]byte(verdict.text)) != nil {
		return p.errf(verdict.pos, ErrSyntax, "expected allowed or forbidden, found %s", describe(verdict))
	}
	src, err := p.want(tokStr, "", "the rule's source in quotes (the manual and section)")
	if err != nil {
		return err
	}
	if strings.TrimSpace(src.text) == "" || strings.ContainsAny(src.text, "\n\r") {
		return p.errf(src.pos, ErrSyntax, "the source names the manual and section, on one line")
	}
	p.t.Expect = append(p.t.Expect, &Expectation{Arch: arch.text, Verdict: v, Source: src.text, Pos: kw.pos})
	return p.endOfLine()
}

// checkParks refuses a thread that parks a site and does not write its head
// afterwards: every thread that reached the site would spin for good.
func checkParks(th *Thread) error {
	parked := map[string]*Op{} // site: its last park not followed by a head
	for _, op := range th.Ops {
		switch {
		case op.Kind == OpWrite && op.Mode == Park:
			parked[op.Site] = op
		case op.Kind == OpWrite && op.Mode == Head:
			delete(parked, op.Site)
		}
	}
	for _, op := range th.Ops {
		if parked[op.Site] == op {
			return &Error{Pos: op.Pos, Kind: ErrSyntax,
				Msg: fmt.Sprintf("thread %d parks site %s and does not write its head afterwards (write %s VERSION head): a thread that reaches it would spin for good", th.ID, op.Site, op.Site)}
		}
	}
	return nil
}
