package litmus

import (
	"fmt"

	"github.com/syncore/syncore/codegen"
	x86 "github.com/syncore/syncore/codegen/amd64"
	a64 "github.com/syncore/syncore/codegen/arm64"
	ppc "github.com/syncore/syncore/codegen/ppc64"
)

// Assembling sites. Every version of a site is assembled as a whole block
// with the same layout, so that the versions differ only in the site's
// changed bytes; each block is a position-independent function loaded with
// jit.Runtime.LoadAsm (one program per site). Assembly does not depend on
// the host: Check runs it for any ISA.

const (
	// bodyBase is the offset of the first body of a branch, call or guard
	// site; bodyStride the distance between bodies: 0x440 bytes, so the
	// offsets of neighbouring versions' branches differ in two bytes on
	// every ISA (a byte-by-byte write passes through a mix), and a mix of
	// the two lands 0x40 bytes after a body or 0x40 before the next: in a
	// landing pad, not in an instruction.
	bodyBase   = 128
	bodyStride = 0x440
	// tailSled is the landing pad after the last body.
	tailSled = 64
)

// tornValue is what a landing pad returns: no version's value. On amd64 the
// pad's immediate is 90 90 90 90 (mov rax, imm32 sign-extends it), so a jump
// into the immediate itself slides on as well.
func tornValue(arch string) int64 {
	if arch == "amd64" {
		return int64(int32(-0x6f6f6f70)) // 0x90909090 as a signed imm32
	}
	return 0x7f7f
}

// versionValue is what version k of a site of shape sh returns on arch.
func versionValue(arch string, sh Shape, k int) int64 {
	n := int64(k + 1)
	wideISA := arch == "amd64"
	switch sh {
	case ShapeImm:
		if wideISA {
			return n * 0x01010101
		}
		return n * 0x0101
	case ShapeWide:
		if wideISA {
			return n * 0x0101010101010101
		}
		return n * 0x01010101
	case ShapeSlot:
		return n * 0x0101010101010101
	}
	return n
}

// siteCode is one site assembled for one ISA.
type siteCode struct {
	arch   string
	entry  int      // offset of the function's entry in the block
	code   [][]byte // per version: the whole block
	values []int64  // per version: what it returns
	// win, winEnd: the changed bytes, from the first byte in which two
	// versions differ to the last.
	win, winEnd int
	// stub is the offset of the site's park stub: it stores 1 into the
	// park word (whose address the 8 bytes at lit hold, set when the site
	// is loaded) and jumps back to the entry. park is the jump from the
	// entry to the stub that a Park write stores over the head.
	stub, lit int
	park      []byte
}

// built is one version's block and where its park stub lies.
type built struct {
	code      []byte
	stub, lit int
}

// versionOf returns the version that returns v, or -1 (torn).
func (sc *siteCode) versionOf(v int64) int {
	for k, x := range sc.values {
		if x == v {
			return k
		}
	}
	return -1
}

// defaultAt is where a shape's entry goes when the file does not say: where
// its changed bytes lie in one aligned word (one qword for amd64 wide).
func defaultAt(arch string, sh Shape) int {
	if arch == "amd64" && sh == ShapeWide {
		return 6 // movabs's imm64 fills [8, 16)
	}
	return 0
}

func layoutErr(s *Site, format string, args ...any) error {
	return &Error{Pos: s.Pos, Msg: fmt.Sprintf("site %s: ", s.Name) + fmt.Sprintf(format, args...), Kind: ErrLayout}
}

