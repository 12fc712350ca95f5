package jasm

import (
	"strconv"
	"strings"
)

// Format prints p as jasm text. For a verified program (indeed for any
// program Verify accepts) Parse(Format(p)) returns a program Equal to p.
// Jump targets get synthesised labels "L<index>"; constants are printed in
// decimal; an `entry` line is printed only when the entry is not "main".
// Format never panics: references out of range in an invalid program are
// printed as names that do not resolve (e.g. "?func7"), so that parsing the
// text fails.
func Format(p *Program) string {
	var b strings.Builder
	if p == nil {
		return ""
	}
	if p.EntryName() != DefaultEntry {
		b.WriteString("entry " + p.EntryName() + "\n\n")
	}
	for fi, f := range p.Funcs {
		if fi > 0 {
			b.WriteByte('\n')
		}
		if f == nil {
			b.WriteString("; nil function\n")
			continue
		}
		formatFunc(&b, p, f)
	}
	return b.String()
}

func formatFunc(b *strings.Builder, p *Program, f *Func) {
	b.WriteString("func " + f.Name + " " + strconv.Itoa(f.Params) + "\n")
	if f.Locals != 0 {
		b.WriteString("    locals " + strconv.Itoa(f.Locals) + "\n")
	}
	target := make(map[int64]bool)
	for _, in := range f.Code {
		if in.Op.IsJump() {
			target[in.Arg] = true
		}
	}
	for j, in := range f.Code {
		if target[int64(j)] {
			b.WriteString("L" + strconv.Itoa(j) + ":\n")
		}
		b.WriteString("    ")
		b.WriteString(FormatInst(p, f, in))
		b.WriteByte('\n')
	}
	if target[int64(len(f.Code))] {
		b.WriteString("L" + strconv.Itoa(len(f.Code)) + ":\n")
	}
	b.WriteString("end\n")
}

// FormatInst prints one instruction of f (a function of p) as Format does,
// e.g. "jz L12", "call fib", "pconst k 42".
func FormatInst(p *Program, f *Func, in Inst) string {
	s := in.Op.String()
	label := func(t int64) string {
		if f != nil && t >= 0 && t <= int64(len(f.Code)) {
			return "L" + strconv.FormatInt(t, 10)
		}
		return "?L" + strconv.FormatInt(t, 10)
	}
	fn := func(i int64) string {
		if p != nil && i >= 0 && i < int64(len(p.Funcs)) && p.Funcs[i] != nil {
			return p.Funcs[i].Name
		}
		return "?func" + strconv.FormatInt(i, 10)
	}
	site := func() string {
		if p != nil && in.Site >= 0 && int(in.Site) < len(p.Sites) {
			return p.Sites[in.Site].Name
		}
		return "?site" + strconv.Itoa(int(in.Site))
	}
	switch in.Op.Operand() {
	case OperandInt, OperandIndex:
		s += " " + strconv.FormatInt(in.Arg, 10)
	case OperandLabel:
		s += " " + label(in.Arg)
	case OperandFunc:
		s += " " + fn(in.Arg)
	case OperandSiteInt:
		s += " " + site() + " " + strconv.FormatInt(in.Arg, 10)
	case OperandSiteFunc:
		s += " " + site() + " " + fn(in.Arg)
	case OperandSiteLabel:
		s += " " + site() + " " + label(in.Arg)
	}
	return s
}

// String returns the instruction as Format prints it, without names: jump
// targets as "@index", callees as "#index", sites as "$index".
func (in Inst) String() string {
	s := in.Op.String()
	switch in.Op.Operand() {
	case OperandInt, OperandIndex:
		s += " " + strconv.FormatInt(in.Arg, 10)
	case OperandLabel:
		s += " @" + strconv.FormatInt(in.Arg, 10)
	case OperandFunc:
		s += " #" + strconv.FormatInt(in.Arg, 10)
	case OperandSiteInt:
		s += " $" + strconv.Itoa(int(in.Site)) + " " + strconv.FormatInt(in.Arg, 10)
	case OperandSiteFunc:
		s += " $" + strconv.Itoa(int(in.Site)) + " #" + strconv.FormatInt(in.Arg, 10)
	case OperandSiteLabel:
		s += " $" + strconv.Itoa(int(in.Site)) + " @" + strconv.FormatInt(in.Arg, 10)
	}
	return s
}
