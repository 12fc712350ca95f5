// Package jasmgen generates random verified jasm programs for differential
// tests (interpreter against compiled code) and fuzzing.
//
// Every generated program terminates quickly whatever its arguments and
// whatever its sites are patched to, within the limits RetargetCandidates
// states: loops count a dedicated local down from a small constant, calls go
// to lower-numbered functions (an acyclic call graph), recursion passes a
// depth that decreases and is clamped to 0..7 at the call (except, when
// Options.DeepRecursion is set, one unclamped call that may run into the
// stack limit), guards jump forward only, and an estimate of the steps a
// function can take (loop trip counts times instructions, plus callees' own
// estimates) is kept under Options.MaxSteps. Runtime errors are allowed and
// wanted: division by zero, MinInt64 / -1, stack overflow.
package jasmgen

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/syncore/syncore/jit/jasm"
)

// Options bound the generated programs; zero fields take the defaults.
type Options struct {
	Funcs     int   // functions besides main (default 4)
	Insts     int   // instructions per function, roughly (default 80)
	MaxSteps  int64 // estimated steps of one call of main (default 20000)
	NoSites   bool  // generate no pconst, pcall or guard
	NoRecurse bool  // generate no recursive function
	// DeepRecursion allows one call in main to a recursive function with an
	// unclamped depth, which may exhaust the stack budget (ErrStackOverflow).
	DeepRecursion bool
}

func (o Options) withDefaults() Options {
	if o.Funcs <= 0 {
		o.Funcs = 4
	}
	if o.Insts <= 0 {
		o.Insts = 80
	}
	if o.MaxSteps <= 0 {
		o.MaxSteps = 20000
	}
	return o
}

// Edge constants: values where wrap-around, sign, width and shift-count
// bugs show.
var Edges = []int64{
	0, 1, -1, 2, -2, 7,
	math.MinInt64, math.MaxInt64, math.MinInt64 + 1, math.MaxInt64 - 1,
	1 << 31, -1 << 31, 1<<31 - 1, 1 << 32, -1 << 32, 1<<32 - 1,
	1 << 15, -1 << 15, 1<<16 - 1,
	31, 32, 33, 63, 64, 65, 127, 128, -63, -64,
}

// Int returns a random int64 biased towards Edges and small values.
func Int(r *rand.Rand) int64 {
	switch r.IntN(4) {
	case 0, 1:
		return Edges[r.IntN(len(Edges))]
	case 2:
		return r.Int64N(41) - 20
	}
	return int64(r.Uint64())
}

// Args returns n random arguments (see Int).
func Args(r *rand.Rand, n int) []int64 {
	a := make([]int64, n)
	for i := range a {
		a[i] = Int(r)
	}
	return a
}

const (
	counters    = 2 // loop-counter locals (nesting depth of loops)
	maxTrips    = 4 // a loop runs at most this many times
	recDepthCap = 7 // a clamped recursive depth is 0..7
	maxExprNest = 4
)

type fnInfo struct {
	params int
	rec    bool  // recursive: first parameter is a depth
	cost   int64 // estimated steps of one call (for rec: of one clamped call)
	deep   int64 // for rec: estimated steps of one unclamped call
}

type gen struct {
	r     *rand.Rand
	o     Options
	p     *jasm.Program
	info  []fnInfo
	fi    int
	f     *jasm.Func
	data  int   // data locals follow the counters
	cost  int64 // estimate for the function being generated
	mult  int64 // loop multiplier at the current point
	loops int   // loop nesting at the current point
	deep  bool  // the unclamped recursive call was generated
}