// assembleSite assembles every version of s for arch.
func assembleSite(arch string, s *Site) (*siteCode, error) {
	at := s.At
	if at < 0 {
		at = defaultAt(arch, s.Shape)
	}
	if arch != "amd64" && at%4 != 0 {
		return nil, layoutErr(s, "at %d: %s instructions are 4-byte aligned", at, arch)
	}
	sc := &siteCode{arch: arch, entry: at}
	for k := range s.Versions {
		b, err := buildSite(arch, s, at, k)
		if err != nil {
			return nil, layoutErr(s, "%s: %v", arch, err)
		}
		sc.code = append(sc.code, b.code)
		sc.stub, sc.lit = b.stub, b.lit
		sc.values = append(sc.values, versionValue(arch, s.Shape, k))
	}
	var err error
	if sc.park, err = parkJump(arch, at, sc.stub); err != nil {
		return nil, layoutErr(s, "%s: the park jump: %v", arch, err)
	}
	sc.win, sc.winEnd = -1, -1
	for k := 1; k < len(sc.code); k++ {
		if len(sc.code[k]) != len(sc.code[0]) {
			return nil, fmt.Errorf("BUG: litmus: site %s: versions of %d and %d bytes on %s", s.Name, len(sc.code[0]), len(sc.code[k]), arch)
		}
		for i := range sc.code[0] {
			if sc.code[k][i] != sc.code[0][i] {
				if sc.win < 0 || i < sc.win {
					sc.win = i
				}
				if i+1 > sc.winEnd {
					sc.winEnd = i + 1
				}
			}
		}
	}
	if sc.win < 0 {
		return nil, fmt.Errorf("BUG: litmus: site %s: all versions assemble alike on %s", s.Name, arch)
	}
	return sc, nil
}

// store is one store of a write: width bytes at offset off of the block
// (aligned to width); bytes under mask take bits, the others are rewritten
// with their own values (read just before).
type store struct {
	off, width int
	mask, bits uint64
}

// planWrite returns the stores that write version k of a site with mode.
func planWrite(sc *siteCode, k int, mode WriteMode) ([]store, error) {
	// part stores the bytes of src in [lo, hi) that lie in the aligned
	// width bytes at off.
	part := func(off, width, lo, hi int, src func(i int) byte) store {
		st := store{off: off, width: width}
		for i := max(off, lo); i < min(off+width, hi); i++ {
			sh := uint(8 * (i - off))
			st.mask |= 0xff << sh
			st.bits |= uint64(src(i)) << sh
		}
		return st
	}
	version := func(i int) byte { return sc.code[k][i] }
	piece := func(off, width int) store { return part(off, width, sc.win, sc.winEnd, version) }
	first, last := sc.win, sc.winEnd-1
	switch mode {
	case Park, Tail, Head:
		// The head is the park jump's bytes at the entry; one aligned
		// store (a qword on amd64, the instruction word elsewhere) must
		// cover it, and the changed bytes must not start before it.
		e, h := sc.entry, len(sc.park)
		unit := 4
		if sc.arch == "amd64" {
			unit = 8
		}
		if e/unit != (e+h-1)/unit {
			return nil, fmt.Errorf("the %d-byte park jump at the entry (+%d) crosses an aligned %d-byte word: no single store parks it", h, e, unit)
		}
		if sc.win < e {
			return nil, fmt.Errorf("the changed bytes start at +%d, before the entry (+%d): the park cannot cover them", sc.win, e)
		}
		switch mode {
		case Park:
			return []store{part(e&^(unit-1), unit, e, e+h, func(i int) byte { return sc.park[i-e] })}, nil
		case Head:
			return []store{part(e&^(unit-1), unit, e, e+h, version)}, nil
		}
		var sts []store
		for q := max(sc.win, e+h) &^ (unit - 1); q < sc.winEnd; q += unit {
			if st := part(q, unit, max(sc.win, e+h), sc.winEnd, version); st.mask != 0 {
				sts = append(sts, st)
			}
		}
		return sts, nil
	case Atomic:
		if sc.arch != "amd64" && first/4 == last/4 {
			return []store{piece(first&^3, 4)}, nil
		}
		if first/8 != last/8 {
			return nil, fmt.Errorf("the changed bytes [%d, %d) cross an aligned qword: no single store covers them", sc.win, sc.winEnd)
		}
		return []store{piece(first&^7, 8)}, nil
	case Bytewise:
		var sts []store
		for i := first; i <= last; i++ {
			sts = append(sts, piece(i, 1))
		}
		return sts, nil
	case Straddle:
		if first/8 == last/8 {
			return nil, fmt.Errorf("the changed bytes [%d, %d) lie in one aligned qword: nothing to straddle", sc.win, sc.winEnd)
		}
		var sts []store
		for q := first &^ 7; q <= last; q += 8 {
			sts = append(sts, piece(q, 8))
		}
		return sts, nil
	}
	return nil, fmt.Errorf("unknown write mode %v", mode)
}

