package ppc64

import "github.com/syncore/syncore/codegen"

// Asm assembles ppc64le code into an embedded [codegen.Buffer]: use its
// NewLabel, Bind, Align and Reset directly. Every emitter appends whole
// 4-byte instruction words; a caller's mistake is recorded on the buffer and
// returned by its Finish ([codegen.Buffer.Finish]), which also refuses a
// stream that raw bytes (Emit) left not a whole number of aligned words.
type Asm struct {
	*codegen.Buffer
}

// New returns an assembler with an empty buffer.
func New() *Asm { return &Asm{codegen.NewBuffer(Arch{})} }

// Primary opcodes and extended opcodes (Power ISA v3.0B Appendix C).
const (
	opTW     = 31<<26 | 4<<1
	opCMPLDI = 10 << 26
	opCMPDI  = 11 << 26
	opBC     = 16 << 26
	opB      = 18 << 26
	opISYNC  = 19<<26 | 150<<1
	opBCLR   = 19<<26 | 16<<1
	opBCCTR  = 19<<26 | 528<<1
	opADDI   = 14 << 26
	opADDIS  = 15 << 26
	opORI    = 24 << 26
	opORIS   = 25 << 26
	opRLD    = 30 << 26 // MD-form: rldicl xo=0, rldicr xo=1, rldic xo=2
	opLWZ    = 32 << 26
	opSTW    = 36 << 26
	opLD     = 58 << 26 // DS-form xo=0
	opSTD    = 62 << 26 // DS-form xo=0

	opX      = 31 << 26
	xoCMP    = 0 << 1
	xoCMPL   = 32 << 1
	xoSUBF   = 40 << 1
	xoDCBST  = 54 << 1
	xoNEG    = 104 << 1
	xoMULLD  = 233 << 1
	xoADD    = 266 << 1
	xoDIVD   = 489 << 1
	xoAND    = 28 << 1
	xoSLD    = 27 << 1
	xoNOR    = 124 << 1
	xoXOR    = 316 << 1
	xoMFSPR  = 339 << 1
	xoOR     = 444 << 1
	xoMTSPR  = 467 << 1
	xoSRD    = 539 << 1
	xoSRAD   = 794 << 1
	xoSRADI  = 413 << 2 // XS-form
	xoSYNC   = 598 << 1
	xoICBI   = 982 << 1
	xoISEL   = 15 << 1 // A-form
	sprLR    = 8
	sprCTR   = 9
	xoRLDICL = 0 << 2
	xoRLDICR = 1 << 2
	xoRLDIC  = 2 << 2
)

// Fixed instruction words.
const (
	// NopWord is the preferred no-op, ori 0,0,0: a member of the CMODX patch
	// class (Power ISA Book II, "Concurrent Modification and Execution of
	// Instructions") and the instruction used for padding.
	NopWord uint32 = opORI
	// TrapWord is tw 31,0,0 ("trap"): an unconditional trap (SIGTRAP).
	TrapWord uint32 = opTW | 31<<21
	// BlrWord is blr (bclr 20,0,0).
	BlrWord uint32 = opBCLR | boAlways<<21
	// BctrWord is bctr (bcctr 20,0,0).
	BctrWord uint32 = opBCCTR | boAlways<<21
	// BctrlWord is bctrl (bcctrl 20,0,0).
	BctrlWord uint32 = BctrWord | 1
	// SyncWord is sync 0 (hwsync), a full barrier.
	SyncWord uint32 = opX | xoSYNC
	// LwsyncWord is sync 1 (lwsync).
	LwsyncWord uint32 = opX | 1<<21 | xoSYNC
	// IsyncWord is isync, context synchronising.
	IsyncWord uint32 = opISYNC
)

// Word encoders. Operands are assumed valid (checked by the emitters).

func dForm(op uint32, rt, ra Reg, imm uint32) uint32 {
	return op | uint32(rt)<<21 | uint32(ra)<<16 | imm&0xffff
}

func xForm(xo uint32, rt, ra, rb Reg) uint32 {
	return opX | uint32(rt)<<21 | uint32(ra)<<16 | uint32(rb)<<11 | xo
}

// mdForm encodes rldicl/rldicr/rldic: sh and mb/me are 6-bit fields split
// as sh[0:4] at bit 11 with sh[5] at bit 1, and mb[0:4]||mb[5] rotated by one.
func mdForm(xo uint32, ra, rs Reg, sh, m uint32) uint32 {
	return opRLD | uint32(rs)<<21 | uint32(ra)<<16 | (sh&31)<<11 | ((m&31)<<1|m>>5)<<5 | xo | (sh>>5)<<1
}

