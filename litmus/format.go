package litmus

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Format writes t in the canonical text form: ParseFile of the output gives
// back t (positions aside), and formatting that again gives the same text.
// Comments are not kept.
func (t *Test) Format(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "litmus %s\n", t.Name)
	for _, d := range t.Doc {
		fmt.Fprintf(&b, "doc %s\n", strconv.Quote(d))
	}
	if len(t.Sites)+len(t.Data) > 0 {
		b.WriteByte('\n')
	}
	for _, s := range t.Sites {
		fmt.Fprintf(&b, "site %s %s %s", s.Name, s.Shape, strings.Join(s.Versions, " "))
		if s.Init != 0 {
			fmt.Fprintf(&b, " init %s", s.Versions[s.Init])
		}
		if s.At >= 0 {
			fmt.Fprintf(&b, " at %d", s.At)
		}
		b.WriteByte('\n')
	}
	for _, d := range t.Data {
		fmt.Fprintf(&b, "data %s = %d\n", d.Name, d.Init)
	}
	for _, th := range t.Threads {
		fmt.Fprintf(&b, "\nthread %d\n", th.ID)
		for _, op := range th.Ops {
			fmt.Fprintf(&b, "    %s\n", op)
		}
	}
	fmt.Fprintf(&b, "\nexists (%s)\n", formatExpr(t.Exists, true))
	if len(t.Expect) > 0 {
		b.WriteByte('\n')
	}
	for _, e := range t.Expect {
		fmt.Fprintf(&b, "expect %s %s %s\n", e.Arch, e.Verdict, strconv.Quote(e.Source))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// String returns the canonical text of t (see Format).
func (t *Test) String() string {
	var b strings.Builder
	t.Format(&b)
	return b.String()
}

// String returns the operation as a line of a litmus file.
func (op *Op) String() string {
	switch op.Kind {
	case OpWrite:
		return fmt.Sprintf("write %s %s %s %s", op.Site, op.Version, op.Mode, op.Via)
	case OpStore:
		return fmt.Sprintf("store %s %d", op.Data, op.Value)
	case OpLoad:
		return fmt.Sprintf("%s = load %s", op.Reg, op.Data)
	case OpExec:
		return fmt.Sprintf("%s = exec %s", op.Reg, op.Site)
	case OpSyncICache:
		return "sync_icache " + op.Site
	}
	return op.Kind.String()
}

// String returns the condition in the file's syntax.
func (e *Expr) String() string { return formatExpr(e, true) }

// formatExpr prints e; a conjunction or disjunction inside another node is
// parenthesised (top says e is the whole condition).
func formatExpr(e *Expr, top bool) string {
	switch e.Kind {
	case ExprAtom:
		return fmt.Sprintf("%d:%s=%s", e.Thread, e.Reg, e.Value)
	case ExprCrash:
		return "crash"
	case ExprNot:
		return "~" + formatExpr(e.Args[0], false)
	case ExprAnd, ExprOr:
		op := ` /\ `
		if e.Kind == ExprOr {
			op = ` \/ `
		}
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			parts[i] = formatExpr(a, false)
		}
		s := strings.Join(parts, op)
		if !top {
			s = "(" + s + ")"
		}
		return s
	}
	return fmt.Sprintf("?%d", int(e.Kind))
}