// Generate returns a random verified program; the same r state gives the
// same program. Its entry is "main", the last function.
func Generate(r *rand.Rand, opts Options) *jasm.Program {
	g := &gen{r: r, o: opts.withDefaults(), p: &jasm.Program{Entry: jasm.DefaultEntry}}
	nf := 1 + r.IntN(g.o.Funcs)
	recAt := -1
	if !g.o.NoRecurse && r.IntN(2) == 0 {
		recAt = r.IntN(nf)
	}
	for i := 0; i < nf; i++ {
		if i == recAt {
			g.recFunc(i)
		} else {
			g.function(i, "f"+strconv.Itoa(i), r.IntN(5))
		}
	}
	g.function(nf, jasm.DefaultEntry, r.IntN(jasm.MaxParams+1))
	for i := range g.p.Sites {
		s := &g.p.Sites[i]
		s.Init = g.p.Funcs[s.Func].Code[s.Inst].Arg
	}
	if err := jasm.Verify(g.p); err != nil {
		panic("BUG: jasmgen: generated program does not verify: " + err.Error() + "\n" + jasm.Format(g.p))
	}
	return g.p
}

// RetargetCandidates returns the functions pcall site of p (a generated
// program) may be retargeted to while keeping the termination guarantee:
// those the generator took into account, the same arity and lower-numbered
// than the site's function, not recursive. The first is the initial callee.
func RetargetCandidates(p *jasm.Program, site int) []int {
	s := p.Sites[site]
	if s.Kind != jasm.SiteCall {
		return nil
	}
	out := []int{int(s.Init)}
	want := p.Funcs[s.Init].Params
	for j := 0; j < s.Func; j++ {
		f := p.Funcs[j]
		if j != int(s.Init) && f.Params == want && !isRec(f) {
			out = append(out, j)
		}
	}
	return out
}

// isRec reports whether f calls itself (generated recursive functions are
// named "rec…").
func isRec(f *jasm.Func) bool { return len(f.Name) > 3 && f.Name[:3] == "rec" }

func (g *gen) emit(op jasm.Op, arg int64) int {
	g.f.Code = append(g.f.Code, jasm.Inst{Op: op, Arg: arg})
	g.cost += g.mult
	return len(g.f.Code) - 1
}

func (g *gen) here() int64 { return int64(len(g.f.Code)) }

func (g *gen) patch(at int) { g.f.Code[at].Arg = g.here() }

func (g *gen) site(op jasm.Op, arg int64) int {
	kind := jasm.SiteGuard
	switch op {
	case jasm.OpPConst:
		kind = jasm.SiteConst
	case jasm.OpPCall:
		kind = jasm.SiteCall
	}
	at := g.emit(op, arg)
	g.f.Code[at].Site = int32(len(g.p.Sites))
	g.p.Sites = append(g.p.Sites, jasm.Site{Name: "s" + strconv.Itoa(len(g.p.Sites)), Kind: kind, Func: g.fi, Inst: at})
	return at
}

func (g *gen) begin(i int, name string, params, locals int) {
	g.fi = i
	g.f = &jasm.Func{Name: name, Params: params, Locals: locals}
	g.p.Funcs = append(g.p.Funcs, g.f)
	g.data = locals - counters
	g.cost, g.mult, g.loops = 0, 1, 0
}

func (g *gen) function(i int, name string, params int) {
	g.begin(i, name, params, counters+g.r.IntN(4))
	g.info = append(g.info, fnInfo{params: params})
	for len(g.f.Code) < g.o.Insts && g.r.IntN(8) != 0 {
		g.stmt(2)
	}
	g.expr(maxExprNest)
	g.emit(jasm.OpRet, 0)
	g.info[i].cost = g.cost
}

// recFunc generates
//
//	func recI k
//	    arg 0; push 0; le; jnz base
//	    <straight-line statements>
//	    arg 0; push 1; sub; <k-1 leaves>; call recI; <combine>; ret
//	base:
//	    <leaf>; ret
func (g *gen) recFunc(i int) {
	params := 1 + g.r.IntN(3)
	g.begin(i, "rec"+strconv.Itoa(i), params, counters+g.r.IntN(3))
	g.info = append(g.info, fnInfo{params: params, rec: true})
	g.emit(jasm.OpArg, 0)
	g.emit(jasm.OpPush, 0)
	g.emit(jasm.OpLe, 0)
	toBase := g.emit(jasm.OpJnz, -1)
	for n := g.r.IntN(3); n > 0; n-- {
		g.stmtNoCall()
	}
	g.emit(jasm.OpArg, 0)
	g.emit(jasm.OpPush, 1)
	g.emit(jasm.OpSub, 0)
	for k := 1; k < params; k++ {
		g.leaf()
	}
	g.emit(jasm.OpCall, int64(i))
	if g.r.IntN(2) == 0 {
		g.leaf()
		g.emit(g.binop(), 0)
	}
	g.emit(jasm.OpRet, 0)
	g.patch(toBase)
	g.leaf()
	g.emit(jasm.OpRet, 0)
	per := g.cost
	g.info[i].cost = per * (recDepthCap + 2)
	// A frame is at least 32 bytes, so an unclamped recursion ends (returns
	// or overflows) within DefaultStackBytes/32 levels.
	g.info[i].deep = per * (jasm.DefaultStackBytes/32 + 1)
}