func bcWord(bo, bi uint32, disp int32) uint32 {
	return opBC | bo<<21 | bi<<16 | uint32(disp)&0xfffc
}

func bWord(disp int32, link bool) uint32 {
	w := opB | uint32(disp)&0x03fffffc
	if link {
		w |= 1
	}
	return w
}

func fits16(v int64) bool  { return v >= -1<<15 && v < 1<<15 }
func fitsU16(v int64) bool { return v >= 0 && v < 1<<16 }

// fitsB reports whether a byte displacement fits an I-form branch (LI, 24
// bits shifted left 2: ±32 MiB).
func fitsB(d int64) bool { return d%4 == 0 && d >= -1<<25 && d < 1<<25 }

// fitsBc reports whether a byte displacement fits a B-form branch (BD, 14
// bits shifted left 2: ±32 KiB).
func fitsBc(d int64) bool { return d%4 == 0 && fits16(d) }

// badRegs records a register operand above R31.
//
//go:noinline
func (a *Asm) badRegs(inst string, rs ...Reg) {
	for _, r := range rs {
		if r > 31 {
			a.Failf(inst, codegen.ErrBadOperand, "register %v", r)
			return
		}
	}
}

//go:noinline
func (a *Asm) badImm(inst string, what string, v int64, lo, hi int64) {
	a.Failf(inst, codegen.ErrOutOfRange, "%s %d not in [%d, %d]", what, v, lo, hi)
}

// D-form arithmetic and logical immediates.

// Addi emits addi rt,ra,si: rt = (ra|0) + si. ra = R0 reads as 0 (then it
// is li). si must fit 16 bits signed.
func (a *Asm) Addi(rt, ra Reg, si int64) { a.dSigned("addi", opADDI, rt, ra, si) }

// Addis emits addis rt,ra,si: rt = (ra|0) + si<<16. ra = R0 reads as 0 (then
// it is lis). si must fit 16 bits signed.
func (a *Asm) Addis(rt, ra Reg, si int64) { a.dSigned("addis", opADDIS, rt, ra, si) }

// Li emits li rd,si (addi rd,0,si): rd = sign-extended si (16 bits signed).
func (a *Asm) Li(rd Reg, si int64) { a.dSigned("li", opADDI, rd, R0, si) }

// Lis emits lis rd,si (addis rd,0,si): rd = sign-extended si<<16 (si 16 bits
// signed).
func (a *Asm) Lis(rd Reg, si int64) { a.dSigned("lis", opADDIS, rd, R0, si) }

// Ori emits ori ra,rs,ui: ra = rs | ui (ui 16 bits unsigned). Ori(R0, R0, 0)
// is the preferred nop; prefer [Asm.Nop] to say so.
func (a *Asm) Ori(ra, rs Reg, ui int64) { a.dUnsigned("ori", opORI, ra, rs, ui) }

// Oris emits oris ra,rs,ui: ra = rs | ui<<16 (ui 16 bits unsigned).
func (a *Asm) Oris(ra, rs Reg, ui int64) { a.dUnsigned("oris", opORIS, ra, rs, ui) }

func (a *Asm) dSigned(inst string, op uint32, rt, ra Reg, si int64) {
	if (rt | ra) > 31 {
		a.badRegs(inst, rt, ra)
		return
	}
	if !fits16(si) {
		a.badImm(inst, "immediate", si, -1<<15, 1<<15-1)
		return
	}
	a.Emit32(dForm(op, rt, ra, uint32(si)))
}

// dUnsigned encodes ori/oris, whose RS field comes first.
func (a *Asm) dUnsigned(inst string, op uint32, ra, rs Reg, ui int64) {
	if (ra | rs) > 31 {
		a.badRegs(inst, ra, rs)
		return
	}
	if !fitsU16(ui) {
		a.badImm(inst, "immediate", ui, 0, 1<<16-1)
		return
	}
	a.Emit32(dForm(op, rs, ra, uint32(ui)))
}

// XO/X-form register arithmetic and logic (Rc = 0, OE = 0: CR0 and XER are
// left alone).

// Add emits add rt,ra,rb: rt = ra + rb.
func (a *Asm) Add(rt, ra, rb Reg) { a.x3("add", xoADD, rt, ra, rb) }

