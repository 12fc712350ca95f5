package amd64

import (
	"github.com/syncore/syncore/codegen"
)

// Asm is the amd64 assembler. It embeds the [codegen.Buffer] it writes to,
// so labels ([codegen.Buffer.NewLabel], [codegen.Buffer.Bind]), alignment,
// [codegen.Buffer.Finish] and [codegen.Buffer.Reset] are called on it
// directly. An Asm is not safe for concurrent use.
//
// Every emitter appends one instruction in its canonical encoding (the bytes
// GNU as emits for the same AT&T source, noted in each method's comment in
// Intel operand order) or records a mistake in the buffer and appends
// nothing. Emitters do not allocate once the buffer has grown.
type Asm struct {
	*codegen.Buffer
}

// New returns an assembler with an empty buffer.
func New() *Asm { return &Asm{codegen.NewBuffer(Arch{})} }

// REX prefixes: 0100WRXB. R extends ModRM.reg, X the SIB index, B
// ModRM.rm, the SIB base or the opcode register; the encoders shift the
// registers' bit 3 into place.
const (
	rex  = 0x40
	rexW = 0x48
	rexB = 0x01
)

// ALU operation numbers: the ModRM reg field of the 0x81/0x83 group and
// (times 8) the base of the one-byte opcodes 00–3D.
const (
	aluAdd = 0
	aluOr  = 1
	aluAnd = 4
	aluSub = 5
	aluXor = 6
	aluCmp = 7
)

// ---- error paths (kept out of line so emitters stay small and allocate nothing)

//go:noinline
func (a *Asm) badReg(inst string, regs ...Reg) {
	for _, r := range regs {
		if r >= NumRegs {
			a.Failf(inst, codegen.ErrBadOperand, "register %d does not exist", uint8(r))
			return
		}
	}
	panic("BUG: amd64: badReg called with valid registers")
}

//go:noinline
func (a *Asm) badCond(inst string, c Cond) {
	a.Failf(inst, codegen.ErrBadOperand, "condition code %d does not exist", uint8(c))
}

//go:noinline
func (a *Asm) outOfRange(inst string, what string, v int64, lo, hi int64) {
	a.Failf(inst, codegen.ErrOutOfRange, "%s %d not in [%d, %d]", what, v, lo, hi)
}

// checkMem reports whether m is encodable, recording the mistake if not.
func (a *Asm) checkMem(inst string, m Mem) bool {
	if memValid(m.Base, m.Index, m.Scale, m.HasIndex) {
		return true
	}
	a.badMem(inst, m)
	return false
}

// scaleOK[s] says whether s is a valid index scale.
var scaleOK = [9]bool{1: true, 2: true, 4: true, 8: true}

// memValid takes m's fields one by one: copying a Mem whose fields arrive
// in separate registers into one 8-byte load stalls store forwarding.
func memValid(base, index Reg, scale uint8, hasIndex bool) bool {
	if hasIndex {
		return base|index < NumRegs && index != RSP && scale <= 8 && scaleOK[scale]
	}
	return base < NumRegs && scale <= 1
}

//go:noinline
func (a *Asm) badMem(inst string, m Mem) {
	switch {
	case m.Base >= NumRegs:
		a.badReg(inst, m.Base)
	case m.HasIndex && m.Index >= NumRegs:
		a.badReg(inst, m.Index)
	case m.HasIndex && m.Index == RSP:
		a.Failf(inst, codegen.ErrBadOperand, "rsp cannot be an index register")
	case m.HasIndex:
		a.Failf(inst, codegen.ErrBadOperand, "scale %d is not 1, 2, 4 or 8", m.Scale)
	default:
		a.Failf(inst, codegen.ErrBadOperand, "scale %d without an index register", m.Scale)
	}
}

// ---- byte-level encoders; they assume valid operands

// appendRR appends REX.W op ModRM(11, reg, rm).
func appendRR(c []byte, op byte, reg, rm byte) []byte {
	return append(c, rexW|reg>>3<<2|rm>>3, op, 0xC0|reg&7<<3|rm&7)
}

// appendRR0F appends REX.W 0F op ModRM(11, reg, rm).
func appendRR0F(c []byte, op byte, reg, rm byte) []byte {
	return append(c, rexW|reg>>3<<2|rm>>3, 0x0F, op, 0xC0|reg&7<<3|rm&7)
}

