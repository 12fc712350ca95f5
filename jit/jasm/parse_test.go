package jasm_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit/jasm"
)

func mustParse(t testing.TB, src string) *jasm.Program {
	t.Helper()
	p, err := jasm.Parse("t.jasm", []byte(src))
	require.NoError(t, err, "source:\n%s", src)
	require.True(t, p.Verified())
	return p
}

func TestParseGood(t *testing.T) {
	p := mustParse(t, `; a comment line
entry start        ; entry directive
func helper 2      ; two params
    locals 3
    arg 1          ; comment after an instruction
	store 2
a: b:  load 2      ; two labels and an instruction on one line
    pconst k -0x8000000000000000
    pop
    push 0x7fffffffffffffff
    push +12
    push -9223372036854775808
    pop
    pop
    pop
    pop
    guard g a
    jmp c
c:
    push 5
    ret
end

func start 0
    push 1
    push 2
    pcall pc helper
    ret
end
`)
	require.Len(t, p.Funcs, 2)
	assert.Equal(t, "start", p.EntryName())
	h := p.Funcs[0]
	assert.Equal(t, "helper", h.Name)
	assert.Equal(t, 2, h.Params)
	assert.Equal(t, 3, h.Locals)
	assert.Equal(t, jasm.Pos{File: "t.jasm", Line: 3, Col: 1}, h.Pos)
	want := []jasm.Inst{
		{Op: jasm.OpArg, Arg: 1},
		{Op: jasm.OpStore, Arg: 2},
		{Op: jasm.OpLoad, Arg: 2},
		{Op: jasm.OpPConst, Arg: math.MinInt64, Site: 0},
		{Op: jasm.OpPop},
		{Op: jasm.OpPush, Arg: math.MaxInt64},
		{Op: jasm.OpPush, Arg: 12},
		{Op: jasm.OpPush, Arg: math.MinInt64},
		{Op: jasm.OpPop},
		{Op: jasm.OpPop},
		{Op: jasm.OpPop},
		{Op: jasm.OpPop},
		{Op: jasm.OpGuard, Arg: 2, Site: 1},
		{Op: jasm.OpJmp, Arg: 14},
		{Op: jasm.OpPush, Arg: 5},
		{Op: jasm.OpRet},
	}
	require.Len(t, h.Code, len(want))
	for i, in := range h.Code {
		assert.Positive(t, in.Line, "inst %d", i)
		in.Line, in.Col = 0, 0
		assert.Equal(t, want[i], in, "inst %d", i)
	}
	assert.Equal(t, jasm.Pos{File: "t.jasm", Line: 6, Col: 2}, h.InstPos(1), "a tab is one column")
	assert.Equal(t, jasm.Pos{File: "t.jasm", Line: 7, Col: 8}, h.InstPos(2))
	assert.Equal(t, h.Pos, h.InstPos(-1), "the entry is the func line")
	assert.Equal(t, h.Pos, h.InstPos(len(h.Code)))
	assert.Equal(t, []jasm.Site{
		{Name: "k", Kind: jasm.SiteConst, Func: 0, Inst: 3, Init: math.MinInt64},
		{Name: "g", Kind: jasm.SiteGuard, Func: 0, Inst: 12, Init: 2},
		{Name: "pc", Kind: jasm.SiteCall, Func: 1, Inst: 2, Init: 0},
	}, p.Sites)
	i, ok := p.Func("start")
	assert.True(t, ok)
	assert.Equal(t, 1, i)
	_, ok = p.Func("nope")
	assert.False(t, ok)
	i, ok = p.Site("pc")
	assert.True(t, ok)
	assert.Equal(t, 2, i)
	_, ok = p.Site("nope")
	assert.False(t, ok)
	// Filled by the verifier.
	assert.Equal(t, 4, h.MaxStack)
	assert.Equal(t, []int{0, 1, 0, 1, 2, 1, 2, 3, 4, 3, 2, 1, 0, 0, 0, 1}, h.Depth)
}