// Subf emits subf rt,ra,rb: rt = rb - ra ("subtract from").
func (a *Asm) Subf(rt, ra, rb Reg) { a.x3("subf", xoSUBF, rt, ra, rb) }

// Mulld emits mulld rt,ra,rb: the low 64 bits of ra * rb.
func (a *Asm) Mulld(rt, ra, rb Reg) { a.x3("mulld", xoMULLD, rt, ra, rb) }

// Divd emits divd rt,ra,rb: signed ra / rb truncated toward zero. The result
// is undefined (no trap) when rb = 0 or for -2^63 / -1; the caller must test.
func (a *Asm) Divd(rt, ra, rb Reg) { a.x3("divd", xoDIVD, rt, ra, rb) }

// Neg emits neg rt,ra: rt = -ra.
func (a *Asm) Neg(rt, ra Reg) { a.x3("neg", xoNEG, rt, ra, R0) }

// And emits and ra,rs,rb: ra = rs & rb.
func (a *Asm) And(ra, rs, rb Reg) { a.x3("and", xoAND, rs, ra, rb) }

// Or emits or ra,rs,rb: ra = rs | rb.
func (a *Asm) Or(ra, rs, rb Reg) { a.x3("or", xoOR, rs, ra, rb) }

// Mr emits mr ra,rs (or ra,rs,rs): ra = rs.
func (a *Asm) Mr(ra, rs Reg) { a.x3("mr", xoOR, rs, ra, rs) }

// Xor emits xor ra,rs,rb: ra = rs ^ rb.
func (a *Asm) Xor(ra, rs, rb Reg) { a.x3("xor", xoXOR, rs, ra, rb) }

// Nor emits nor ra,rs,rb: ra = ^(rs | rb). Nor(ra, rs, rs) is "not ra,rs".
func (a *Asm) Nor(ra, rs, rb Reg) { a.x3("nor", xoNOR, rs, ra, rb) }

// Sld emits sld ra,rs,rb: ra = rs << (rb & 127) (0 when bit 6 of rb is set).
func (a *Asm) Sld(ra, rs, rb Reg) { a.x3("sld", xoSLD, rs, ra, rb) }

// Srd emits srd ra,rs,rb: logical ra = rs >> (rb & 127) (0 when bit 6 is set).
func (a *Asm) Srd(ra, rs, rb Reg) { a.x3("srd", xoSRD, rs, ra, rb) }

// Srad emits srad ra,rs,rb: arithmetic ra = rs >> min(rb & 127, 63). It sets
// XER[CA] (as every form of srad does).
func (a *Asm) Srad(ra, rs, rb Reg) { a.x3("srad", xoSRAD, rs, ra, rb) }

// x3 encodes an X/XO-form word whose fields are, in order, bits 21, 16, 11.
func (a *Asm) x3(inst string, xo uint32, f21, f16, f11 Reg) {
	if (f21 | f16 | f11) > 31 {
		a.badRegs(inst, f21, f16, f11)
		return
	}
	a.Emit32(xForm(xo, f21, f16, f11))
}

// Rotates and immediate shifts (MD/XS-form).

// Rldicl emits rldicl ra,rs,sh,mb: rotate left by sh, clear the mb
// high-order bits. sh and mb are 0..63.
func (a *Asm) Rldicl(ra, rs Reg, sh, mb uint) { a.md("rldicl", xoRLDICL, ra, rs, sh, mb) }

// Rldicr emits rldicr ra,rs,sh,me: rotate left by sh, keep bits 0..me
// (big-endian numbering), clear the rest. sh and me are 0..63.
func (a *Asm) Rldicr(ra, rs Reg, sh, me uint) { a.md("rldicr", xoRLDICR, ra, rs, sh, me) }

// Rldic emits rldic ra,rs,sh,mb: rotate left by sh, keep bits mb..63-sh.
// sh and mb are 0..63.
func (a *Asm) Rldic(ra, rs Reg, sh, mb uint) { a.md("rldic", xoRLDIC, ra, rs, sh, mb) }

// Sldi emits sldi ra,rs,n (rldicr ra,rs,n,63-n): ra = rs << n, n 0..63.
func (a *Asm) Sldi(ra, rs Reg, n uint) {
	if n > 63 {
		a.badImm("sldi", "shift", int64(n), 0, 63)
		return
	}
	a.md("sldi", xoRLDICR, ra, rs, n, 63-n)
}