// stmtNoCall is a statement without calls or loops (for recursive bodies).
func (g *gen) stmtNoCall() {
	g.leafExpr(2)
	if g.data > 0 && g.r.IntN(2) == 0 {
		g.emit(jasm.OpStore, int64(counters+g.r.IntN(g.data)))
	} else {
		g.emit(jasm.OpPop, 0)
	}
}

// leafExpr is an expression of leaves and operators only.
func (g *gen) leafExpr(nest int) {
	if nest == 0 || g.r.IntN(3) == 0 {
		g.leaf()
		return
	}
	g.leafExpr(nest - 1)
	g.leafExpr(nest - 1)
	g.emit(g.binop(), 0)
}

var binops = []jasm.Op{
	jasm.OpAdd, jasm.OpSub, jasm.OpMul, jasm.OpDiv, jasm.OpRem,
	jasm.OpAnd, jasm.OpOr, jasm.OpXor, jasm.OpShl, jasm.OpShr, jasm.OpSar,
	jasm.OpEq, jasm.OpNe, jasm.OpLt, jasm.OpLe, jasm.OpGt, jasm.OpGe,
}

func (g *gen) binop() jasm.Op { return binops[g.r.IntN(len(binops))] }

// stmt emits code with no net stack effect, at stack depth 0.
func (g *gen) stmt(nest int) {
	switch k := g.r.IntN(12); {
	case k < 3:
		g.expr(maxExprNest)
		if g.data > 0 {
			g.emit(jasm.OpStore, int64(counters+g.r.IntN(g.data)))
		} else {
			g.emit(jasm.OpPop, 0)
		}
	case k < 4:
		g.expr(maxExprNest)
		g.emit(jasm.OpPop, 0)
	case k < 6 && nest > 0: // if / if-else
		g.expr(2)
		j := g.emit([]jasm.Op{jasm.OpJz, jasm.OpJnz}[g.r.IntN(2)], -1)
		g.stmts(nest - 1)
		if g.r.IntN(2) == 0 {
			g.patch(j)
			return
		}
		end := g.emit(jasm.OpJmp, -1)
		g.patch(j)
		g.stmts(nest - 1)
		g.patch(end)
	case k < 8 && nest > 0 && g.loops < counters:
		g.loop(nest)
	case k < 9 && nest > 0 && !g.o.NoSites: // guard skipping statements
		j := g.site(jasm.OpGuard, -1)
		g.stmts(nest - 1)
		g.patch(j)
	case k < 10: // conditional early return
		g.expr(2)
		j := g.emit(jasm.OpJz, -1)
		g.expr(2)
		g.emit(jasm.OpRet, 0)
		g.patch(j)
	default:
		g.expr(maxExprNest)
		g.emit(jasm.OpPop, 0)
	}
}

func (g *gen) stmts(nest int) {
	for n := 1 + g.r.IntN(3); n > 0 && len(g.f.Code) < g.o.Insts; n-- {
		g.stmt(nest)
	}
}