// Check assembles t's sites for arch ("amd64", "ppc64le", "arm64"), plans
// every write and lays out the outcomes, without running anything: an error
// matching ErrLayout names the site or operation that this ISA cannot do as
// written, or says that the test has more outcomes than a run can count.
// A test that passes Check for the host's ISA is one Run accepts.
func Check(t *Test, arch string) error {
	if _, _, err := assembleTest(t, arch); err != nil {
		return err
	}
	_, err := newSpace(t)
	return err
}

// assembleTest assembles every site of t for arch and plans every write: the
// stores of each write operation, by operation.
func assembleTest(t *Test, arch string) (map[string]*siteCode, map[*Op][]store, error) {
	codes := map[string]*siteCode{}
	for _, s := range t.Sites {
		sc, err := assembleSite(arch, s)
		if err != nil {
			return nil, nil, err
		}
		codes[s.Name] = sc
	}
	plans := map[*Op][]store{}
	for _, th := range t.Threads {
		for _, op := range th.Ops {
			if op.Kind != OpWrite {
				continue
			}
			sc := codes[op.Site]
			sts, err := planWrite(sc, t.Site(op.Site).Version(op.Version), op.Mode)
			if err != nil {
				return nil, nil, &Error{Pos: op.Pos, Msg: fmt.Sprintf("%s on %s: %v", op, arch, err), Kind: ErrLayout}
			}
			plans[op] = sts
		}
	}
	return codes, plans, nil
}

// siteAsm is what building a site needs from one ISA's assembler. Every
// method emits instructions of a fixed size and returns it, so that the
// builder knows each offset before layout (checkLabels compares).
type siteAsm interface {
	NewLabel() codegen.Label
	Bind(codegen.Label)
	Align(int)
	Emit64(uint64)
	Finish() (*codegen.Blob, error)
	// pad emits one unit of landing pad: a 1-byte nop, or a nop word.
	pad() int
	// ret emits "result = v; return" in 8 bytes.
	ret(v int64) (int, error)
	// code emits the entry of an imm, wide or slot site for value v.
	code(sh Shape, v int64) error
	// branch and call emit a branch or call site's entry to target; guard
	// a guard's nop (armed false) or its jump to target.
	branch(target codegen.Label) int
	call(target codegen.Label) int
	guard(armed bool, target codegen.Label) int
	// stub emits the park stub: set the word whose address lit holds,
	// then jump to entry.
	stub(lit, entry codegen.Label)
}

// newSiteAsm returns arch's siteAsm.
func newSiteAsm(arch string) (siteAsm, error) {
	switch arch {
	case "amd64":
		return amd64Site{x86.New()}, nil
	case "ppc64le":
		return ppcSite{ppc.New()}, nil
	case "arm64":
		return armSite{a64.New()}, nil
	}
	return nil, fmt.Errorf("litmus: no assembler for %s", arch)
}