// Srdi emits srdi ra,rs,n (rldicl ra,rs,64-n,n): logical ra = rs >> n,
// n 0..63 (srdi 0 is rldicl ra,rs,0,0, a move).
func (a *Asm) Srdi(ra, rs Reg, n uint) {
	if n > 63 {
		a.badImm("srdi", "shift", int64(n), 0, 63)
		return
	}
	a.md("srdi", xoRLDICL, ra, rs, (64-n)&63, n)
}

// Clrldi emits clrldi ra,rs,n (rldicl ra,rs,0,n): clear the n high-order
// bits, n 0..63.
func (a *Asm) Clrldi(ra, rs Reg, n uint) { a.md("clrldi", xoRLDICL, ra, rs, 0, n) }

// Sradi emits sradi ra,rs,n: arithmetic ra = rs >> n, n 0..63. Sets XER[CA].
func (a *Asm) Sradi(ra, rs Reg, n uint) {
	if (ra | rs) > 31 {
		a.badRegs("sradi", ra, rs)
		return
	}
	if n > 63 {
		a.badImm("sradi", "shift", int64(n), 0, 63)
		return
	}
	a.Emit32(sradiWord(ra, rs, uint32(n)))
}

func sradiWord(ra, rs Reg, n uint32) uint32 {
	return opX | uint32(rs)<<21 | uint32(ra)<<16 | (n&31)<<11 | xoSRADI | (n>>5)<<1
}

func (a *Asm) md(inst string, xo uint32, ra, rs Reg, sh, m uint) {
	if (ra | rs) > 31 {
		a.badRegs(inst, ra, rs)
		return
	}
	if sh > 63 || m > 63 {
		a.badImm(inst, "shift or mask", int64(max(sh, m)), 0, 63)
		return
	}
	a.Emit32(mdForm(xo, ra, rs, uint32(sh), uint32(m)))
}

// Compares (L = 1: 64-bit) and selects.

// Cmpd emits cmpd cr,ra,rb: signed 64-bit compare into field cr.
func (a *Asm) Cmpd(cr CR, ra, rb Reg) { a.cmp("cmpd", xoCMP, cr, ra, rb) }

// Cmpld emits cmpld cr,ra,rb: unsigned 64-bit compare into field cr.
func (a *Asm) Cmpld(cr CR, ra, rb Reg) { a.cmp("cmpld", xoCMPL, cr, ra, rb) }

func (a *Asm) cmp(inst string, xo uint32, cr CR, ra, rb Reg) {
	if (ra | rb) > 31 {
		a.badRegs(inst, ra, rb)
		return
	}
	if cr > 7 {
		a.badCR(inst, cr)
		return
	}
	a.Emit32(opX | uint32(cr)<<23 | 1<<21 | uint32(ra)<<16 | uint32(rb)<<11 | xo)
}

// Cmpdi emits cmpdi cr,ra,si: signed compare with a 16-bit signed immediate.
func (a *Asm) Cmpdi(cr CR, ra Reg, si int64) {
	if cr > 7 || ra > 31 {
		a.badCmpOps("cmpdi", cr, ra)
		return
	}
	if !fits16(si) {
		a.badImm("cmpdi", "immediate", si, -1<<15, 1<<15-1)
		return
	}
	a.Emit32(opCMPDI | uint32(cr)<<23 | 1<<21 | uint32(ra)<<16 | uint32(si)&0xffff)
}

// Cmpldi emits cmpldi cr,ra,ui: unsigned compare with a 16-bit unsigned
// immediate.
func (a *Asm) Cmpldi(cr CR, ra Reg, ui int64) {
	if cr > 7 || ra > 31 {
		a.badCmpOps("cmpldi", cr, ra)
		return
	}
	if !fitsU16(ui) {
		a.badImm("cmpldi", "immediate", ui, 0, 1<<16-1)
		return
	}
	a.Emit32(opCMPLDI | uint32(cr)<<23 | 1<<21 | uint32(ra)<<16 | uint32(ui))
}

//go:noinline
func (a *Asm) badCR(inst string, cr CR) {
	a.Failf(inst, codegen.ErrBadOperand, "condition register field %v", cr)
}

//go:noinline
func (a *Asm) badCmpOps(inst string, cr CR, ra Reg) {
	if cr > 7 {
		a.badCR(inst, cr)
		return
	}
	a.badRegs(inst, ra)
}

