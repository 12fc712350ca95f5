// Package golden is the ISA-neutral half of the assemblers' GNU golden
// tests: reading testdata/gnu.golden (one line per line of gnu.s: GNU as's
// encoding in hex, a tab, the source, and after a marker the same code as
// statements for the package's Asm), running those statements on an
// assembler by reflection, and finding the encoders no line covers. Each
// assembler package keeps what is its own: how the hex is read (bytes or
// words), the operand types it parses (registers, conditions, memory
// operands), and its filler for Skip(n).
package golden

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/syncore/syncore/codegen"
)

// Line is one line of a gnu.golden file.
type Line struct {
	N    int    // line number in gnu.golden
	Hex  string // GNU as's encoding, as the file has it
	Src  string // the line of gnu.s
	Gas  string // its GNU as source
	Code string // its statements for Run
}

// Read returns the lines of the gnu.golden file path; marker separates a
// line's GNU source from its statements ("#" or "//").
func Read(path, marker string) ([]Line, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Line
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		hex, src, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("gnu.golden:%d: no tab: %q", n, line)
		}
		gas, code, ok := strings.Cut(src, marker)
		if !ok {
			return nil, fmt.Errorf("gnu.golden:%d: no code after a %s: %q", n, marker, line)
		}
		out = append(out, Line{N: n, Hex: hex, Src: src, Gas: strings.TrimSpace(gas), Code: strings.TrimSpace(code)})
	}
	return out, sc.Err()
}

// Sources returns the lines of the gnu.s file path that gnu.golden must
// have one line each for: all but blank ones and comments (lines that
// start with comment).
func Sources(path, comment string) ([]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(src), "\n") {
		if s := strings.TrimSpace(line); s != "" && !strings.HasPrefix(s, comment) {
			out = append(out, line)
		}
	}
	return out, nil
}

// Asm is what Run needs of an assembler besides the methods it calls.
type Asm interface {
	NewLabel() codegen.Label
	Bind(codegen.Label)
	Finish() (*codegen.Blob, error)
}

var labelName = regexp.MustCompile(`^L[0-9]+$`)

// Run runs code on a and returns what Finish returns and the names of the
// methods it called. code is statements separated by ";": a method call
// with literal arguments, Name(arg, …), run by reflection; a label
// definition "L<n>:"; or Skip(n), for which skip emits n units of filler.
// An argument is converted by operand when it returns handled (the ISA's
// registers, conditions, memory operands), else as a label L<n> (or 0 for
// no label), a quoted string or an integer.
func Run(a Asm, code string, skip func(n int), operand func(s string, t reflect.Type) (v reflect.Value, handled bool, err error)) (*codegen.Blob, []string, error) {
	labels := map[string]codegen.Label{}
	label := func(name string) (codegen.Label, error) {
		if !labelName.MatchString(name) {
			return 0, fmt.Errorf("%q is not a label", name)
		}
		l, ok := labels[name]
		if !ok {
			l = a.NewLabel()
			labels[name] = l
		}
		return l, nil
	}
	var called []string
	for _, stmt := range strings.Split(code, ";") {
		stmt = strings.TrimSpace(stmt)
		if name, ok := strings.CutSuffix(stmt, ":"); ok {
			l, err := label(name)
			if err != nil {
				return nil, nil, err
			}
			a.Bind(l)
			continue
		}
		open := strings.IndexByte(stmt, '(')
		if open < 0 || !strings.HasSuffix(stmt, ")") {
			return nil, nil, fmt.Errorf("statement %q: want Name(args) or L<n>:", stmt)
		}
		name, argText := stmt[:open], strings.TrimSpace(stmt[open+1:len(stmt)-1])
		var args []string
		if argText != "" {
			args = strings.Split(argText, ",")
		}
		if name == "Skip" {
			n, err := strconv.Atoi(argText)
			if err != nil || n < 0 {
				return nil, nil, fmt.Errorf("statement %q: Skip takes a count", stmt)
			}
			skip(n)
			continue
		}
		m := reflect.ValueOf(a).MethodByName(name)
		if !m.IsValid() {
			return nil, nil, fmt.Errorf("statement %q: Asm has no method %s", stmt, name)
		}
		mt := m.Type()
		if mt.IsVariadic() || mt.NumIn() != len(args) {
			return nil, nil, fmt.Errorf("statement %q: %s takes %d arguments", stmt, name, mt.NumIn())
		}
		in := make([]reflect.Value, len(args))
		for i, s := range args {
			s = strings.TrimSpace(s)
			v, handled, err := operand(s, mt.In(i))
			if !handled {
				v, err = literal(s, mt.In(i), label)
			}
			if err != nil {
				return nil, nil, fmt.Errorf("statement %q: argument %d: %w", stmt, i+1, err)
			}
			in[i] = v
		}
		m.Call(in)
		called = append(called, name)
	}
	bl, err := a.Finish()
	return bl, called, err
}

var labelType = reflect.TypeFor[codegen.Label]()

// literal converts s to a value of type t: a label, a string or an
// integer.
func literal(s string, t reflect.Type, label func(string) (codegen.Label, error)) (reflect.Value, error) {
	v := reflect.New(t).Elem()
	if t == labelType {
		if s == "0" {
			return v, nil
		}
		l, err := label(s)
		return reflect.ValueOf(l), err
	}
	switch t.Kind() {
	case reflect.String:
		q, err := strconv.Unquote(s)
		v.SetString(q)
		return v, err
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 0, 64)
		if err == nil && v.OverflowInt(n) {
			err = fmt.Errorf("%s overflows %s", s, t)
		}
		v.SetInt(n)
		return v, err
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 0, 64)
		if err == nil && v.OverflowUint(n) {
			err = fmt.Errorf("%s overflows %s", s, t)
		}
		v.SetUint(n)
		return v, err
	}
	return v, fmt.Errorf("no literal for a %s", t)
}

// Encoders returns the methods of asm (a pointer-to-assembler type) that
// are its own, not promoted from the embedded codegen.Buffer: every
// instruction, data and patch-site emitter.
func Encoders(asm reflect.Type) []string {
	buffer := map[string]bool{}
	bt := reflect.TypeFor[*codegen.Buffer]()
	for i := range bt.NumMethod() {
		buffer[bt.Method(i).Name] = true
	}
	var out []string
	for i := range asm.NumMethod() {
		if n := asm.Method(i).Name; !buffer[n] {
			out = append(out, n)
		}
	}
	return out
}

// Uncovered returns the encoders of asm that seen does not count.
func Uncovered(asm reflect.Type, seen map[string]int) []string {
	var out []string
	for _, n := range Encoders(asm) {
		if seen[n] == 0 {
			out = append(out, n)
		}
	}
	return out
}
