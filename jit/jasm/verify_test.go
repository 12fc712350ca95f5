package jasm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit/jasm"
)

// Each case violates exactly one rule; the message and position are exact.
func TestVerifyRulesText(t *testing.T) {
	deep := "func main 0\n" + strings.Repeat(" push 1\n", jasm.MaxStackDepth+1) + " ret\nend\n"
	tests := []struct{ name, src, want string }{
		{"underflow", "func main 0\n push 1\n add\n ret\nend",
			"t.jasm:3:2: stack underflow: add needs 2 values, the stack has 1"},
		{"underflow pop", "func main 0\n pop\n push 1\n ret\nend",
			"t.jasm:2:2: stack underflow: pop needs 1 value, the stack has 0"},
		{"underflow call", "func two 2\n arg 0\n ret\nend\nfunc main 0\n push 1\n call two\n ret\nend",
			"t.jasm:7:2: stack underflow: call needs 2 values, the stack has 1"},
		{"join mismatch", "func main 1\n arg 0\n jz skip\n push 1\nskip:\n push 2\n ret\nend",
			"t.jasm:4:2: stack depth mismatch: falling through reaches instruction 3 with 1 value, but another path reaches it with 0"},
		{"join mismatch jump", "func main 1\n push 5\n arg 0\n jz skip\n pop\nskip:\n push 2\n ret\nend",
			"t.jasm:5:2: stack depth mismatch: falling through reaches instruction 4 with 0 values, but another path reaches it with 1"},
		{"ret too deep", "func main 0\n push 1\n push 2\n ret\nend",
			"t.jasm:4:2: ret with 2 values on the stack, want exactly 1"},
		{"ret empty", "func main 0\n ret\nend", "t.jasm:2:2: ret with 0 values on the stack, want exactly 1"},
		{"falls off", "func main 1\n arg 0\n jz a\n push 1\n ret\na:\n push 2\n pop\nend",
			"t.jasm:8:2: control falls off the end of func main after pop (every path must end in ret)"},
		{"empty func", "func f 0\nend\nfunc main 0\n push 1\n ret\nend",
			"t.jasm:1:1: func f has no instructions (it must end in ret)"},
		{"label at end", "func main 1\n arg 0\n jnz out\n push 1\n ret\nout:\nend",
			"t.jasm:3:2: jnz jumps past the last instruction of func main (every path must end in ret)"},
		{"too deep", deep, fmt.Sprintf("t.jasm:%d:2: stack depth 1025 exceeds the limit of 1024", jasm.MaxStackDepth+2)},
		{"arg range", "func main 2\n arg 2\n ret\nend", "t.jasm:2:2: arg 2 out of range: func main has 2 parameters"},
		{"load range", "func main 0\n locals 1\n load 1\n ret\nend", "t.jasm:3:2: load 1 out of range: func main has 1 locals"},
		{"store range", "func main 0\n push 1\n store 0\n push 1\n ret\nend", "t.jasm:3:2: store 0 out of range: func main has 0 locals"},
		{"params", "func main 9\n push 1\n ret\nend", "t.jasm:1:1: func main has 9 parameters, want 0..8"},
		{"locals", "func main 0\n locals 257\n push 1\n ret\nend", "t.jasm:1:1: func main has 257 locals, want 0..256"},
		{"no entry", "func start 0\n push 1\n ret\nend", "t.jasm:1:1: no function main (the entry point)"},
		{"no entry named", "entry go\nfunc main 0\n push 1\n ret\nend", "t.jasm:1:1: no function go (the entry point)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jasm.Parse("t.jasm", []byte(tt.src))
			require.Error(t, err)
			assert.ErrorIs(t, err, jasm.ErrVerify)
			assert.NotErrorIs(t, err, jasm.ErrSyntax)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

// valid returns a small valid program built in Go: main(x) = x+1 with a
// pconst, guard and pcall site.
//
//	func inc 1: arg 0; push 1; add; ret
//	func main 1: guard g 6; arg 0; pcall c inc; pconst k 0; add; ret; arg 0; ret
func valid() *jasm.Program {
	return &jasm.Program{
		Funcs: []*jasm.Func{
			{Name: "inc", Params: 1, Code: []jasm.Inst{
				{Op: jasm.OpArg, Arg: 0}, {Op: jasm.OpPush, Arg: 1}, {Op: jasm.OpAdd}, {Op: jasm.OpRet},
			}},
			{Name: "main", Params: 1, Code: []jasm.Inst{
				{Op: jasm.OpGuard, Site: 0, Arg: 6},
				{Op: jasm.OpArg, Arg: 0},
				{Op: jasm.OpPCall, Site: 1, Arg: 0},
				{Op: jasm.OpPConst, Site: 2, Arg: 0},
				{Op: jasm.OpAdd},
				{Op: jasm.OpRet},
				{Op: jasm.OpArg, Arg: 0},
				{Op: jasm.OpRet},
			}},
		},
		Sites: []jasm.Site{
			{Name: "g", Kind: jasm.SiteGuard, Func: 1, Inst: 0, Init: 6},
			{Name: "c", Kind: jasm.SiteCall, Func: 1, Inst: 2, Init: 0},
			{Name: "k", Kind: jasm.SiteConst, Func: 1, Inst: 3, Init: 0},
		},
	}
}

func TestVerifyValidBuiltInGo(t *testing.T) {
	p := valid()
	require.NoError(t, jasm.Verify(p))
	assert.True(t, p.Verified())
	assert.Equal(t, []int{0, 0, 1, 1, 2, 1, 0, 1}, p.Funcs[1].Depth)
	assert.Equal(t, 2, p.Funcs[1].MaxStack)
	assert.Equal(t, 48, jasm.FrameSize(p.Funcs[1]), "8*(2+1+0+2) = 40, rounded up to 48")
}

func TestFrameSize(t *testing.T) {
	for _, tt := range []struct{ params, locals, maxStack, want int }{
		{0, 0, 0, 16}, {0, 0, 1, 32}, {0, 0, 2, 32}, {1, 0, 2, 48}, {8, 256, 1024, 8 * 1290},
	} {
		f := &jasm.Func{Params: tt.params, Locals: tt.locals, MaxStack: tt.maxStack}
		assert.Equal(t, tt.want, jasm.FrameSize(f), "%+v", tt)
	}
}

// Rules about the representation itself, which text cannot violate.
func TestVerifyRulesBuilt(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(p *jasm.Program)
		want   string
	}{
		{"invalid op", func(p *jasm.Program) { p.Funcs[0].Code[1].Op = 0 }, "func inc, inst 1: invalid operation invalid"},
		{"op out of range", func(p *jasm.Program) { p.Funcs[0].Code[1].Op = 200 }, "func inc, inst 1: invalid operation op(200)"},
		{"jump range", func(p *jasm.Program) {
			p.Funcs[1].Code[0].Arg = 99
			p.Sites[0].Init = 99
		}, "func main, inst 0: guard target 99 out of range: func main has 8 instructions"},
		{"negative jump", func(p *jasm.Program) {
			p.Funcs[1].Code[0].Arg = -1
			p.Sites[0].Init = -1
		}, "func main, inst 0: guard target -1 out of range: func main has 8 instructions"},
		{"callee range", func(p *jasm.Program) {
			p.Funcs[1].Code[2].Arg = 2
			p.Sites[1].Init = 2
		}, "func main, inst 2: pcall of function 2: program has 2 functions"},
		{"duplicate func", func(p *jasm.Program) { p.Funcs[0].Name = "main" }, "func main: function main defined twice (first at -)"},
		{"bad func name", func(p *jasm.Program) { p.Funcs[0].Name = "a b" }, `func a b: invalid function name "a b"`},
		{"nil func", func(p *jasm.Program) { p.Funcs[0] = nil }, "function 0 is nil"},
		{"no funcs", func(p *jasm.Program) { p.Funcs = nil; p.Sites = nil }, "program has no functions"},
		{"duplicate site", func(p *jasm.Program) { p.Sites[2].Name = "g" }, "func main, inst 3: site g defined twice (first at func main, inst 0)"},
		{"bad site name", func(p *jasm.Program) { p.Sites[2].Name = "" }, `func main, inst 3: invalid site name ""`},
		{"site order", func(p *jasm.Program) {
			p.Sites[1], p.Sites[2] = p.Sites[2], p.Sites[1]
			p.Funcs[1].Code[2].Site, p.Funcs[1].Code[3].Site = 2, 1
		}, "func main, inst 2: site c is out of program order (sites are numbered by function, then instruction)"},
		{"site kind", func(p *jasm.Program) { p.Sites[2].Kind = jasm.SiteGuard }, "func main, inst 3: site k is a guard site but its instruction is pconst"},
		{"site back-reference", func(p *jasm.Program) { p.Funcs[1].Code[3].Site = 1 }, "func main, inst 3: site k is site 2 but its instruction names site 1"},
		{"site init", func(p *jasm.Program) { p.Sites[2].Init = 5 }, "func main, inst 3: site k has Init 5 but its instruction has 0"},
		{"site range", func(p *jasm.Program) { p.Sites[2].Inst = 70 }, "site 2 (k) names instruction 70 of function 1, which does not exist"},
		{"site missing", func(p *jasm.Program) {
			p.Sites = p.Sites[:2]
		}, "func main, inst 3: pconst names site 2, which is not this instruction"},
		{"too many funcs", func(p *jasm.Program) {
			for len(p.Funcs) <= jasm.MaxFuncs {
				p.Funcs = append(p.Funcs, &jasm.Func{Name: fmt.Sprintf("f%d", len(p.Funcs))})
			}
		}, "program has 4097 functions, more than 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			require.NoError(t, jasm.Verify(p))
			tt.break_(p)
			err := jasm.Verify(p)
			require.Error(t, err)
			assert.ErrorIs(t, err, jasm.ErrVerify)
			assert.Equal(t, tt.want, err.Error())
			assert.False(t, p.Verified(), "a failed Verify clears the flag")
			_, err = jasm.NewInterp(p)
			assert.ErrorIs(t, err, jasm.ErrNotVerified)
		})
	}
}

func TestVerifyUnreachable(t *testing.T) {
	p := mustParse(t, "func main 0\n push 1\n ret\n add\n pop\n push 2\n ret\nend")
	assert.Equal(t, []int{0, 1, -1, -1, -1, -1}, p.Funcs[0].Depth)
	assert.Equal(t, 1, p.Funcs[0].MaxStack)
	// Operands of unreachable code are still checked.
	_, err := jasm.Parse("t.jasm", []byte("func main 0\n push 1\n ret\n arg 3\n ret\nend"))
	assert.EqualError(t, err, "t.jasm:4:2: arg 3 out of range: func main has 0 parameters")
}

func TestVerifyNil(t *testing.T) {
	assert.ErrorIs(t, jasm.Verify(nil), jasm.ErrVerify)
}

// Negative control: a program with an underflow that skips Verify must not
// reach the interpreter. Without that check the interpreter would index
// below its frame.
func TestUnverifiedProgramRefused(t *testing.T) {
	p := &jasm.Program{Funcs: []*jasm.Func{{Name: "main", Code: []jasm.Inst{{Op: jasm.OpAdd}, {Op: jasm.OpRet}}}}}
	_, err := jasm.NewInterp(p)
	require.ErrorIs(t, err, jasm.ErrNotVerified)
	assert.EqualError(t, err, "jasm: interpreter: program not verified (call Verify, or use Parse)")
	// The verifier catches the underflow it would have caused.
	err = jasm.Verify(p)
	assert.EqualError(t, err, "func main, inst 0: stack underflow: add needs 2 values, the stack has 0")

	// A verified program changed afterwards and verified again loses the flag.
	q := mustParse(t, "func main 0\n push 1\n ret\nend")
	q.Funcs[0].Code[0].Op = jasm.OpPop
	require.Error(t, jasm.Verify(q))
	_, err = jasm.NewInterp(q)
	assert.ErrorIs(t, err, jasm.ErrNotVerified)
}

func TestCanRetarget(t *testing.T) {
	p := mustParse(t, `
func one 1
    arg 0
    ret
end
func two 2
    arg 1
    ret
end
func main 1
    arg 0
    pcall c one
    pconst k 3
    add
    ret
end`)
	c, _ := p.Site("c")
	k, _ := p.Site("k")
	one, _ := p.Func("one")
	two, _ := p.Func("two")
	main, _ := p.Func("main")
	assert.NoError(t, p.CanRetarget(c, one))
	assert.NoError(t, p.CanRetarget(c, main), "main takes 1 parameter too")
	err := p.CanRetarget(c, two)
	assert.ErrorIs(t, err, jasm.ErrArity)
	assert.EqualError(t, err, "retarget site c to two: wrong number of arguments: two takes 2 parameters, the site calls with 1")
	assert.ErrorIs(t, p.CanRetarget(k, one), jasm.ErrBadSite)
	assert.ErrorIs(t, p.CanRetarget(7, one), jasm.ErrBadSite)
	assert.ErrorIs(t, p.CanRetarget(c, 9), jasm.ErrNoSuchFunc)

	it, err := jasm.NewInterp(p)
	require.NoError(t, err)
	assert.ErrorIs(t, it.Retarget(c, two), jasm.ErrArity)
	v, err := it.Run(context.Background(), 4)
	require.NoError(t, err)
	assert.Equal(t, int64(7), v, "a refused retarget changes nothing")
}