// Isel emits isel rt,ra,rb,bi: rt = CR[bi] ? (ra|0) : rb, where bi is the
// bit that c tests. ra = R0 selects the value 0. c must test for a set bit
// (LT, GT, EQ, SO on any field): isel has no "bit clear" form, so a negated
// condition is an [codegen.ErrBadOperand] — swap ra and rb and pass c.Not().
func (a *Asm) Isel(rt, ra, rb Reg, c Cond) {
	if (rt | ra | rb) > 31 {
		a.badRegs("isel", rt, ra, rb)
		return
	}
	if c > 63 || c.Negated() {
		a.Failf("isel", codegen.ErrBadOperand, "condition %v: isel tests a set bit; swap the operands and use %v", c, c.Not())
		return
	}
	a.Emit32(opX | uint32(rt)<<21 | uint32(ra)<<16 | uint32(rb)<<11 | c.BI()<<6 | xoISEL)
}

// SetCond sets rd to 1 if c holds and to 0 otherwise, with three
// instructions and no other register: li rd,1; bc c,.+8; li rd,0.
func (a *Asm) SetCond(rd Reg, c Cond) {
	if rd > 31 || c > 63 {
		a.badCond("setcond", rd, c)
		return
	}
	a.Emit32(dForm(opADDI, rd, R0, 1))
	a.Emit32(bcWord(c.BO(), c.BI(), 8))
	a.Emit32(dForm(opADDI, rd, R0, 0))
}

//go:noinline
func (a *Asm) badCond(inst string, rd Reg, c Cond) {
	if rd > 31 {
		a.badRegs(inst, rd)
		return
	}
	a.Failf(inst, codegen.ErrBadOperand, "condition %v", c)
}

// Loads and stores. A base register of R0 reads as 0 ("RA|0"): the
// displacement is then an absolute address.

// Ld emits ld rt,disp(ra) (DS-form): disp must fit 16 bits signed and be a
// multiple of 4 (the low two bits encode the form).
func (a *Asm) Ld(rt, ra Reg, disp int64) { a.ds("ld", opLD, rt, ra, disp) }

// Std emits std rs,disp(ra) (DS-form): disp must fit 16 bits signed and be a
// multiple of 4.
func (a *Asm) Std(rs, ra Reg, disp int64) { a.ds("std", opSTD, rs, ra, disp) }

// Lwz emits lwz rt,disp(ra) (D-form): zero-extending 32-bit load; disp 16
// bits signed.
func (a *Asm) Lwz(rt, ra Reg, disp int64) { a.dMem("lwz", opLWZ, rt, ra, disp) }

// Stw emits stw rs,disp(ra) (D-form): 32-bit store; disp 16 bits signed.
func (a *Asm) Stw(rs, ra Reg, disp int64) { a.dMem("stw", opSTW, rs, ra, disp) }

func (a *Asm) ds(inst string, op uint32, rt, ra Reg, disp int64) {
	if disp&3 != 0 {
		a.Failf(inst, codegen.ErrBadOperand, "DS-form displacement %d is not a multiple of 4", disp)
		return
	}
	a.dMem(inst, op, rt, ra, disp)
}

func (a *Asm) dMem(inst string, op uint32, rt, ra Reg, disp int64) {
	if (rt | ra) > 31 {
		a.badRegs(inst, rt, ra)
		return
	}
	if !fits16(disp) {
		a.badImm(inst, "displacement", disp, -1<<15, 1<<15-1)
		return
	}
	a.Emit32(dForm(op, rt, ra, uint32(disp)))
}

// Special-purpose register moves.

// Mflr emits mflr rt (mfspr rt,8).
func (a *Asm) Mflr(rt Reg) { a.spr("mflr", xoMFSPR, rt, sprLR) }

// Mtlr emits mtlr rs (mtspr 8,rs).
func (a *Asm) Mtlr(rs Reg) { a.spr("mtlr", xoMTSPR, rs, sprLR) }

// Mfctr emits mfctr rt (mfspr rt,9).
func (a *Asm) Mfctr(rt Reg) { a.spr("mfctr", xoMFSPR, rt, sprCTR) }

// Mtctr emits mtctr rs (mtspr 9,rs).
func (a *Asm) Mtctr(rs Reg) { a.spr("mtctr", xoMTSPR, rs, sprCTR) }

func (a *Asm) spr(inst string, xo uint32, r Reg, spr uint32) {
	if r > 31 {
		a.badRegs(inst, r)
		return
	}
	// The SPR number is encoded with its two 5-bit halves swapped.
	a.Emit32(opX | uint32(r)<<21 | ((spr&31)<<5|spr>>5)<<11 | xo)
}

// Branches to registers.

