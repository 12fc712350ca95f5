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
		var b built
		var err error
		switch arch {
		case "amd64":
			b, err = buildAMD64(s, at, k)
		case "ppc64le":
			b, err = buildPPC64(s, at, k)
		case "arm64":
			b, err = buildARM64(s, at, k)
		default:
			return nil, fmt.Errorf("litmus: no assembler for %s", arch)
		}
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

// Check assembles t's sites for arch ("amd64", "ppc64le", "arm64") and plans
// every write, without running anything: an error matching ErrLayout names
// the site or operation that this ISA cannot do as written.
func Check(t *Test, arch string) error {
	_, err := assembleTest(t, arch)
	return err
}

// assembleTest assembles every site of t for arch and checks every write.
func assembleTest(t *Test, arch string) (map[string]*siteCode, error) {
	codes := map[string]*siteCode{}
	for _, s := range t.Sites {
		sc, err := assembleSite(arch, s)
		if err != nil {
			return nil, err
		}
		codes[s.Name] = sc
	}
	for _, th := range t.Threads {
		for _, op := range th.Ops {
			if op.Kind != OpWrite {
				continue
			}
			sc := codes[op.Site]
			if _, err := planWrite(sc, t.Site(op.Site).Version(op.Version), op.Mode); err != nil {
				return nil, &Error{Pos: op.Pos, Msg: fmt.Sprintf("%s on %s: %v", op, arch, err), Kind: ErrLayout}
			}
		}
	}
	return codes, nil
}

// cursor tracks the offset of the next instruction, which the assemblers
// know only at Finish for label references; every instruction emitted here
// has a fixed size.
type cursor struct {
	pos  int
	pad  func() // emits one unit of landing pad (a 1-byte nop, or a nop word)
	unit int
}

func (c *cursor) padTo(off int) error {
	if c.pos > off {
		return fmt.Errorf("code reaches offset %d, past %d", c.pos, off)
	}
	for c.pos < off {
		c.pad()
		c.pos += c.unit
	}
	return nil
}

// checkLabels compares the labels' offsets after layout with where the
// cursor put them.
func checkLabels(bl *codegen.Blob, want map[codegen.Label]int) error {
	for l, off := range want {
		if got := bl.Offset(l); got != off {
			return fmt.Errorf("BUG: label at %d, counted %d", got, off)
		}
	}
	return nil
}

func buildAMD64(s *Site, at, k int) (built, error) {
	a := x86.New()
	c := &cursor{pad: func() { a.Emit(0x90) }, unit: 1}
	want := map[codegen.Label]int{}
	val := func(v int64) int32 { return int32(v) }
	bodies := func(labels []codegen.Label, values func(j int) int64) error {
		for j, l := range labels {
			if err := c.padTo(bodyBase + j*bodyStride - 8); err != nil {
				return err
			}
			a.MovRI32(x86.RAX, val(tornValue("amd64"))) // 7 bytes
			a.Ret()
			c.pos += 8
			a.Bind(l)
			want[l] = c.pos
			a.MovRI32(x86.RAX, val(values(j)))
			a.Ret()
			c.pos += 8
		}
		if err := c.padTo(c.pos + tailSled); err != nil {
			return err
		}
		a.MovRI32(x86.RAX, val(tornValue("amd64")))
		a.Ret()
		return nil
	}
	if err := c.padTo(at); err != nil {
		return built{}, err
	}
	entry := a.NewLabel()
	a.Bind(entry)
	v := versionValue("amd64", s.Shape, k)
	var err error
	switch s.Shape {
	case ShapeImm:
		a.MovRI32(x86.RAX, val(v))
		a.Ret()
	case ShapeWide:
		a.MovRI64(x86.RAX, v)
		a.Ret()
	case ShapeSlot:
		slot := a.NewLabel()
		a.LoadRIP(x86.RAX, slot)
		a.Ret()
		a.Align(8)
		a.Bind(slot)
		a.Emit64(uint64(v))
	case ShapeBranch, ShapeCall:
		labels := make([]codegen.Label, len(s.Versions))
		for j := range labels {
			labels[j] = a.NewLabel()
		}
		if s.Shape == ShapeBranch {
			a.JmpLong(labels[k])
			c.pos += 5
		} else {
			a.Nop(3)
			a.Call(labels[k])
			a.Ret()
			c.pos += 9
		}
		err = bodies(labels, func(j int) int64 { return versionValue("amd64", s.Shape, j) })
	case ShapeGuard:
		armed := a.NewLabel()
		if k == 0 {
			a.Nop(5)
		} else {
			a.JmpLong(armed)
		}
		a.MovRI32(x86.RAX, val(versionValue("amd64", s.Shape, 0)))
		a.Ret()
		c.pos += 13
		err = bodies([]codegen.Label{armed}, func(int) int64 { return versionValue("amd64", s.Shape, 1) })
	}
	// The park stub: mov rcx, [rip+lit]; movq $1, (rcx); pause; jmp entry.
	a.Align(8)
	lit, stub := a.NewLabel(), a.NewLabel()
	a.Bind(lit)
	a.Emit64(0)
	a.Bind(stub)
	a.LoadRIP(x86.RCX, lit)
	a.StoreI32(x86.Mem{Base: x86.RCX}, 1)
	a.Pause()
	a.Jmp(entry)
	if err != nil {
		return built{}, err
	}
	bl, err := a.Finish()
	if err != nil {
		return built{}, err
	}
	return built{bl.Code, bl.Offset(stub), bl.Offset(lit)}, checkLabels(bl, want)
}