// loop emits one of three counted loops over counter local c.
func (g *gen) loop(nest int) {
	c := int64(g.loops)
	trips := int64(g.r.IntN(maxTrips + 1))
	variant := g.r.IntN(4)
	if variant == 1 || variant == 2 {
		trips = max(trips, 1) // bottom-tested loops run at least once
	}
	g.emit(jasm.OpPush, trips)
	g.emit(jasm.OpStore, c)
	saved := g.mult
	g.mult *= trips + 1
	g.loops++
	defer func() { g.loops--; g.mult = saved }()
	switch variant {
	case 0: // top: load c; jz end; body; c -= 1; jmp top
		top := g.here()
		g.emit(jasm.OpLoad, c)
		exit := g.emit(jasm.OpJz, -1)
		g.stmts(nest - 1)
		g.decrement(c, false)
		g.emit(jasm.OpJmp, top)
		g.patch(exit)
	case 3: // top: load c; push 0; gt; jz end; body; c -= 1; jmp top
		top := g.here()
		g.emit(jasm.OpLoad, c)
		g.emit(jasm.OpPush, 0)
		g.emit(jasm.OpGt, 0)
		exit := g.emit(jasm.OpJz, -1)
		g.stmts(nest - 1)
		g.decrement(c, false)
		g.emit(jasm.OpJmp, top)
		g.patch(exit)
	case 1: // top: body; c -= 1; c != 0 → jnz top
		top := g.here()
		g.stmts(nest - 1)
		g.decrement(c, true)
		g.emit(jasm.OpJnz, top)
	default: // top: body; c -= 1; (c == 0) == 0 → jz top
		top := g.here()
		g.stmts(nest - 1)
		g.decrement(c, true)
		g.emit(jasm.OpPush, 0)
		g.emit(jasm.OpEq, 0)
		g.emit(jasm.OpJz, top)
	}
}

func (g *gen) decrement(c int64, keep bool) {
	g.emit(jasm.OpLoad, c)
	g.emit(jasm.OpPush, 1)
	g.emit(jasm.OpSub, 0)
	if keep {
		g.emit(jasm.OpDup, 0)
	}
	g.emit(jasm.OpStore, c)
}

func (g *gen) leaf() {
	switch g.r.IntN(6) {
	case 0, 1:
		g.emit(jasm.OpPush, Int(g.r))
	case 2:
		if g.f.Params > 0 {
			g.emit(jasm.OpArg, int64(g.r.IntN(g.f.Params)))
			return
		}
		g.emit(jasm.OpPush, Int(g.r))
	case 3:
		if g.data > 0 {
			g.emit(jasm.OpLoad, int64(counters+g.r.IntN(g.data)))
			return
		}
		g.emit(jasm.OpLoad, int64(g.r.IntN(counters))) // a counter: read, never written
	case 4:
		if !g.o.NoSites {
			g.site(jasm.OpPConst, Int(g.r))
			return
		}
		g.emit(jasm.OpPush, Int(g.r))
	default:
		if g.f.Params > 0 {
			g.emit(jasm.OpArg, int64(g.r.IntN(g.f.Params)))
			return
		}
		g.emit(jasm.OpPush, int64(g.r.IntN(5)))
	}
}