// Blr emits blr: branch to LR.
func (a *Asm) Blr() { a.Emit32(BlrWord) }

// Bctr emits bctr: branch to CTR.
func (a *Asm) Bctr() { a.Emit32(BctrWord) }

// Bctrl emits bctrl: branch to CTR, setting LR to the next instruction.
func (a *Asm) Bctrl() { a.Emit32(BctrlWord) }

// Barriers, cache maintenance, traps, no-ops.

// Nop emits the preferred no-op ori 0,0,0 ([NopWord]).
func (a *Asm) Nop() { a.Emit32(NopWord) }

// Sync emits sync 0 (hwsync): orders all storage accesses.
func (a *Asm) Sync() { a.Emit32(SyncWord) }

// Lwsync emits lwsync (sync 1).
func (a *Asm) Lwsync() { a.Emit32(LwsyncWord) }

// Isync emits isync: context synchronisation; later instructions are fetched
// after it completes.
func (a *Asm) Isync() { a.Emit32(IsyncWord) }

// Dcbst emits dcbst ra,rb: write the data cache block at (ra|0)+rb to memory.
func (a *Asm) Dcbst(ra, rb Reg) { a.x3("dcbst", xoDCBST, R0, ra, rb) }

// Icbi emits icbi ra,rb: invalidate the instruction cache block at
// (ra|0)+rb.
func (a *Asm) Icbi(ra, rb Reg) { a.x3("icbi", xoICBI, R0, ra, rb) }

// Tw emits tw to,ra,rb: trap when the comparison of ra and rb selected by
// the 5-bit mask to holds (to = 31: always).
func (a *Asm) Tw(to uint8, ra, rb Reg) {
	if to > 31 {
		a.badImm("tw", "TO", int64(to), 0, 31)
		return
	}
	a.x3("tw", 4<<1, Reg(to), ra, rb)
}

// Trap emits trap (tw 31,0,0, [TrapWord]).
func (a *Asm) Trap() { a.Emit32(TrapWord) }

// Data.

// Word emits v as one little-endian 32-bit data word (aligned, since every
// instruction is).
func (a *Asm) Word(v uint32) { a.Emit32(v) }

// Quad pads with nops to an 8-byte boundary and emits v little-endian.
func (a *Asm) Quad(v uint64) {
	a.Align(8)
	a.Emit64(v)
}

// Label branches. Targets are resolved at layout ([codegen.Buffer.Finish]).

// B emits b l: unconditional branch, ±32 MiB; farther is an
// [codegen.ErrOutOfRange] at Finish.
func (a *Asm) B(l codegen.Label) { a.Ref(codegen.Ref{Kind: RefB}, l) }

// Bl emits bl l: branch and link (call), ±32 MiB.
func (a *Asm) Bl(l codegen.Label) { a.Ref(codegen.Ref{Kind: RefB, Aux: auxLink}, l) }

// Bc emits a conditional branch to l taken when c holds: bc BO,BI,l (4
// bytes, ±32 KiB). When l is farther the layout rewrites it into bc !c,.+8;
// b l (8 bytes, ±32 MiB).
func (a *Asm) Bc(c Cond, l codegen.Label) {
	if c > 63 {
		a.Failf("bc", codegen.ErrBadOperand, "condition %v", c)
		return
	}
	a.Ref(codegen.Ref{Kind: RefBc, Aux: uint32(c)}, l)
}

// LdRel emits a load of the doubleword at label slot through base, which the
// caller keeps pointing at label anchor: ld rt,(slot-anchor)(base) when the
// distance fits a DS-form displacement (±32 KiB, a multiple of 4), else
// addis rt,base,ha; ld rt,lo(rt) (±2 GiB). The distance must be a multiple
// of 4 ([Asm.DataSlot] and [Asm.Quad] are 8-aligned; labels bind at
// instruction boundaries). rt and base must not be R0: R0 as a base reads
// as 0, and the long form uses rt as its base.
func (a *Asm) LdRel(rt, base Reg, slot, anchor codegen.Label) {
	if (rt|base) > 31 || rt == R0 || base == R0 {
		a.Failf("ldrel", codegen.ErrBadOperand, "ld %v via %v: registers must be r1..r31", rt, base)
		return
	}
	if anchor == 0 {
		a.Failf("ldrel", codegen.ErrBadOperand, "no anchor label")
		return
	}
	a.Ref(codegen.Ref{Kind: RefLdRel, Aux: uint32(rt)<<5 | uint32(base), Anchor: anchor}, slot)
}