func TestParseCRLFAndNoTrailingNewline(t *testing.T) {
	p := mustParse(t, "func main 0\r\n  push 7\r\n  ret\r\nend")
	assert.Equal(t, int64(7), p.Funcs[0].Code[0].Arg)
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("x", jasm.MaxNameLen+1)
	tests := []struct {
		name, src string
		kind      error
		want      string // the whole error text
	}{
		{"missing label", "func main 0\n    push 1\n    jz\n    push 1\n    ret\nend\n", jasm.ErrSyntax,
			"t.jasm:3:5: expected a label after jz"},
		{"missing int", "func main 0\n  push\nend", jasm.ErrSyntax, "t.jasm:2:3: expected an integer after push"},
		{"bad int", "func main 0\n  push 12a\nend", jasm.ErrSyntax, `t.jasm:2:8: expected an integer after push, found "12a"`},
		{"int too big", "func main 0\n  push 9223372036854775808\nend", jasm.ErrSyntax,
			"t.jasm:2:8: integer 9223372036854775808 out of range for int64"},
		{"hex too big", "func main 0\n  push 0x8000000000000000\nend", jasm.ErrSyntax,
			"t.jasm:2:8: integer 0x8000000000000000 out of range for int64"},
		{"neg too big", "func main 0\n  push -9223372036854775809\nend", jasm.ErrSyntax,
			"t.jasm:2:8: integer -9223372036854775809 out of range for int64"},
		{"huge", "func main 0\n  push 99999999999999999999999\nend", jasm.ErrSyntax,
			"t.jasm:2:8: integer 99999999999999999999999 out of range for int64"},
		{"bare 0x", "func main 0\n  push 0x\nend", jasm.ErrSyntax, `t.jasm:2:8: expected an integer after push, found "0x"`},
		{"negative index", "func main 1\n  arg -1\nend", jasm.ErrSyntax, `t.jasm:2:7: expected an index after arg, found "-1"`},
		{"unknown op", "func main 0\n  frob 1\nend", jasm.ErrSyntax, `t.jasm:2:3: unknown instruction "frob"`},
		{"outside func", "push 1\n", jasm.ErrSyntax, "t.jasm:1:1: instruction push outside a function"},
		{"label outside", "x:\n", jasm.ErrSyntax, `t.jasm:1:1: label "x" outside a function`},
		{"missing end", "func main 0\n  push 1\n  ret\n", jasm.ErrSyntax,
			"t.jasm:4:1: expected end of func main before the end of the file"},
		{"end outside", "end\n", jasm.ErrSyntax, "t.jasm:1:1: end outside a function"},
		{"func no name", "func\nend\n", jasm.ErrSyntax, "t.jasm:1:1: expected a function name after func"},
		{"func bad name", "func 1x 0\nend\n", jasm.ErrSyntax, `t.jasm:1:6: expected a function name after func, found "1x"`},
		{"func no params", "func main\nend\n", jasm.ErrSyntax, "t.jasm:1:1: expected the number of parameters after func main"},
		{"func extra", "func main 0 0\n push 1\n ret\nend\n", jasm.ErrSyntax, `t.jasm:1:13: unexpected "0" after func`},
		{"extra operand", "func main 0\n push 1 2\n ret\nend", jasm.ErrSyntax, `t.jasm:2:9: unexpected "2" after push`},
		{"ret operand", "func main 0\n push 1\n ret 1\nend", jasm.ErrSyntax, `t.jasm:3:6: unexpected "1" after ret`},
		{"nested func", "func a 0\n push 1\n ret\nfunc main 0\n push 1\n ret\nend", jasm.ErrSyntax,
			"t.jasm:4:1: func inside func a (missing end?)"},
		{"locals late", "func main 0\n push 1\n locals 2\n ret\nend", jasm.ErrSyntax,
			"t.jasm:3:2: locals must come before the first instruction or label of func main"},
		{"locals twice", "func main 0\n locals 1\n locals 2\n push 1\n ret\nend", jasm.ErrSyntax,
			"t.jasm:3:2: locals given twice in func main (first at t.jasm:2:2)"},
		{"locals outside", "locals 1\n", jasm.ErrSyntax, "t.jasm:1:1: locals outside a function"},
		{"entry twice", "entry a\nentry b\n", jasm.ErrSyntax, "t.jasm:2:1: entry given twice (first at t.jasm:1:1)"},
		{"empty", "", jasm.ErrSyntax, "t.jasm:1:1: expected a func; the file has no functions"},
		{"only comments", "; nothing\n\n", jasm.ErrSyntax, "t.jasm:2:1: expected a func; the file has no functions"},
		{"empty label", "func main 0\n: push 1\n ret\nend", jasm.ErrSyntax, "t.jasm:2:1: expected a label name before ':'"},
		{"bad label", "func main 0\n1a: push 1\n ret\nend", jasm.ErrSyntax, `t.jasm:2:1: invalid label name "1a"`},
		{"long name", "func " + long + " 0\nend\n", jasm.ErrSyntax, "t.jasm:1:6: function name longer than 128 bytes"},
		{"site missing", "func main 0\n pconst\nend", jasm.ErrSyntax, "t.jasm:2:2: expected a site name after pconst"},
		{"site missing value", "func main 0\n pconst k\nend", jasm.ErrSyntax, "t.jasm:2:2: expected an integer after pconst k"},
		{"pcall missing func", "func main 0\n pcall k\nend", jasm.ErrSyntax, "t.jasm:2:2: expected a function name after pcall k"},
		{"guard missing label", "func main 0\n guard k\nend", jasm.ErrSyntax, "t.jasm:2:2: expected a label after guard k"},
		{"non-ascii", "func main 0\n push 1\n ret\nend\nfunc é 0\nend\n", jasm.ErrSyntax,
			`t.jasm:5:6: expected a function name after func, found "é"`},
		{"two errors", "func main 0\n frob\n push\n push 1\n ret\nend", jasm.ErrSyntax,
			"t.jasm:2:2: unknown instruction \"frob\"\nt.jasm:3:2: expected an integer after push"},
		// Name resolution: ErrVerify.
		{"undefined label", "func main 0\n push 1\n jz nowhere\n push 1\n ret\nend", jasm.ErrVerify,
			"t.jasm:3:5: undefined label nowhere in func main"},
		{"duplicate label", "func main 0\na: push 1\na: ret\nend", jasm.ErrVerify,
			"t.jasm:3:1: label a defined twice in func main (first at t.jasm:2:1)"},
		{"undefined func", "func main 0\n call nope\n ret\nend", jasm.ErrVerify, "t.jasm:2:7: call of undefined function nope"},
		{"undefined pcall", "func main 0\n pcall s nope\n ret\nend", jasm.ErrVerify, "t.jasm:2:10: pcall of undefined function nope"},
		{"duplicate func", "func main 0\n push 1\n ret\nend\nfunc main 0\n push 1\n ret\nend", jasm.ErrVerify,
			"t.jasm:5:6: function main defined twice (first at t.jasm:1:1)"},
		{"duplicate site", "func main 0\n pconst k 1\n pconst k 2\n add\n ret\nend", jasm.ErrVerify,
			"t.jasm:3:9: site k defined twice (first at t.jasm:2:9)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := jasm.Parse("t.jasm", []byte(tt.src))
			require.Error(t, err)
			assert.Nil(t, p)
			assert.Equal(t, tt.want, err.Error())
			assert.ErrorIs(t, err, tt.kind)
			var list jasm.ErrorList
			require.True(t, errors.As(err, &list))
			require.NotEmpty(t, list)
			var e *jasm.Error
			require.True(t, errors.As(err, &e))
			assert.Equal(t, "t.jasm", e.Pos.File)
		})
	}
}