// buildSite assembles version k of s for arch with its entry at at: the
// entry's code, for branch, call and guard sites the bodies (each after a
// landing pad that returns the torn value) and a trailing sled, then the
// park stub and its literal.
func buildSite(arch string, s *Site, at, k int) (built, error) {
	a, err := newSiteAsm(arch)
	if err != nil {
		return built{}, err
	}
	pos := 0
	want := map[codegen.Label]int{} // labels and the offsets counted for them
	padTo := func(off int) error {
		if pos > off {
			return fmt.Errorf("code reaches offset %d, past %d", pos, off)
		}
		for pos < off {
			pos += a.pad()
		}
		return nil
	}
	ret := func(v int64) error {
		n, err := a.ret(v)
		pos += n
		return err
	}
	bodies := func(labels []codegen.Label, first int) error {
		for j, l := range labels {
			if err := padTo(bodyBase + j*bodyStride - 8); err != nil {
				return err
			}
			if err := ret(tornValue(arch)); err != nil {
				return err
			}
			a.Bind(l)
			want[l] = pos
			if err := ret(versionValue(arch, s.Shape, first+j)); err != nil {
				return err
			}
		}
		if err := padTo(pos + tailSled); err != nil {
			return err
		}
		return ret(tornValue(arch))
	}
	if err := padTo(at); err != nil {
		return built{}, err
	}
	entry := a.NewLabel()
	a.Bind(entry)
	switch s.Shape {
	case ShapeImm, ShapeWide, ShapeSlot:
		err = a.code(s.Shape, versionValue(arch, s.Shape, k))
	case ShapeBranch, ShapeCall:
		labels := make([]codegen.Label, len(s.Versions))
		for j := range labels {
			labels[j] = a.NewLabel()
		}
		if s.Shape == ShapeBranch {
			pos += a.branch(labels[k])
		} else {
			pos += a.call(labels[k])
		}
		err = bodies(labels, 0)
	case ShapeGuard:
		armed := a.NewLabel()
		pos += a.guard(k == 1, armed)
		if err = ret(versionValue(arch, s.Shape, 0)); err == nil {
			err = bodies([]codegen.Label{armed}, 1)
		}
	}
	if err != nil {
		return built{}, err
	}
	a.Align(8)
	lit, stub := a.NewLabel(), a.NewLabel()
	a.Bind(lit)
	a.Emit64(0)
	a.Bind(stub)
	a.stub(lit, entry)
	bl, err := a.Finish()
	if err != nil {
		return built{}, err
	}
	for l, off := range want {
		if got := bl.Offset(l); got != off {
			return built{}, fmt.Errorf("BUG: label at %d, counted %d", got, off)
		}
	}
	return built{bl.Code, bl.Offset(stub), bl.Offset(lit)}, nil
}

// amd64Site: the result in RAX; RCX is the stub's scratch.
type amd64Site struct{ *x86.Asm }

func (a amd64Site) pad() int { a.Emit(0x90); return 1 }

func (a amd64Site) ret(v int64) (int, error) {
	a.MovRI32(x86.RAX, int32(v)) // 7 bytes
	a.Ret()
	return 8, nil
}

func (a amd64Site) code(sh Shape, v int64) error {
	switch sh {
	case ShapeImm:
		a.MovRI32(x86.RAX, int32(v))
	case ShapeWide:
		a.MovRI64(x86.RAX, v)
	case ShapeSlot:
		slot := a.NewLabel()
		a.LoadRIP(x86.RAX, slot)
		a.Ret()
		a.Align(8)
		a.Bind(slot)
		a.Emit64(uint64(v))
		return nil
	}
	a.Ret()
	return nil
}

func (a amd64Site) branch(l codegen.Label) int { a.JmpLong(l); return 5 }

// call is syncore's pcall shape: the 3-byte nop puts the call's rel32 in
// one aligned qword with its opcode.
func (a amd64Site) call(l codegen.Label) int { a.Nop(3); a.Call(l); a.Ret(); return 9 }

func (a amd64Site) guard(armed bool, l codegen.Label) int {
	if armed {
		a.JmpLong(l)
	} else {
		a.Nop(5)
	}
	return 5
}

// stub: mov rcx, [rip+lit]; movq $1, (rcx); pause; jmp entry.
func (a amd64Site) stub(lit, entry codegen.Label) {
	a.LoadRIP(x86.RCX, lit)
	a.StoreI32(x86.Mem{Base: x86.RCX}, 1)
	a.Pause()
	a.Jmp(entry)
}

// ppcSite: the result in r3; r11 and r12 are scratch.
type ppcSite struct{ *ppc.Asm }

func (a ppcSite) pad() int { a.Nop(); return 4 }

func (a ppcSite) ret(v int64) (int, error) { a.Li(ppc.R3, v); a.Blr(); return 8, nil }

func (a ppcSite) code(sh Shape, v int64) error {
	switch sh {
	case ShapeImm:
		a.Li(ppc.R3, v)
	case ShapeWide:
		a.Lis(ppc.R3, v>>16)
		a.Ori(ppc.R3, ppc.R3, v&0xffff)
	case ShapeSlot:
		slot := a.NewLabel()
		a.ldLiteral(ppc.R3, slot)
		a.Blr()
		a.Align(8)
		a.Bind(slot)
		a.Emit64(uint64(v))
		return nil
	}
	a.Blr()
	return nil
}

