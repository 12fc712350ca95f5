package litmus

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The outcomes of a test: the values of the registers its condition names
// (of every register, when it names none), each from a small domain known
// before the run, so an outcome is a number in a mixed radix and the
// histogram an array of counters that a child process can share.

// maxOutcomes bounds the histogram's size.
const maxOutcomes = 1 << 16

// outReg is one register of the outcome.
type outReg struct {
	thread int
	reg    string
	op     *Op   // the load or exec that writes it
	site   *Site // exec: the site
	ints   []int64
	radix  int
}

// exec reports whether the register is written by an exec.
func (r *outReg) exec() bool { return r.op.Kind == OpExec }

// index returns the digit of raw, the register's value after an iteration:
// for an exec the version's index (-1: torn), for a load the value.
func (r *outReg) index(raw int64) int {
	if r.exec() {
		if raw < 0 || int(raw) >= len(r.site.Versions) {
			return len(r.site.Versions) // torn
		}
		return int(raw)
	}
	if i, ok := slices.BinarySearch(r.ints, raw); ok {
		return i
	}
	return len(r.ints) // a value no store wrote
}

// value returns the text of digit d.
func (r *outReg) value(d int) string {
	if r.exec() {
		if d < len(r.site.Versions) {
			return r.site.Versions[d]
		}
		return "torn"
	}
	if d < len(r.ints) {
		return strconv.FormatInt(r.ints[d], 10)
	}
	return "other"
}

func (r *outReg) name() string { return fmt.Sprintf("%d:%s", r.thread, r.reg) }

// space is the set of outcomes of a test.
type space struct {
	t    *Test
	regs []*outReg
	size int
}

// condRegs returns the (thread, register) pairs the condition names.
func condRegs(e *Expr, seen map[string]bool) {
	if e.Kind == ExprAtom {
		seen[fmt.Sprintf("%d:%s", e.Thread, e.Reg)] = true
	}
	for _, a := range e.Args {
		condRegs(a, seen)
	}
}

// condInts collects the integers the condition compares register name with.
func condInts(e *Expr, name string, out *[]int64) {
	if e.Kind == ExprAtom && fmt.Sprintf("%d:%s", e.Thread, e.Reg) == name {
		if v, err := strconv.ParseInt(e.Value, 10, 64); err == nil {
			*out = append(*out, v)
		}
	}
	for _, a := range e.Args {
		condInts(a, name, out)
	}
}

// newSpace lays out the outcomes of t: registers in thread order, each
// thread's in the order of its operations.
func newSpace(t *Test) (*space, error) {
	named := map[string]bool{}
	condRegs(t.Exists, named)
	sp := &space{t: t, size: 1}
	for _, th := range t.Threads {
		for _, op := range th.Ops {
			if op.Kind != OpLoad && op.Kind != OpExec {
				continue
			}
			r := &outReg{thread: th.ID, reg: op.Reg, op: op}
			if len(named) > 0 && !named[r.name()] {
				continue
			}
			if op.Kind == OpExec {
				r.site = t.Site(op.Site)
				r.radix = len(r.site.Versions) + 1
			} else {
				// The initial value, every value stored to the word, and
				// the values the condition compares with.
				r.ints = append(r.ints, t.DataWord(op.Data).Init)
				for _, th2 := range t.Threads {
					for _, o := range th2.Ops {
						if o.Kind == OpStore && o.Data == op.Data {
							r.ints = append(r.ints, o.Value)
						}
					}
				}
				condInts(t.Exists, r.name(), &r.ints)
				slices.Sort(r.ints)
				r.ints = slices.Compact(r.ints)
				r.radix = len(r.ints) + 1
			}
			sp.regs = append(sp.regs, r)
			sp.size *= r.radix
			if sp.size > maxOutcomes {
				return nil, &Error{Pos: t.Exists.Pos, Msg: fmt.Sprintf("test %s has more than %d possible outcomes", t.Name, maxOutcomes), Kind: ErrLayout}
			}
		}
	}
	return sp, nil
}

// digits splits outcome index i into one digit per register.
func (sp *space) digits(i int) []int {
	d := make([]int, len(sp.regs))
	for j := len(sp.regs) - 1; j >= 0; j-- {
		d[j] = i % sp.regs[j].radix
		i /= sp.regs[j].radix
	}
	return d
}

// key is the outcome's text: "1:flag=1; 1:ran=old".
func (sp *space) key(i int) string {
	d := sp.digits(i)
	parts := make([]string, len(sp.regs))
	for j, r := range sp.regs {
		parts[j] = r.name() + "=" + r.value(d[j])
	}
	return strings.Join(parts, "; ")
}

// values is the outcome as a map from "T:reg" to its value's text.
func (sp *space) values(i int) map[string]string {
	d := sp.digits(i)
	m := make(map[string]string, len(sp.regs))
	for j, r := range sp.regs {
		m[r.name()] = r.value(d[j])
	}
	return m
}

// satisfies evaluates the condition on outcome i.
func (sp *space) satisfies(i int) bool {
	vals := sp.values(i)
	return eval(sp.t.Exists, func(th int, reg, v string) bool {
		return vals[fmt.Sprintf("%d:%s", th, reg)] == v
	}, false)
}

// satisfiedByCrash evaluates the condition on a crashed iteration: crash is
// true, every register atom false.
func (sp *space) satisfiedByCrash() bool {
	return eval(sp.t.Exists, func(int, string, string) bool { return false }, true)
}

// eval evaluates e with atom deciding each register comparison.
func eval(e *Expr, atom func(th int, reg, v string) bool, crashed bool) bool {
	switch e.Kind {
	case ExprAtom:
		return atom(e.Thread, e.Reg, e.Value)
	case ExprCrash:
		return crashed
	case ExprNot:
		return !eval(e.Args[0], atom, crashed)
	case ExprAnd:
		for _, a := range e.Args {
			if !eval(a, atom, crashed) {
				return false
			}
		}
		return true
	case ExprOr:
		for _, a := range e.Args {
			if eval(a, atom, crashed) {
				return true
			}
		}
		return false
	}
	panic(fmt.Sprintf("BUG: litmus: condition node of kind %d", e.Kind))
}