func TestParseErrorCap(t *testing.T) {
	src := "func main 0\n" + strings.Repeat(" frob\n", 100)
	_, err := jasm.Parse("t.jasm", []byte(src))
	var list jasm.ErrorList
	require.ErrorAs(t, err, &list)
	assert.Len(t, list, 10)
}

func TestParseLimits(t *testing.T) {
	t.Run("instructions per function", func(t *testing.T) {
		src := "func main 0\n" + strings.Repeat("push 1\n", jasm.MaxFuncInsts+1) + "end\n"
		_, err := jasm.Parse("t.jasm", []byte(src))
		require.ErrorIs(t, err, jasm.ErrSyntax)
		assert.Contains(t, err.Error(), "t.jasm:65538:1: func main has more than 65536 instructions")
	})
	t.Run("functions", func(t *testing.T) {
		var b strings.Builder
		for i := 0; i <= jasm.MaxFuncs; i++ {
			fmt.Fprintf(&b, "func f%d 0\n push 1\n ret\nend\n", i)
		}
		_, err := jasm.Parse("t.jasm", []byte(b.String()))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "more than 4096 functions")
	})
	t.Run("long line", func(t *testing.T) {
		src := "func main 0\n push 1" + strings.Repeat(" 1", 1<<20) + "\n ret\nend\n"
		_, err := jasm.Parse("t.jasm", []byte(src))
		assert.EqualError(t, err, `t.jasm:2:9: unexpected "1" after push`)
	})
}