// ldLiteral loads the doubleword at lit into rt: the code's address from
// the link register (bl to the next word; LR kept in r12 and restored).
func (a ppcSite) ldLiteral(rt ppc.Reg, lit codegen.Label) {
	next := a.NewLabel()
	a.Mflr(ppc.R12)
	a.Bl(next)
	a.Bind(next)
	a.Mflr(ppc.R11)
	a.Mtlr(ppc.R12)
	a.LdRel(rt, ppc.R11, lit, next)
}

func (a ppcSite) branch(l codegen.Label) int { a.B(l); return 4 }

func (a ppcSite) call(l codegen.Label) int {
	a.Mflr(ppc.R12)
	a.Bl(l)
	a.Mtlr(ppc.R12)
	a.Blr()
	return 16
}

func (a ppcSite) guard(armed bool, l codegen.Label) int {
	if armed {
		a.B(l)
	} else {
		a.Nop()
	}
	return 4
}

// stub: the literal through LR as ldLiteral, std 1 through it, b entry.
func (a ppcSite) stub(lit, entry codegen.Label) {
	a.ldLiteral(ppc.R11, lit)
	a.Li(ppc.R12, 1)
	a.Std(ppc.R12, ppc.R11, 0)
	a.B(entry)
}

// armSite: the result in x0; x16 and x17 are scratch.
type armSite struct{ *a64.Asm }

func (a armSite) pad() int { a.Nop(); return 4 }

// load emits LoadConst(x0, v), which must take words instructions.
func (a armSite) load(v int64, words int) error {
	probe := a64.New()
	probe.LoadConst(a64.R0, v)
	if n := probe.Len() / 4; n != words {
		return fmt.Errorf("loading %#x takes %d instructions, not %d", v, n, words)
	}
	a.LoadConst(a64.R0, v)
	return nil
}

func (a armSite) ret(v int64) (int, error) {
	err := a.load(v, 1)
	a.Ret()
	return 8, err
}

func (a armSite) code(sh Shape, v int64) error {
	var err error
	switch sh {
	case ShapeImm:
		err = a.load(v, 1) // movz
	case ShapeWide:
		err = a.load(v, 2) // movz, movk
	case ShapeSlot:
		slot := a.NewLabel()
		a.LdrLit(a64.R0, slot)
		a.Ret()
		a.Align(8)
		a.Bind(slot)
		a.Emit64(uint64(v))
		return nil
	}
	a.Ret()
	return err
}

func (a armSite) branch(l codegen.Label) int { a.B(l); return 4 }

func (a armSite) call(l codegen.Label) int {
	a.StpPre(a64.R29, a64.R30, a64.SP, -16)
	a.Bl(l)
	a.LdpPost(a64.R29, a64.R30, a64.SP, 16)
	a.Ret()
	return 16
}

func (a armSite) guard(armed bool, l codegen.Label) int {
	if armed {
		a.B(l)
	} else {
		a.Nop()
	}
	return 4
}

// stub: ldr x16, lit; mov x17, #1; str x17, [x16]; b entry.
func (a armSite) stub(lit, entry codegen.Label) {
	a.LdrLit(a64.R16, lit)
	a.LoadConst(a64.R17, 1)
	a.Str(a64.R17, a64.R16, 0)
	a.B(entry)
}

// parkJump assembles the jump from the entry at from to the park stub at to
// with arch's siteAsm (its branch: amd64 jmp rel32, ppc64le b, arm64 B) and
// returns its bytes.
func parkJump(arch string, from, to int) ([]byte, error) {
	a, err := newSiteAsm(arch)
	if err != nil {
		return nil, err
	}
	pos := 0
	for pos < from {
		pos += a.pad()
	}
	stub := a.NewLabel()
	n := a.branch(stub)
	if pos != from || to < from+n {
		return nil, fmt.Errorf("BUG: litmus: a %d-byte park jump at +%d (padded to +%d) to a stub at +%d", n, from, pos, to)
	}
	for pos += n; pos < to; {
		pos += a.pad()
	}
	a.Bind(stub)
	bl, err := a.Finish()
	if err != nil {
		return nil, err
	}
	if pos != to || len(bl.Code) != to {
		return nil, fmt.Errorf("BUG: litmus: park jump assembled to %d bytes (counted %d), want %d", len(bl.Code), pos, to)
	}
	return bl.Code[from : from+n], nil
}