func appendImm32(c []byte, v uint32) []byte {
	return append(c, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

var scaleBits = [8]byte{1: 0, 2: 1, 4: 2, 0: 3} // indexed by scale&7: 8&7 = 0

// emitMem appends REX.W op ModRM [SIB] [disp] for a valid memory operand m
// and register field reg (0–15, or an opcode extension).
//
// The special cases (Intel SDM Vol. 2A §2.1.5, Tables 2-2 and 2-3): r/m = 100
// means "a SIB byte follows", so RSP and R12 as a base need a SIB with
// index = 100 (none); mod = 00 with r/m = 101 (and SIB base = 101) means
// "disp32, no base" (RIP-relative without a SIB), so RBP and R13 as a base
// need mod = 01 with a zero disp8. The displacement is disp8 when it fits a
// signed byte, else disp32.
func (a *Asm) emitMem(op byte, reg byte, m Mem) {
	c := a.Grow(8)
	n := len(c)
	// Build the longest form (REX op ModRM SIB disp32) in place and keep
	// the bytes that apply: fewer branches than appending piecewise.
	d := c[n : n+8 : n+8]
	b := byte(m.Base)
	rx := rexW | reg>>3<<2 | b>>3
	modrm := reg & 7 << 3
	k := 3 // REX, opcode, ModRM
	switch {
	case m.HasIndex:
		x := byte(m.Index)
		rx |= x >> 3 << 1
		modrm |= 4
		d[3] = scaleBits[m.Scale&7]<<6 | x&7<<3 | b&7
		k = 4
	case b&7 == 4:
		modrm |= 4
		d[3] = 0x24 // SIB: no index, base rsp/r12
		k = 4
	default:
		modrm |= b & 7
	}
	v := uint32(m.Disp)
	d[k], d[k+1], d[k+2], d[k+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	switch {
	case m.Disp == 0 && b&7 != 5:
	case m.Disp >= -128 && m.Disp <= 127:
		modrm |= 0x40
		k++
	default:
		modrm |= 0x80
		k += 4
	}
	d[0], d[1], d[2] = rx, op, modrm
	a.Commit(c[:n+k])
}

// ---- moves

// MovRR emits mov dst, src (REX.W 89 /r).
func (a *Asm) MovRR(dst, src Reg) {
	if dst|src >= NumRegs {
		a.badReg("mov", dst, src)
		return
	}
	a.Commit(appendRR(a.Grow(3), 0x89, byte(src), byte(dst)))
}

// MovRI32 emits mov dst, imm32 sign-extended to 64 bits (REX.W C7 /0 id,
// 7 bytes).
func (a *Asm) MovRI32(dst Reg, imm int32) {
	if dst >= NumRegs {
		a.badReg("mov", dst)
		return
	}
	c := a.Grow(7)
	c = append(c, rexW|byte(dst)>>3, 0xC7, 0xC0|byte(dst)&7)
	a.Commit(appendImm32(c, uint32(imm)))
}

// MovRI64 emits movabs dst, imm64 (REX.W B8+r io, 10 bytes).
func (a *Asm) MovRI64(dst Reg, imm int64) {
	if dst >= NumRegs {
		a.badReg("movabs", dst)
		return
	}
	a.Commit(appendMovAbs(a.Grow(10), dst, imm))
}

func appendMovAbs(c []byte, dst Reg, imm int64) []byte {
	v := uint64(imm)
	return append(c, rexW|byte(dst)>>3, 0xB8|byte(dst)&7,
		byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56))
}

// MovRI loads imm into dst with the shortest form that leaves the flags
// alone: mov r32, imm32 (B8+r id, zero-extending; 5 bytes, 6 for R8–R15) for
// 0 ≤ imm < 2^32, else mov r64, imm32 sign-extended (7 bytes) when imm fits
// an int32, else movabs (10 bytes). It never uses xor (which writes flags).
func (a *Asm) MovRI(dst Reg, imm int64) {
	switch {
	case dst >= NumRegs:
		a.badReg("mov", dst)
	case imm >= 0 && imm <= 1<<32-1:
		c := a.Grow(6)
		if dst >= R8 {
			c = append(c, rex|rexB)
		}
		c = append(c, 0xB8|byte(dst)&7)
		a.Commit(appendImm32(c, uint32(imm)))
	case imm >= -1<<31 && imm < 0:
		a.MovRI32(dst, int32(imm))
	default:
		a.MovRI64(dst, imm)
	}
}

// Load emits mov dst, qword [m] (REX.W 8B /r).
func (a *Asm) Load(dst Reg, m Mem) {
	if dst >= NumRegs {
		a.badReg("mov", dst)
		return
	}
	if a.checkMem("mov", m) {
		a.emitMem(0x8B, byte(dst), m)
	}
}

// Store emits mov qword [m], src (REX.W 89 /r).
func (a *Asm) Store(m Mem, src Reg) {
	if src >= NumRegs {
		a.badReg("mov", src)
		return
	}
	if a.checkMem("mov", m) {
		a.emitMem(0x89, byte(src), m)
	}
}

// StoreI32 emits mov qword [m], imm32 sign-extended (REX.W C7 /0 id).
func (a *Asm) StoreI32(m Mem, imm int32) {
	if a.checkMem("mov", m) {
		a.emitMem(0xC7, 0, m)
		a.Commit(appendImm32(a.Grow(4), uint32(imm)))
	}
}

// Lea emits lea dst, [m] (REX.W 8D /r).
func (a *Asm) Lea(dst Reg, m Mem) {
	if dst >= NumRegs {
		a.badReg("lea", dst)
		return
	}
	if a.checkMem("lea", m) {
		a.emitMem(0x8D, byte(dst), m)
	}
}

// LoadRIP emits mov dst, qword [rip+disp32] with disp32 reaching label l
// (REX.W 8B /r, ModRM mod=00 r/m=101; 7 bytes), e.g. to read a [Asm.DataSlot].
func (a *Asm) LoadRIP(dst Reg, l codegen.Label) {
	if dst >= NumRegs {
		a.badReg("mov", dst)
		return
	}
	a.Ref(codegen.Ref{Kind: refLoadRIP, Aux: uint32(dst), Long: true}, l)
}

// LeaRIP emits lea dst, [rip+disp32] with disp32 reaching label l (REX.W 8D
// /r; 7 bytes): the address of l.
func (a *Asm) LeaRIP(dst Reg, l codegen.Label) {
	if dst >= NumRegs {
		a.badReg("lea", dst)
		return
	}
	a.Ref(codegen.Ref{Kind: refLeaRIP, Aux: uint32(dst), Long: true}, l)
}

// MovzxB emits movzx dst, src8 (REX.W 0F B6 /r): the low byte of src
// (al…r15b; spl, bpl, sil, dil for RSP…RDI, since REX is present)
// zero-extended into dst.
func (a *Asm) MovzxB(dst, src Reg) {
	if dst|src >= NumRegs {
		a.badReg("movzx", dst, src)
		return
	}
	a.Commit(appendRR0F(a.Grow(4), 0xB6, byte(dst), byte(src)))
}

// CmovRR emits cmovcc dst, src (REX.W 0F 40+cc /r).
func (a *Asm) CmovRR(cond Cond, dst, src Reg) {
	if cond >= NumConds {
		a.badCond("cmov", cond)
		return
	}
	if dst|src >= NumRegs {
		a.badReg("cmov", dst, src)
		return
	}
	a.Commit(appendRR0F(a.Grow(4), 0x40|byte(cond), byte(dst), byte(src)))
}

// ---- arithmetic and logic

func (a *Asm) aluRR(inst string, op byte, dst, src Reg) {
	if dst|src >= NumRegs {
		a.badReg(inst, dst, src)
		return
	}
	a.Commit(appendRR(a.Grow(3), op*8+1, byte(src), byte(dst)))
}

// aluRI emits the 0x83 /op ib form when imm fits a signed byte, else the
// accumulator short form (op*8+5 id) for RAX, else 0x81 /op id.
func (a *Asm) aluRI(inst string, op byte, dst Reg, imm int32) {
	if dst >= NumRegs {
		a.badReg(inst, dst)
		return
	}
	c := a.Grow(7)
	switch {
	case imm >= -128 && imm <= 127:
		c = append(c, rexW|byte(dst)>>3, 0x83, 0xC0|op<<3|byte(dst)&7, byte(imm))
	case dst == RAX:
		c = appendImm32(append(c, rexW, op*8+5), uint32(imm))
	default:
		c = appendImm32(append(c, rexW|byte(dst)>>3, 0x81, 0xC0|op<<3|byte(dst)&7), uint32(imm))
	}
	a.Commit(c)
}

// AddRR emits add dst, src (REX.W 01 /r).
func (a *Asm) AddRR(dst, src Reg) { a.aluRR("add", aluAdd, dst, src) }

// SubRR emits sub dst, src (REX.W 29 /r).
func (a *Asm) SubRR(dst, src Reg) { a.aluRR("sub", aluSub, dst, src) }

// AndRR emits and dst, src (REX.W 21 /r).
func (a *Asm) AndRR(dst, src Reg) { a.aluRR("and", aluAnd, dst, src) }

// OrRR emits or dst, src (REX.W 09 /r).
func (a *Asm) OrRR(dst, src Reg) { a.aluRR("or", aluOr, dst, src) }

// XorRR emits xor dst, src (REX.W 31 /r).
func (a *Asm) XorRR(dst, src Reg) { a.aluRR("xor", aluXor, dst, src) }

// CmpRR emits cmp dst, src (REX.W 39 /r): flags of dst - src.
func (a *Asm) CmpRR(dst, src Reg) { a.aluRR("cmp", aluCmp, dst, src) }

// TestRR emits test dst, src (REX.W 85 /r): flags of dst & src.
func (a *Asm) TestRR(dst, src Reg) {
	if dst|src >= NumRegs {
		a.badReg("test", dst, src)
		return
	}
	a.Commit(appendRR(a.Grow(3), 0x85, byte(src), byte(dst)))
}

// AddRI emits add dst, imm (REX.W 83 /0 ib when imm fits int8; else REX.W
// 05 id for RAX, REX.W 81 /0 id otherwise). imm is sign-extended to 64 bits.
func (a *Asm) AddRI(dst Reg, imm int32) { a.aluRI("add", aluAdd, dst, imm) }

// SubRI emits sub dst, imm (83 /5 ib, 2D id for RAX, or 81 /5 id).
func (a *Asm) SubRI(dst Reg, imm int32) { a.aluRI("sub", aluSub, dst, imm) }

// AndRI emits and dst, imm (83 /4 ib, 25 id for RAX, or 81 /4 id).
func (a *Asm) AndRI(dst Reg, imm int32) { a.aluRI("and", aluAnd, dst, imm) }

// OrRI emits or dst, imm (83 /1 ib, 0D id for RAX, or 81 /1 id).
func (a *Asm) OrRI(dst Reg, imm int32) { a.aluRI("or", aluOr, dst, imm) }

// XorRI emits xor dst, imm (83 /6 ib, 35 id for RAX, or 81 /6 id).
func (a *Asm) XorRI(dst Reg, imm int32) { a.aluRI("xor", aluXor, dst, imm) }

// CmpRI emits cmp dst, imm (83 /7 ib, 3D id for RAX, or 81 /7 id).
func (a *Asm) CmpRI(dst Reg, imm int32) { a.aluRI("cmp", aluCmp, dst, imm) }

// TestRI emits test dst, imm32 (REX.W A9 id for RAX, else REX.W F7 /0 id;
// test has no imm8 form for 64-bit operands).
func (a *Asm) TestRI(dst Reg, imm int32) {
	if dst >= NumRegs {
		a.badReg("test", dst)
		return
	}
	c := a.Grow(7)
	if dst == RAX {
		c = append(c, rexW, 0xA9)
	} else {
		c = append(c, rexW|byte(dst)>>3, 0xF7, 0xC0|byte(dst)&7)
	}
	a.Commit(appendImm32(c, uint32(imm)))
}

// Imul emits imul dst, src (REX.W 0F AF /r): dst = low 64 bits of dst*src.
func (a *Asm) Imul(dst, src Reg) {
	if dst|src >= NumRegs {
		a.badReg("imul", dst, src)
		return
	}
	a.Commit(appendRR0F(a.Grow(4), 0xAF, byte(dst), byte(src)))
}

// ImulRRI emits imul dst, src, imm (REX.W 6B /r ib when imm fits int8, else
// REX.W 69 /r id): dst = src*imm.
func (a *Asm) ImulRRI(dst, src Reg, imm int32) {
	if dst|src >= NumRegs {
		a.badReg("imul", dst, src)
		return
	}
	c := a.Grow(7)
	if imm >= -128 && imm <= 127 {
		c = append(appendRR(c, 0x6B, byte(dst), byte(src)), byte(imm))
	} else {
		c = appendImm32(appendRR(c, 0x69, byte(dst), byte(src)), uint32(imm))
	}
	a.Commit(c)
}

func (a *Asm) unary(inst string, ext byte, r Reg) {
	if r >= NumRegs {
		a.badReg(inst, r)
		return
	}
	a.Commit(append(a.Grow(3), rexW|byte(r)>>3, 0xF7, 0xC0|ext<<3|byte(r)&7))
}

// Neg emits neg r (REX.W F7 /3).
func (a *Asm) Neg(r Reg) { a.unary("neg", 3, r) }

// Not emits not r (REX.W F7 /2).
func (a *Asm) Not(r Reg) { a.unary("not", 2, r) }

// Idiv emits idiv src (REX.W F7 /7): signed divide of RDX:RAX by src,
// quotient in RAX, remainder in RDX. It raises #DE on a zero divisor or
// overflow; the caller checks first.
func (a *Asm) Idiv(src Reg) { a.unary("idiv", 7, src) }

// Cqo emits cqo (REX.W 99): sign-extends RAX into RDX:RAX before [Asm.Idiv].
func (a *Asm) Cqo() { a.Commit(append(a.Grow(2), rexW, 0x99)) }

func (a *Asm) shiftI(inst string, ext byte, r Reg, n uint8) {
	if r >= NumRegs {
		a.badReg(inst, r)
		return
	}
	if n > 63 {
		a.outOfRange(inst, "shift count", int64(n), 0, 63)
		return
	}
	c := a.Grow(4)
	if n == 1 {
		c = append(c, rexW|byte(r)>>3, 0xD1, 0xC0|ext<<3|byte(r)&7)
	} else {
		c = append(c, rexW|byte(r)>>3, 0xC1, 0xC0|ext<<3|byte(r)&7, n)
	}
	a.Commit(c)
}

// ShlI emits shl r, n for n in 0–63 (REX.W D1 /4 for n = 1, else REX.W C1 /4
// ib); a count above 63 is [codegen.ErrOutOfRange].
func (a *Asm) ShlI(r Reg, n uint8) { a.shiftI("shl", 4, r, n) }

// ShrI emits shr r, n (logical; D1 /5 or C1 /5 ib), n in 0–63.
func (a *Asm) ShrI(r Reg, n uint8) { a.shiftI("shr", 5, r, n) }

// SarI emits sar r, n (arithmetic; D1 /7 or C1 /7 ib), n in 0–63.
func (a *Asm) SarI(r Reg, n uint8) { a.shiftI("sar", 7, r, n) }

func (a *Asm) shiftCL(inst string, ext byte, r Reg) {
	if r >= NumRegs {
		a.badReg(inst, r)
		return
	}
	a.Commit(append(a.Grow(3), rexW|byte(r)>>3, 0xD3, 0xC0|ext<<3|byte(r)&7))
}

// ShlCL emits shl r, cl (REX.W D3 /4); the count is CL mod 64.
func (a *Asm) ShlCL(r Reg) { a.shiftCL("shl", 4, r) }

// ShrCL emits shr r, cl (REX.W D3 /5).
func (a *Asm) ShrCL(r Reg) { a.shiftCL("shr", 5, r) }

// SarCL emits sar r, cl (REX.W D3 /7).
func (a *Asm) SarCL(r Reg) { a.shiftCL("sar", 7, r) }

// Setcc emits setcc r8 (0F 90+cc /0) on the low byte of r; a REX prefix is
// emitted for RSP…R15 (so RSP…RDI mean spl, bpl, sil, dil, never ah…bh).
// The upper 56 bits of r are unchanged: follow with [Asm.MovzxB].
func (a *Asm) Setcc(cond Cond, r Reg) {
	if cond >= NumConds {
		a.badCond("set", cond)
		return
	}
	if r >= NumRegs {
		a.badReg("set", r)
		return
	}
	c := a.Grow(4)
	if r >= RSP {
		c = append(c, rex|byte(r)>>3)
	}
	a.Commit(append(c, 0x0F, 0x90|byte(cond), 0xC0|byte(r)&7))
}

// ---- control flow

// Jmp emits jmp l: EB rel8 when the label is in reach at layout, else E9
// rel32 ([codegen.Buffer.Finish] relaxes until stable).
func (a *Asm) Jmp(l codegen.Label) { a.Ref(codegen.Ref{Kind: refJmp}, l) }

// JmpLong emits jmp l always as E9 rel32 (5 bytes), for callers that need a
// fixed size.
func (a *Asm) JmpLong(l codegen.Label) { a.Ref(codegen.Ref{Kind: refJmp, Long: true}, l) }

// Jcc emits jcc l: 70+cc rel8 when in reach, else 0F 80+cc rel32.
func (a *Asm) Jcc(cond Cond, l codegen.Label) {
	if cond >= NumConds {
		a.badCond("j", cond)
		return
	}
	a.Ref(codegen.Ref{Kind: refJcc, Aux: uint32(cond)}, l)
}

// JccLong emits jcc l always as 0F 80+cc rel32 (6 bytes).
func (a *Asm) JccLong(cond Cond, l codegen.Label) {
	if cond >= NumConds {
		a.badCond("j", cond)
		return
	}
	a.Ref(codegen.Ref{Kind: refJcc, Aux: uint32(cond), Long: true}, l)
}

// Call emits call l (E8 rel32, 5 bytes).
func (a *Asm) Call(l codegen.Label) { a.Ref(codegen.Ref{Kind: refCall, Long: true}, l) }

// CallR emits call r (FF /2; REX.B for R8–R15): an indirect call.
func (a *Asm) CallR(r Reg) { a.indirect("call", 2, r) }

// JmpR emits jmp r (FF /4; REX.B for R8–R15): an indirect jump.
func (a *Asm) JmpR(r Reg) { a.indirect("jmp", 4, r) }

func (a *Asm) indirect(inst string, ext byte, r Reg) {
	if r >= NumRegs {
		a.badReg(inst, r)
		return
	}
	c := a.Grow(3)
	if r >= R8 {
		c = append(c, rex|rexB)
	}
	a.Commit(append(c, 0xFF, 0xC0|ext<<3|byte(r)&7))
}

// Ret emits ret (C3).
func (a *Asm) Ret() { a.Commit(append(a.Grow(1), 0xC3)) }

// Push emits push r (50+r; REX.B for R8–R15).
func (a *Asm) Push(r Reg) { a.pushPop("push", 0x50, r) }

// Pop emits pop r (58+r; REX.B for R8–R15).
func (a *Asm) Pop(r Reg) { a.pushPop("pop", 0x58, r) }

func (a *Asm) pushPop(inst string, op byte, r Reg) {
	if r >= NumRegs {
		a.badReg(inst, r)
		return
	}
	c := a.Grow(2)
	if r >= R8 {
		c = append(c, rex|rexB)
	}
	a.Commit(append(c, op|byte(r)&7))
}

// ---- miscellaneous

// Nop emits one canonical nop of n bytes, 1 ≤ n ≤ 15 (see [NopBytes]); other
// sizes are [codegen.ErrOutOfRange] (use [codegen.Buffer.Align] for padding).
func (a *Asm) Nop(n int) {
	if n < 1 || n > 15 {
		a.outOfRange("nop", "size", int64(n), 1, 15)
		return
	}
	a.Commit(append(a.Grow(n), nops[n]...))
}

// Int3 emits int3 (CC), the breakpoint trap.
func (a *Asm) Int3() { a.Commit(append(a.Grow(1), 0xCC)) }

// Ud2 emits ud2 (0F 0B), the guaranteed invalid opcode (#UD).
func (a *Asm) Ud2() { a.Commit(append(a.Grow(2), 0x0F, 0x0B)) }

// Cpuid emits cpuid (0F A2), a serialising instruction (Intel SDM Vol. 3
// §8.3); it reads EAX/ECX and writes EAX, EBX, ECX, EDX.
func (a *Asm) Cpuid() { a.Commit(append(a.Grow(2), 0x0F, 0xA2)) }

// Mfence emits mfence (0F AE F0).
func (a *Asm) Mfence() { a.Commit(append(a.Grow(3), 0x0F, 0xAE, 0xF0)) }

// Pause emits pause (F3 90), the spin-wait hint.
func (a *Asm) Pause() { a.Commit(append(a.Grow(2), 0xF3, 0x90)) }

// Quad emits the 8 bytes of v, little-endian, as data (no alignment; see
// [Asm.DataSlot] for an aligned, patchable slot).
func (a *Asm) Quad(v uint64) { a.Emit64(v) }

// Long emits the 4 bytes of v, little-endian, as data.
func (a *Asm) Long(v uint32) { a.Emit32(v) }