// expr emits code that pushes exactly one value.
func (g *gen) expr(nest int) {
	if nest == 0 {
		g.leaf()
		return
	}
	switch k := g.r.IntN(20); {
	case k < 5:
		g.leaf()
	case k < 6:
		g.expr(nest - 1)
		g.emit([]jasm.Op{jasm.OpNeg, jasm.OpNot}[g.r.IntN(2)], 0)
	case k < 10:
		op := g.binop()
		g.expr(nest - 1)
		switch {
		case (op == jasm.OpDiv || op == jasm.OpRem) && g.r.IntN(3) != 0:
			g.expr(nest - 1) // a divisor that is rarely zero: x | 1
			g.emit(jasm.OpPush, 1)
			g.emit(jasm.OpOr, 0)
		case op >= jasm.OpShl && op <= jasm.OpSar && g.r.IntN(2) == 0:
			g.emit(jasm.OpPush, []int64{0, 1, 31, 32, 33, 63, 64, 65, -1, 127}[g.r.IntN(10)])
		default:
			g.expr(nest - 1)
		}
		g.emit(op, 0)
	case k < 11: // MinInt64 / -1 and friends
		g.emit(jasm.OpPush, math.MinInt64)
		g.emit(jasm.OpPush, -1)
		g.emit([]jasm.Op{jasm.OpDiv, jasm.OpRem, jasm.OpMul}[g.r.IntN(3)], 0)
	case k < 12:
		g.expr(nest - 1)
		g.expr(nest - 1)
		g.emit(jasm.OpSwap, 0)
		g.emit(g.binop(), 0)
	case k < 13:
		g.expr(nest - 1)
		g.emit(jasm.OpDup, 0)
		g.emit(g.binop(), 0)
	case k < 14:
		g.expr(nest - 1)
		g.expr(nest - 1)
		g.emit(jasm.OpPop, 0)
	case k < 15: // conditional expression
		g.expr(nest - 1)
		j := g.emit([]jasm.Op{jasm.OpJz, jasm.OpJnz}[g.r.IntN(2)], -1)
		g.expr(nest - 1)
		end := g.emit(jasm.OpJmp, -1)
		g.patch(j)
		g.expr(nest - 1)
		g.patch(end)
	case k < 16 && !g.o.NoSites: // guard expression
		j := g.site(jasm.OpGuard, -1)
		g.expr(nest - 1)
		end := g.emit(jasm.OpJmp, -1)
		g.patch(j)
		g.expr(nest - 1)
		g.patch(end)
	default:
		if !g.call(nest) {
			g.leaf()
		}
	}
}

// call emits a call, pcall or recursive call if one fits the step budget.
func (g *gen) call(nest int) bool {
	if g.fi == 0 || isRec(g.f) {
		return false
	}
	j := g.r.IntN(g.fi)
	in := g.info[j]
	budget := g.o.MaxSteps - g.cost
	if in.rec {
		deep := g.o.DeepRecursion && !g.deep && g.mult == 1 && g.f.Name == jasm.DefaultEntry && g.r.IntN(2) == 0
		// The one deep call is outside the budget: it ends within
		// in.deep steps, by returning or by overflowing the stack.
		if deep || g.mult*in.cost <= budget {
			g.expr(min(nest-1, 1))
			if !deep {
				g.emit(jasm.OpPush, recDepthCap)
				g.emit(jasm.OpAnd, 0)
			}
			for k := 1; k < in.params; k++ {
				g.expr(min(nest-1, 1))
			}
			g.emit(jasm.OpCall, int64(j))
			if deep {
				g.deep = true
			} else {
				g.cost += g.mult * in.cost
			}
			return true
		}
		return false
	}
	cost := in.cost
	var cands []int
	pcall := !g.o.NoSites && g.r.IntN(3) == 0
	if pcall { // the estimate must hold for every retarget candidate
		for c := 0; c < g.fi; c++ {
			if ci := g.info[c]; !ci.rec && ci.params == in.params {
				cands = append(cands, c)
				cost = max(cost, ci.cost)
			}
		}
	}
	if g.mult*cost > budget {
		return false
	}
	for k := 0; k < in.params; k++ {
		g.expr(min(nest-1, 2))
	}
	if pcall {
		g.site(jasm.OpPCall, int64(j))
	} else {
		g.emit(jasm.OpCall, int64(j))
	}
	g.cost += g.mult * cost
	return true
}

// FromBytes builds a small program from fuzzer input: the bytes drive the
// generator's choices (after they run out, a fixed pseudo-random sequence
// does), so every input gives a verified, terminating program and similar
// inputs give similar programs.
func FromBytes(data []byte) *jasm.Program {
	r := rand.New(&byteSource{data: data, state: 0x9e3779b97f4a7c15})
	return Generate(r, Options{Funcs: 3, Insts: 40, MaxSteps: 5000, DeepRecursion: len(data) > 0 && data[0]&1 == 1})
}

// byteSource is a rand.Source whose values take their top byte from data
// and their other bits from splitmix64, which alone supplies them once data
// is used up (never all zeros, so rejection sampling ends).
type byteSource struct {
	data  []byte
	state uint64
}

func (s *byteSource) Uint64() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	if len(s.data) == 0 {
		return z
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], z)
	b[7] = s.data[0]
	s.data = s.data[1:]
	return binary.LittleEndian.Uint64(b[:])
}