func buildPPC64(s *Site, at, k int) (built, error) {
	a := ppc.New()
	c := &cursor{pad: func() { a.Nop() }, unit: 4}
	want := map[codegen.Label]int{}
	torn := tornValue("ppc64le")
	bodies := func(labels []codegen.Label, values func(j int) int64) error {
		for j, l := range labels {
			if err := c.padTo(bodyBase + j*bodyStride - 8); err != nil {
				return err
			}
			a.Li(ppc.R3, torn)
			a.Blr()
			c.pos += 8
			a.Bind(l)
			want[l] = c.pos
			a.Li(ppc.R3, values(j))
			a.Blr()
			c.pos += 8
		}
		if err := c.padTo(c.pos + tailSled); err != nil {
			return err
		}
		a.Li(ppc.R3, torn)
		a.Blr()
		return nil
	}
	if err := c.padTo(at); err != nil {
		return built{}, err
	}
	entry := a.NewLabel()
	a.Bind(entry)
	v := versionValue("ppc64le", s.Shape, k)
	var err error
	switch s.Shape {
	case ShapeImm:
		a.Li(ppc.R3, v)
		a.Blr()
	case ShapeWide:
		a.Lis(ppc.R3, v>>16)
		a.Ori(ppc.R3, ppc.R3, v&0xffff)
		a.Blr()
	case ShapeSlot:
		// The blob's address from the link register: bl to the next
		// word, LR saved in r12 and restored (r11, r12: scratch).
		next, slot := a.NewLabel(), a.NewLabel()
		a.Mflr(ppc.R12)
		a.Bl(next)
		a.Bind(next)
		a.Mflr(ppc.R11)
		a.Mtlr(ppc.R12)
		a.LdRel(ppc.R3, ppc.R11, slot, next)
		a.Blr()
		a.Align(8)
		a.Bind(slot)
		a.Emit64(uint64(v))
	case ShapeBranch, ShapeCall:
		labels := make([]codegen.Label, len(s.Versions))
		for j := range labels {
			labels[j] = a.NewLabel()
		}
		if s.Shape == ShapeBranch {
			a.B(labels[k])
			c.pos += 4
		} else {
			a.Mflr(ppc.R12)
			a.Bl(labels[k])
			a.Mtlr(ppc.R12)
			a.Blr()
			c.pos += 16
		}
		err = bodies(labels, func(j int) int64 { return versionValue("ppc64le", s.Shape, j) })
	case ShapeGuard:
		armed := a.NewLabel()
		if k == 0 {
			a.Nop()
		} else {
			a.B(armed)
		}
		a.Li(ppc.R3, versionValue("ppc64le", s.Shape, 0))
		a.Blr()
		c.pos += 12
		err = bodies([]codegen.Label{armed}, func(int) int64 { return versionValue("ppc64le", s.Shape, 1) })
	}
	// The park stub: the literal's address from the link register (as
	// the slot shape), then std 1 through it and b entry.
	a.Align(8)
	lit, stub, next := a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.Bind(lit)
	a.Emit64(0)
	a.Bind(stub)
	a.Mflr(ppc.R12)
	a.Bl(next)
	a.Bind(next)
	a.Mflr(ppc.R11)
	a.Mtlr(ppc.R12)
	a.LdRel(ppc.R11, ppc.R11, lit, next)
	a.Li(ppc.R12, 1)
	a.Std(ppc.R12, ppc.R11, 0)
	a.B(entry)
	if err != nil {
		return built{}, err
	}
	bl, err := a.Finish()
	if err != nil {
		return built{}, err
	}
	return built{bl.Code, bl.Offset(stub), bl.Offset(lit)}, checkLabels(bl, want)
}

// constWords is how many instructions arm64's LoadConst takes for v.
func constWords(v int64) int {
	a := a64.New()
	a.LoadConst(a64.R0, v)
	return a.Len() / 4
}