// The parser writes every function's code into one array: each Func.Code is
// capped at its length (an append never writes into the next function's
// code), and a file of mostly comments does not keep an array sized by its
// lines.
func TestParseCodeSlices(t *testing.T) {
	src := "func a 0\n push 1\n ret\nend\n" + strings.Repeat("; comment\n", 1000) + "func main 0\n push 2\n ret\nend\n"
	p := mustParse(t, src)
	a, m := p.Funcs[0], p.Funcs[1]
	for _, f := range p.Funcs {
		assert.Equal(t, len(f.Code), cap(f.Code), "func %s", f.Name)
	}
	a.Code = append(a.Code, jasm.Inst{Op: jasm.OpPop})
	assert.Equal(t, []int64{2, 0}, []int64{m.Code[0].Arg, m.Code[1].Arg})
	assert.Equal(t, jasm.OpPush, m.Code[0].Op)
	assert.Equal(t, jasm.Pos{File: "t.jasm", Line: 1006, Col: 2}, m.InstPos(0))
	assert.Equal(t, jasm.Pos{File: "t.jasm", Line: 1007, Col: 2}, m.InstPos(1))
}

// Positions are stored without the file name: an instruction is a few
// integers, no pointer for the garbage collector to follow.
func TestInstHasNoPointers(t *testing.T) {
	typ := reflect.TypeFor[jasm.Inst]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		switch f.Type.Kind() {
		case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		default:
			t.Errorf("Inst.%s is a %s", f.Name, f.Type)
		}
	}
	assert.LessOrEqual(t, typ.Size(), uintptr(24))
}

func TestInstPosBuiltInGo(t *testing.T) {
	p := valid()
	f := p.Funcs[0]
	assert.Equal(t, jasm.Pos{}, f.InstPos(0), "no position")
	assert.Equal(t, "-", f.InstPos(0).String())
	f.Pos = jasm.Pos{File: "g.jasm", Line: 4, Col: 1}
	assert.Equal(t, jasm.Pos{}, f.InstPos(0), "the instruction's line is still unknown")
	f.Code[1].Line, f.Code[1].Col = 5, 3
	assert.Equal(t, jasm.Pos{File: "g.jasm", Line: 5, Col: 3}, f.InstPos(1))
	assert.Equal(t, f.Pos, f.InstPos(-1))
}

// The parser and the verifier allocate per function or per program, not per
// instruction: a body of 4 000 instructions costs what one of 40 does.
func TestParseAllocsPerInstruction(t *testing.T) {
	body := func(n int) []byte {
		var b strings.Builder
		b.WriteString("func main 1\n    arg 0\n")
		for i := range n {
			fmt.Fprintf(&b, "    push %d\n    add\n", i)
		}
		b.WriteString("    ret\nend\n")
		return []byte(b.String())
	}
	allocs := func(src []byte) float64 {
		return testing.AllocsPerRun(20, func() {
			if _, err := jasm.Parse("t.jasm", src); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(body(20)), allocs(body(2000))
	assert.Equal(t, small, large, "allocations for 42 and 4 002 instructions")

	// Functions come from one supply and call references from one list:
	// ten times the functions costs no allocation per function.
	chain := func(n int) []byte {
		var b strings.Builder
		for k := range n {
			fmt.Fprintf(&b, "func f%d 1\n    arg 0\n    arg 0\n    call f%d\n    add\n    ret\nend\n", k, (k+1)%n)
		}
		b.WriteString("func main 1\n    arg 0\n    call f0\n    ret\nend\n")
		return []byte(b.String())
	}
	few, many := allocs(chain(20)), allocs(chain(200))
	assert.LessOrEqual(t, many, few+3, "allocations for 21 and 201 functions")
}

// Parse reads the text in place but the program keeps nothing of it: names
// are copied out, so a caller may reuse its buffer.
func TestParseKeepsNoReferenceToSource(t *testing.T) {
	text := "entry start\nfunc helper 1\n    arg 0\n    pconst k 1\n    add\n    ret\nend\n" +
		"func start 1\n    arg 0\n    pcall c helper\n    ret\nend\n"
	src := []byte(text)
	p, err := jasm.Parse("t.jasm", src)
	require.NoError(t, err)
	want := jasm.Format(p)
	for i := range src {
		src[i] = 'X'
	}
	assert.Equal(t, want, jasm.Format(p))
	assert.Equal(t, "start", p.Entry)
	assert.Equal(t, []string{"helper", "start"}, []string{p.Funcs[0].Name, p.Funcs[1].Name})
	assert.Equal(t, []string{"k", "c"}, []string{p.Sites[0].Name, p.Sites[1].Name})
	i, ok := p.Func("helper")
	assert.True(t, ok)
	assert.Equal(t, 0, i)
	i, ok = p.Site("c")
	assert.True(t, ok)
	assert.Equal(t, 1, i)
}