func buildARM64(s *Site, at, k int) (built, error) {
	a := a64.New()
	c := &cursor{pad: func() { a.Nop() }, unit: 4}
	want := map[codegen.Label]int{}
	load := func(v int64, words int) error {
		if n := constWords(v); n != words {
			return fmt.Errorf("loading %#x takes %d instructions, not %d", v, n, words)
		}
		a.LoadConst(a64.R0, v)
		c.pos += 4 * words
		return nil
	}
	torn := tornValue("arm64")
	bodies := func(labels []codegen.Label, values func(j int) int64) error {
		for j, l := range labels {
			if err := c.padTo(bodyBase + j*bodyStride - 8); err != nil {
				return err
			}
			if err := load(torn, 1); err != nil {
				return err
			}
			a.Ret()
			c.pos += 4
			a.Bind(l)
			want[l] = c.pos
			if err := load(values(j), 1); err != nil {
				return err
			}
			a.Ret()
			c.pos += 4
		}
		if err := c.padTo(c.pos + tailSled); err != nil {
			return err
		}
		if err := load(torn, 1); err != nil {
			return err
		}
		a.Ret()
		return nil
	}
	if err := c.padTo(at); err != nil {
		return built{}, err
	}
	entry := a.NewLabel()
	a.Bind(entry)
	v := versionValue("arm64", s.Shape, k)
	var err error
	switch s.Shape {
	case ShapeImm:
		err = load(v, 1) // movz
		a.Ret()
	case ShapeWide:
		err = load(v, 2) // movz, movk
		a.Ret()
	case ShapeSlot:
		slot := a.NewLabel()
		a.LdrLit(a64.R0, slot)
		a.Ret()
		a.Align(8)
		a.Bind(slot)
		a.Emit64(uint64(v))
	case ShapeBranch, ShapeCall:
		labels := make([]codegen.Label, len(s.Versions))
		for j := range labels {
			labels[j] = a.NewLabel()
		}
		if s.Shape == ShapeBranch {
			a.B(labels[k])
			c.pos += 4
		} else {
			a.StpPre(a64.R29, a64.R30, a64.SP, -16)
			a.Bl(labels[k])
			a.LdpPost(a64.R29, a64.R30, a64.SP, 16)
			a.Ret()
			c.pos += 16
		}
		err = bodies(labels, func(j int) int64 { return versionValue("arm64", s.Shape, j) })
	case ShapeGuard:
		armed := a.NewLabel()
		if k == 0 {
			a.Nop()
		} else {
			a.B(armed)
		}
		c.pos += 4
		if err = load(versionValue("arm64", s.Shape, 0), 1); err == nil {
			a.Ret()
			c.pos += 4
			err = bodies([]codegen.Label{armed}, func(int) int64 { return versionValue("arm64", s.Shape, 1) })
		}
	}
	// The park stub: ldr x16, lit; mov x17, #1; str x17, [x16]; b entry.
	a.Align(8)
	lit, stub := a.NewLabel(), a.NewLabel()
	a.Bind(lit)
	a.Emit64(0)
	a.Bind(stub)
	a.LdrLit(a64.R16, lit)
	a.LoadConst(a64.R17, 1)
	a.Str(a64.R17, a64.R16, 0)
	a.B(entry)
	if err != nil {
		return built{}, err
	}
	bl, err := a.Finish()
	if err != nil {
		return built{}, err
	}
	return built{bl.Code, bl.Offset(stub), bl.Offset(lit)}, checkLabels(bl, want)
}

// parkJump assembles the jump from the entry at from to the park stub at to
// for arch (amd64 jmp rel32, ppc64le b, arm64 B) and returns its bytes.
func parkJump(arch string, from, to int) ([]byte, error) {
	n := 4
	if arch == "amd64" {
		n = 5
	}
	if to < from+n {
		return nil, fmt.Errorf("BUG: litmus: park stub at +%d, within the jump at +%d", to, from)
	}
	var bl *codegen.Blob
	var err error
	switch arch {
	case "amd64":
		a := x86.New()
		l := a.NewLabel()
		a.Emit(make([]byte, from)...)
		a.JmpLong(l)
		a.Emit(make([]byte, to-from-n)...)
		a.Bind(l)
		bl, err = a.Finish()
	case "ppc64le":
		a := ppc.New()
		l := a.NewLabel()
		a.Emit(make([]byte, from)...)
		a.B(l)
		a.Emit(make([]byte, to-from-n)...)
		a.Bind(l)
		bl, err = a.Finish()
	case "arm64":
		a := a64.New()
		l := a.NewLabel()
		a.Emit(make([]byte, from)...)
		a.B(l)
		a.Emit(make([]byte, to-from-n)...)
		a.Bind(l)
		bl, err = a.Finish()
	default:
		return nil, fmt.Errorf("litmus: no assembler for %s", arch)
	}
	if err != nil {
		return nil, err
	}
	if len(bl.Code) != to {
		return nil, fmt.Errorf("BUG: litmus: park jump assembled to %d bytes, want %d", len(bl.Code), to)
	}
	return bl.Code[from : from+n], nil
}
