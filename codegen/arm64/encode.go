package arm64

import "github.com/syncore/syncore/codegen"

// Asm assembles A64 code into an embedded [codegen.Buffer]: use its
// NewLabel, Bind, Align and Reset directly. Every emitter appends whole
// 4-byte instruction words; a caller's mistake is recorded on the buffer and
// returned by its Finish ([codegen.Buffer.Finish]), which also refuses a
// stream that raw bytes (Emit) left not a whole number of aligned words.
type Asm struct {
	*codegen.Buffer
}

// New returns an assembler with an empty buffer.
func New() *Asm { return &Asm{codegen.NewBuffer(Arch{})} }

// Instruction templates, 64-bit forms (sf = 1), operand fields zero (Arm
// ARM C4, "A64 Instruction Set Encoding").
const (
	// Data processing, register.
	opADD    = 0x8b000000 // ADD (shifted register)
	opSUB    = 0xcb000000
	opADDS   = 0xab000000
	opSUBS   = 0xeb000000
	opADDX   = 0x8b206000 // ADD (extended register), option UXTX, amount 0
	opSUBX   = 0xcb206000
	opADDSX  = 0xab206000
	opSUBSX  = 0xeb206000
	opAND    = 0x8a000000 // AND (shifted register)
	opORR    = 0xaa000000
	opEOR    = 0xca000000
	opORN    = 0xaa200000
	opANDS   = 0xea000000
	opMADD   = 0x9b000000
	opMSUB   = 0x9b008000
	opUDIV   = 0x9ac00800
	opSDIV   = 0x9ac00c00
	opLSLV   = 0x9ac02000
	opLSRV   = 0x9ac02400
	opASRV   = 0x9ac02800
	opCSEL   = 0x9a800000
	opCSINC  = 0x9a800400
	opSBFM   = 0x93400000 // N = 1
	opUBFM   = 0xd3400000 // N = 1
	opADDI   = 0x91000000 // ADD (immediate)
	opSUBI   = 0xd1000000
	opADDSI  = 0xb1000000
	opSUBSI  = 0xf1000000
	opANDI   = 0x92000000 // AND (immediate), bitmask fields zero
	opORRI   = 0xb2000000
	opEORI   = 0xd2000000
	opANDSI  = 0xf2000000
	opMOVN   = 0x92800000
	opMOVZ   = 0xd2800000
	opMOVK   = 0xf2800000
	shift12  = 1 << 22 // ADD/SUB (immediate): imm12 shifted left by 12
	opADR    = 0x10000000
	opLDRLIT = 0x58000000 // LDR (literal), 64-bit

	// Loads and stores, 64-bit.
	opLDR     = 0xf9400000 // LDR (immediate), unsigned offset
	opSTR     = 0xf9000000
	opLDUR    = 0xf8400000
	opSTUR    = 0xf8000000
	opLDP     = 0xa9400000 // signed offset
	opSTP     = 0xa9000000
	opLDPPost = 0xa8c00000
	opSTPPost = 0xa8800000
	opLDPPre  = 0xa9c00000
	opSTPPre  = 0xa9800000

	// Branches.
	opB     = 0x14000000
	opBL    = 0x94000000
	opBCOND = 0x54000000
	opCBZ   = 0xb4000000
	opCBNZ  = 0xb5000000
	opTBZ   = 0x36000000
	opTBNZ  = 0x37000000
	opBR    = 0xd61f0000
	opBLR   = 0xd63f0000
	opRET   = 0xd65f0000

	// System.
	opBRK = 0xd4200000
	opDSB = 0xd503309f // CRm = 0
	opDMB = 0xd50330bf
	opSYS = 0xd5080000
	opMRS = 0xd5380000 // MRS, op0 = 3 (bits 20..19)
)

// Fixed instruction words.
const (
	// NopWord is NOP: one of the instructions that Arm ARM B2.2.5
	// ("Concurrent modification and execution of instructions") allows to
	// be replaced by another of them while other threads execute it, and
	// the instruction used for padding.
	NopWord uint32 = 0xd503201f
	// RetWord is RET (RET X30).
	RetWord uint32 = opRET | uint32(RegLR)<<5
	// IsbWord is ISB (ISB SY): a context synchronization event.
	IsbWord uint32 = 0xd5033fdf
	// DsbIshWord is DSB ISH.
	DsbIshWord uint32 = opDSB | uint32(ISH)<<8
	// DmbIshWord is DMB ISH.
	DmbIshWord uint32 = opDMB | uint32(ISH)<<8

	// System register and system instruction operands (op1, CRn, CRm,
	// op2 in bits 16..5): CTR_EL0 is S3_3_C0_C0_1 (MRS adds op0 = 3).
	ctrEL0 = 3<<16 | 0<<12 | 0<<8 | 1<<5
	dcCVAU = 3<<16 | 7<<12 | 11<<8 | 1<<5 // SYS #3, C7, C11, #1
	icIVAU = 3<<16 | 7<<12 | 5<<8 | 1<<5  // SYS #3, C7, C5, #1
)

// BrkWord returns BRK #imm: a breakpoint (SIGTRAP on Linux), in the
// concurrent-modification set of Arm ARM B2.2.5.
func BrkWord(imm uint16) uint32 { return opBRK | uint32(imm)<<5 }

// Word encoders. Operands are assumed valid (checked by the emitters); a
// Reg encodes as its low five bits, so SP and ZR both give 31.

func r3(op uint32, d, n, m Reg) uint32 {
	return op | uint32(m&31)<<16 | uint32(n&31)<<5 | uint32(d&31)
}

func r4(op uint32, d, n, m, a Reg) uint32 {
	return op | uint32(m&31)<<16 | uint32(a&31)<<10 | uint32(n&31)<<5 | uint32(d&31)
}

// addImmWord encodes ADD/SUB/ADDS/SUBS (immediate) for imm12, or imm12<<12
// when sh.
func addImmWord(op uint32, d, n Reg, imm12 uint32, sh bool) uint32 {
	if sh {
		op |= shift12
	}
	return op | imm12<<10 | uint32(n&31)<<5 | uint32(d&31)
}

func bfmWord(op uint32, d, n Reg, immr, imms uint32) uint32 {
	return op | immr<<16 | imms<<10 | uint32(n&31)<<5 | uint32(d&31)
}

func logImmWord(op uint32, d, n Reg, nimms uint32) uint32 {
	return op | nimms<<10 | uint32(n&31)<<5 | uint32(d&31)
}

func movWord(op uint32, d Reg, hw, imm16 uint32) uint32 {
	return op | hw<<21 | imm16<<5 | uint32(d&31)
}

func bWord(disp int32, link bool) uint32 {
	w := uint32(opB)
	if link {
		w = opBL
	}
	return w | uint32(disp>>2)&0x03ffffff
}

// imm19Word encodes B.cond, CBZ, CBNZ and LDR (literal): a signed 19-bit
// word displacement at bit 5.
func imm19Word(op uint32, disp int32, low Reg) uint32 {
	return op | (uint32(disp>>2)&0x7ffff)<<5 | uint32(low)
}

func tbWord(op uint32, rt Reg, bit uint32, disp int32) uint32 {
	return op | (bit>>5)<<31 | (bit&31)<<19 | (uint32(disp>>2)&0x3fff)<<5 | uint32(rt&31)
}

func adrWord(rd Reg, disp int32) uint32 {
	return opADR | (uint32(disp)&3)<<29 | (uint32(disp>>2)&0x7ffff)<<5 | uint32(rd&31)
}

// Reach of the PC-relative forms, in bytes (word-aligned displacements).
func fitsB(d int64) bool     { return d%4 == 0 && d >= -1<<27 && d < 1<<27 } // imm26: ±128 MiB
func fitsImm19(d int64) bool { return d%4 == 0 && d >= -1<<20 && d < 1<<20 } // ±1 MiB
func fitsImm14(d int64) bool { return d%4 == 0 && d >= -1<<15 && d < 1<<15 } // ±32 KiB
func fitsAdr(d int64) bool   { return d >= -1<<20 && d < 1<<20 }             // byte offset, ±1 MiB

// Register classes. A position that names "Xn|XZR" takes R0..R30 and ZR; one
// that names "Xn|SP" takes R0..R30 and SP; a few take only R0..R30.
func isZ(r Reg) bool { return r <= ZR }
func isS(r Reg) bool { return r < ZR || r == SP }
func isX(r Reg) bool { return r < ZR }

// badReg records a register operand that its position does not take.
//
//go:noinline
func (a *Asm) badReg(inst, role string, r Reg, class string) {
	a.Failf(inst, codegen.ErrBadOperand, "%s %v: want %s", role, r, class)
}

const (
	classZ = "x0..x30 or xzr"
	classS = "x0..x30 or sp"
	classX = "x0..x30"
)

// checkZ reports whether every register in rs is an Xn|XZR operand,
// recording an error naming the first one that is not.
func (a *Asm) checkZ(inst string, rs ...Reg) bool {
	for i, r := range rs {
		if !isZ(r) {
			a.badReg(inst, roleName(i), r, classZ)
			return false
		}
	}
	return true
}

func roleName(i int) string {
	return [...]string{"first register", "second register", "third register", "fourth register"}[i]
}

//go:noinline
func (a *Asm) badImm(inst, what string, v, lo, hi int64) {
	a.Failf(inst, codegen.ErrOutOfRange, "%s %d not in [%d, %d]", what, v, lo, hi)
}

// Data processing.

// z3 emits a three-register form whose registers are all Xn|XZR.
func (a *Asm) z3(inst string, op uint32, d, n, m Reg) {
	if (d | n | m) > ZR {
		a.checkZ(inst, d, n, m)
		return
	}
	a.Emit32(r3(op, d, n, m))
}

// MovRR emits dst = src. With two of R0..R30 and ZR it is MOV (ORR dst,
// XZR, src); when either is SP it is MOV to or from SP (ADD dst, src, #0),
// and the other must then be one of R0..R30 or SP: ZR and SP cannot meet in
// one move.
func (a *Asm) MovRR(dst, src Reg) {
	if dst == SP || src == SP {
		if !isS(dst) || !isS(src) {
			a.badMovSP(dst, src)
			return
		}
		a.Emit32(addImmWord(opADDI, dst, src, 0, false))
		return
	}
	a.z3("mov", opORR, dst, ZR, src)
}

//go:noinline
func (a *Asm) badMovSP(dst, src Reg) {
	if !isS(dst) {
		a.badReg("mov", "destination", dst, classS)
		return
	}
	a.badReg("mov", "source", src, classS)
}

// Add emits ADD rd, rn, rm: rd = rn + rm. All three may be R0..R30 or ZR
// (shifted-register form, no shift). rd and rn may also be SP: then the
// extended-register form is used (ADD rd, rn, rm, UXTX), in which 31 means
// SP for rd and rn, so neither may then be ZR; rm is never SP.
func (a *Asm) Add(rd, rn, rm Reg) { a.addSub("add", opADD, opADDX, rd, rn, rm) }

// Sub emits SUB rd, rn, rm: rd = rn - rm; registers as for [Asm.Add].
func (a *Asm) Sub(rd, rn, rm Reg) { a.addSub("sub", opSUB, opSUBX, rd, rn, rm) }

func (a *Asm) addSub(inst string, op, opX uint32, rd, rn, rm Reg) {
	if (rd | rn | rm) <= ZR {
		a.Emit32(r3(op, rd, rn, rm))
		return
	}
	if (rd == SP || rn == SP) && isS(rd) && isS(rn) && isZ(rm) {
		a.Emit32(r3(opX, rd, rn, rm))
		return
	}
	a.badAddSub(inst, rd, rn, rm)
}

//go:noinline
func (a *Asm) badAddSub(inst string, rd, rn, rm Reg) {
	switch {
	case !isZ(rm):
		a.badReg(inst, "third register", rm, classZ)
	case !isZ(rd) && !isS(rd):
		a.badReg(inst, "first register", rd, classZ+" or sp")
	case !isZ(rn) && !isS(rn):
		a.badReg(inst, "second register", rn, classZ+" or sp")
	default: // SP with ZR
		a.Failf(inst, codegen.ErrBadOperand, "%v and %v: sp and xzr cannot meet in one instruction (both encode as 31)", rd, rn)
	}
}

// And emits AND rd, rn, rm (registers R0..R30 or ZR).
func (a *Asm) And(rd, rn, rm Reg) { a.z3("and", opAND, rd, rn, rm) }

// Orr emits ORR rd, rn, rm (registers R0..R30 or ZR).
func (a *Asm) Orr(rd, rn, rm Reg) { a.z3("orr", opORR, rd, rn, rm) }

// Eor emits EOR rd, rn, rm (registers R0..R30 or ZR).
func (a *Asm) Eor(rd, rn, rm Reg) { a.z3("eor", opEOR, rd, rn, rm) }

// Tst emits TST rn, rm (ANDS XZR, rn, rm): sets N and Z from rn & rm, C and
// V to 0.
func (a *Asm) Tst(rn, rm Reg) { a.z3("tst", opANDS, ZR, rn, rm) }

// Mvn emits MVN rd, rm (ORN rd, XZR, rm): rd = ^rm.
func (a *Asm) Mvn(rd, rm Reg) { a.z3("mvn", opORN, rd, ZR, rm) }

// Neg emits NEG rd, rm (SUB rd, XZR, rm): rd = -rm.
func (a *Asm) Neg(rd, rm Reg) { a.z3("neg", opSUB, rd, ZR, rm) }

// Mul emits MUL rd, rn, rm (MADD rd, rn, rm, XZR): the low 64 bits of the
// product.
func (a *Asm) Mul(rd, rn, rm Reg) { a.z3("mul", opMADD|uint32(ZR)<<10, rd, rn, rm) }

// Madd emits MADD rd, rn, rm, ra: rd = ra + rn*rm.
func (a *Asm) Madd(rd, rn, rm, ra Reg) { a.z4("madd", opMADD, rd, rn, rm, ra) }

// Msub emits MSUB rd, rn, rm, ra: rd = ra - rn*rm (with Sdiv, the
// remainder: q = n/m; r = n - q*m).
func (a *Asm) Msub(rd, rn, rm, ra Reg) { a.z4("msub", opMSUB, rd, rn, rm, ra) }

func (a *Asm) z4(inst string, op uint32, d, n, m, ra Reg) {
	if (d | n | m | ra) > ZR {
		a.checkZ(inst, d, n, m, ra)
		return
	}
	a.Emit32(r4(op, d, n, m, ra))
}

// Sdiv emits SDIV rd, rn, rm: signed rn / rm rounded toward zero. It never
// traps: a zero divisor gives 0 and MinInt64 / -1 gives MinInt64 (Arm ARM
// C6.2, SDIV); a language that must fault tests first.
func (a *Asm) Sdiv(rd, rn, rm Reg) { a.z3("sdiv", opSDIV, rd, rn, rm) }

// Udiv emits UDIV rd, rn, rm: unsigned rn / rm; a zero divisor gives 0.
func (a *Asm) Udiv(rd, rn, rm Reg) { a.z3("udiv", opUDIV, rd, rn, rm) }

// Lslv emits LSLV rd, rn, rm: rd = rn << (rm mod 64) (the hardware uses the
// low six bits of rm).
func (a *Asm) Lslv(rd, rn, rm Reg) { a.z3("lslv", opLSLV, rd, rn, rm) }

// Lsrv emits LSRV rd, rn, rm: logical rd = rn >> (rm mod 64).
func (a *Asm) Lsrv(rd, rn, rm Reg) { a.z3("lsrv", opLSRV, rd, rn, rm) }

// Asrv emits ASRV rd, rn, rm: arithmetic rd = rn >> (rm mod 64).
func (a *Asm) Asrv(rd, rn, rm Reg) { a.z3("asrv", opASRV, rd, rn, rm) }

// LslImm emits LSL rd, rn, #n (UBFM rd, rn, #(-n mod 64), #(63-n)), n 0..63.
// LSL #0 is the same word as LSR #0 (UBFM rd, rn, #0, #63), a move.
func (a *Asm) LslImm(rd, rn Reg, n uint) {
	a.shiftImm("lsl", opUBFM, rd, rn, n, uint32(-n)&63, 63-uint32(n&63))
}

// LsrImm emits LSR rd, rn, #n (UBFM rd, rn, #n, #63), n 0..63.
func (a *Asm) LsrImm(rd, rn Reg, n uint) { a.shiftImm("lsr", opUBFM, rd, rn, n, uint32(n&63), 63) }

// AsrImm emits ASR rd, rn, #n (SBFM rd, rn, #n, #63), n 0..63.
func (a *Asm) AsrImm(rd, rn Reg, n uint) { a.shiftImm("asr", opSBFM, rd, rn, n, uint32(n&63), 63) }

func (a *Asm) shiftImm(inst string, op uint32, rd, rn Reg, n uint, immr, imms uint32) {
	if (rd | rn) > ZR {
		a.checkZ(inst, rd, rn)
		return
	}
	if n > 63 {
		a.badShift(inst, n)
		return
	}
	a.Emit32(bfmWord(op, rd, rn, immr, imms))
}

//go:noinline
func (a *Asm) badShift(inst string, n uint) {
	a.Failf(inst, codegen.ErrOutOfRange, "shift %d not in [0, 63]", n)
}

// Immediate arithmetic.

// AddImm emits rd = rn + imm with one ADD (immediate), or SUB (immediate)
// of -imm when imm is negative. rd and rn are R0..R30 or SP (31 is SP in
// these forms). |imm| must be a 12-bit unsigned value, optionally shifted
// left by 12: 0..4095, or a multiple of 4096 up to 4095<<12; anything else
// is an [codegen.ErrOutOfRange] (load it with LoadConst and use Add).
func (a *Asm) AddImm(rd, rn Reg, imm int64) {
	if !isS(rd) || !isS(rn) {
		a.badImmRegs("add", rd, rn)
		return
	}
	a.addSubImm("add", opADDI, opSUBI, rd, rn, imm)
}

// SubImm emits rd = rn - imm: SUB (immediate), or ADD of -imm when imm is
// negative; operands as for [Asm.AddImm].
func (a *Asm) SubImm(rd, rn Reg, imm int64) {
	if !isS(rd) || !isS(rn) {
		a.badImmRegs("sub", rd, rn)
		return
	}
	a.addSubImm("sub", opSUBI, opADDI, rd, rn, imm)
}

// CmpImm emits CMP rn, #imm (SUBS XZR, rn, #imm), or CMN rn, #-imm (ADDS
// XZR, rn, #-imm) when imm is negative: flags as for rn - imm. rn is
// R0..R30 or SP; imm as for [Asm.AddImm].
func (a *Asm) CmpImm(rn Reg, imm int64) {
	if !isS(rn) {
		a.badReg("cmp", "register", rn, classS)
		return
	}
	a.addSubImm("cmp", opSUBSI, opADDSI, ZR, rn, imm)
}

// addSubImm emits the immediate form op, or neg with -imm for a negative
// imm; the registers are already checked.
func (a *Asm) addSubImm(inst string, op, neg uint32, rd, rn Reg, imm int64) {
	if imm < 0 {
		op = neg
		imm = -imm // imm = MinInt64 stays negative and fails below
	}
	switch {
	case imm >= 0 && imm < 1<<12:
		a.Emit32(addImmWord(op, rd, rn, uint32(imm), false))
	case imm&0xfff == 0 && imm > 0 && imm < 1<<24:
		a.Emit32(addImmWord(op, rd, rn, uint32(imm>>12), true))
	default:
		a.badAddImm(inst, imm)
	}
}

//go:noinline
func (a *Asm) badImmRegs(inst string, rd, rn Reg) {
	if !isS(rd) {
		a.badReg(inst, "destination", rd, classS)
		return
	}
	a.badReg(inst, "source", rn, classS)
}

//go:noinline
func (a *Asm) badAddImm(inst string, imm int64) {
	a.Failf(inst, codegen.ErrOutOfRange, "immediate %d is not 0..4095 or a multiple of 4096 up to 4095<<12 (negated for a negative one)", imm)
}

// AndImm emits AND rd, rn, #imm: imm must be a logical ("bitmask")
// immediate, a rotated run of ones repeated in 2, 4, ..., 64-bit elements
// (Arm ARM C3.4.2 "Logical (immediate)"; 0 and all ones are not), else an
// [codegen.ErrBadOperand]. rd is R0..R30 or SP (31 is SP here), rn R0..R30
// or ZR.
func (a *Asm) AndImm(rd, rn Reg, imm uint64) { a.logImm("and", opANDI, rd, rn, imm) }

// OrrImm emits ORR rd, rn, #imm (bitmask immediate); operands as for
// [Asm.AndImm].
func (a *Asm) OrrImm(rd, rn Reg, imm uint64) { a.logImm("orr", opORRI, rd, rn, imm) }

// EorImm emits EOR rd, rn, #imm (bitmask immediate); operands as for
// [Asm.AndImm].
func (a *Asm) EorImm(rd, rn Reg, imm uint64) { a.logImm("eor", opEORI, rd, rn, imm) }

// TstImm emits TST rn, #imm (ANDS XZR, rn, #imm), imm a bitmask immediate.
func (a *Asm) TstImm(rn Reg, imm uint64) { a.logImm("tst", opANDSI, ZR, rn, imm) }

func (a *Asm) logImm(inst string, op uint32, rd, rn Reg, imm uint64) {
	if op != opANDSI && !isS(rd) || !isZ(rn) {
		a.badLogRegs(inst, rd, rn)
		return
	}
	nimms, ok := bitmaskImm(imm)
	if !ok {
		a.badBitmask(inst, imm)
		return
	}
	a.Emit32(logImmWord(op, rd, rn, nimms))
}

//go:noinline
func (a *Asm) badLogRegs(inst string, rd, rn Reg) {
	if !isZ(rn) {
		a.badReg(inst, "source", rn, classZ)
		return
	}
	a.badReg(inst, "destination", rd, classS)
}

//go:noinline
func (a *Asm) badBitmask(inst string, imm uint64) {
	a.Failf(inst, codegen.ErrBadOperand, "%#x is not a bitmask immediate", imm)
}

// Compares and selects.

// Cmp emits CMP rn, rm (SUBS XZR, rn, rm): flags as for rn - rm. rn may be
// SP (then the extended-register form, CMP SP, rm, UXTX); rm is R0..R30 or
// ZR.
func (a *Asm) Cmp(rn, rm Reg) { a.cmpReg("cmp", opSUBS, opSUBSX, rn, rm) }

// Cmn emits CMN rn, rm (ADDS XZR, rn, rm): flags as for rn + rm; operands
// as for [Asm.Cmp].
func (a *Asm) Cmn(rn, rm Reg) { a.cmpReg("cmn", opADDS, opADDSX, rn, rm) }

func (a *Asm) cmpReg(inst string, op, opX uint32, rn, rm Reg) {
	switch {
	case (rn | rm) <= ZR:
		a.Emit32(r3(op, ZR, rn, rm))
	case rn == SP && isZ(rm):
		a.Emit32(r3(opX, ZR, rn, rm))
	case !isZ(rm):
		a.badReg(inst, "second register", rm, classZ)
	default:
		a.badReg(inst, "first register", rn, classZ+" or sp")
	}
}

// Cset emits CSET rd, c (CSINC rd, XZR, XZR, !c): rd = 1 if c holds, else
// 0. c is EQ..LE; AL is an [codegen.ErrBadOperand] (the result would be
// constant, and its inverse is not a condition).
func (a *Asm) Cset(rd Reg, c Cond) {
	if !isZ(rd) || c >= AL {
		a.badCond("cset", rd, c)
		return
	}
	a.Emit32(r3(opCSINC, rd, ZR, ZR) | uint32(c^1)<<12)
}

// Csel emits CSEL rd, rn, rm, c: rd = c ? rn : rm. c is EQ..AL.
func (a *Asm) Csel(rd, rn, rm Reg, c Cond) {
	if (rd|rn|rm) > ZR || c > AL {
		if a.checkZ("csel", rd, rn, rm) {
			a.badCond("csel", rd, c)
		}
		return
	}
	a.Emit32(r3(opCSEL, rd, rn, rm) | uint32(c)<<12)
}

//go:noinline
func (a *Asm) badCond(inst string, rd Reg, c Cond) {
	if !isZ(rd) {
		a.badReg(inst, "destination", rd, classZ)
		return
	}
	a.Failf(inst, codegen.ErrBadOperand, "condition %v", c)
}

// Loads and stores (64-bit). The base is R0..R30 or SP; the transfer
// registers are R0..R30 or ZR (a store of ZR stores zero).

// Ldr emits a 64-bit load rt = [base + off]: LDR (unsigned offset) when off
// is a multiple of 8 in 0..32760, else LDUR when off is in -256..255; any
// other offset is an [codegen.ErrOutOfRange] (add it to a register
// first). An aligned 8-byte load is single-copy atomic (Arm ARM B2.2.1
// "Requirements for single-copy atomicity").
func (a *Asm) Ldr(rt, base Reg, off int64) { a.ldst("ldr", opLDR, opLDUR, rt, base, off) }

// Str emits a 64-bit store [base + off] = rt: STR (unsigned offset) or STUR,
// offsets as for [Asm.Ldr].
func (a *Asm) Str(rt, base Reg, off int64) { a.ldst("str", opSTR, opSTUR, rt, base, off) }

func (a *Asm) ldst(inst string, op, opU uint32, rt, base Reg, off int64) {
	if !isZ(rt) || !isS(base) {
		a.badMemRegs(inst, rt, base)
		return
	}
	switch {
	case off >= 0 && off <= 4095*8 && off&7 == 0:
		a.Emit32(op | uint32(off>>3)<<10 | uint32(base&31)<<5 | uint32(rt))
	case off >= -256 && off <= 255:
		a.Emit32(opU | (uint32(off)&0x1ff)<<12 | uint32(base&31)<<5 | uint32(rt))
	default:
		a.Failf(inst, codegen.ErrOutOfRange, "offset %d is neither a multiple of 8 in [0, 32760] nor in [-256, 255]", off)
	}
}

//go:noinline
func (a *Asm) badMemRegs(inst string, rt, base Reg) {
	if !isZ(rt) {
		a.badReg(inst, "transfer register", rt, classZ)
		return
	}
	a.badReg(inst, "base", base, classS)
}

// Ldp emits LDP rt1, rt2, [base, #off]: rt1 = [base+off], rt2 =
// [base+off+8]. off is a multiple of 8 in -512..504. rt1 and rt2 must
// differ (the Arm ARM makes an LDP that loads one register twice
// CONSTRAINED UNPREDICTABLE).
func (a *Asm) Ldp(rt1, rt2, base Reg, off int64) { a.pair("ldp", opLDP, rt1, rt2, base, off) }

// Stp emits STP rt1, rt2, [base, #off]: [base+off] = rt1, [base+off+8] =
// rt2; off as for [Asm.Ldp].
func (a *Asm) Stp(rt1, rt2, base Reg, off int64) { a.pair("stp", opSTP, rt1, rt2, base, off) }

// LdpPost emits LDP rt1, rt2, [base], #off (post-index): load from base,
// then base += off. The frame tear-down is LdpPost(R29, R30, SP, 16). base
// must differ from rt1 and rt2 (write-back to a loaded register is
// CONSTRAINED UNPREDICTABLE); off as for [Asm.Ldp].
func (a *Asm) LdpPost(rt1, rt2, base Reg, off int64) {
	a.pair("ldp", opLDPPost, rt1, rt2, base, off)
}

// LdpPre emits LDP rt1, rt2, [base, #off]! (pre-index): base += off, then
// load from base. Registers and off as for [Asm.LdpPost].
func (a *Asm) LdpPre(rt1, rt2, base Reg, off int64) { a.pair("ldp", opLDPPre, rt1, rt2, base, off) }

// StpPre emits STP rt1, rt2, [base, #off]! (pre-index): base += off, then
// store at base. The frame set-up is StpPre(R29, R30, SP, -16). base must
// differ from rt1 and rt2 (CONSTRAINED UNPREDICTABLE otherwise); off as for
// [Asm.Ldp].
func (a *Asm) StpPre(rt1, rt2, base Reg, off int64) { a.pair("stp", opSTPPre, rt1, rt2, base, off) }

// StpPost emits STP rt1, rt2, [base], #off (post-index): store at base, then
// base += off. Registers and off as for [Asm.StpPre].
func (a *Asm) StpPost(rt1, rt2, base Reg, off int64) {
	a.pair("stp", opSTPPost, rt1, rt2, base, off)
}

func (a *Asm) pair(inst string, op uint32, rt1, rt2, base Reg, off int64) {
	if !isZ(rt1) || !isZ(rt2) || !isS(base) {
		if a.checkZ(inst, rt1, rt2) {
			a.badReg(inst, "base", base, classS)
		}
		return
	}
	load := op&(1<<22) != 0
	writeback := op&(1<<23) != 0
	if load && rt1 == rt2 || writeback && (base == rt1 || base == rt2) {
		a.Failf(inst, codegen.ErrBadOperand, "%v, %v with base %v: the result is CONSTRAINED UNPREDICTABLE", rt1, rt2, base)
		return
	}
	if off&7 != 0 || off < -512 || off > 504 {
		a.Failf(inst, codegen.ErrOutOfRange, "offset %d is not a multiple of 8 in [-512, 504]", off)
		return
	}
	a.Emit32(op | (uint32(off>>3)&0x7f)<<15 | uint32(rt2)<<10 | uint32(base&31)<<5 | uint32(rt1))
}

// Branches to registers.

// Ret emits RET (RET X30).
func (a *Asm) Ret() { a.Emit32(RetWord) }

// Br emits BR rn: branch to the address in rn (R0..R30).
func (a *Asm) Br(rn Reg) { a.brReg("br", opBR, rn) }

// Blr emits BLR rn: call the address in rn (R0..R30), setting X30 to the
// next instruction.
func (a *Asm) Blr(rn Reg) { a.brReg("blr", opBLR, rn) }

func (a *Asm) brReg(inst string, op uint32, rn Reg) {
	if !isX(rn) {
		a.badReg(inst, "target", rn, classX)
		return
	}
	a.Emit32(op | uint32(rn)<<5)
}

// Barriers, cache maintenance, system registers, no-ops.

// Nop emits NOP ([NopWord]).
func (a *Asm) Nop() { a.Emit32(NopWord) }

// Isb emits ISB (SY): a context synchronization event; instructions after
// it are fetched anew (Arm ARM C6.2, ISB).
func (a *Asm) Isb() { a.Emit32(IsbWord) }

// Dsb emits DSB opt: completes the memory accesses and cache and TLB
// maintenance before it (in opt's domain) before any instruction after it
// executes. The writer of new code uses DSB ISH after DC CVAU and after
// IC IVAU.
func (a *Asm) Dsb(opt Barrier) { a.barrier("dsb", opDSB, opt) }

// Dmb emits DMB opt: orders the memory accesses before it against those
// after it, in opt's domain.
func (a *Asm) Dmb(opt Barrier) { a.barrier("dmb", opDMB, opt) }

func (a *Asm) barrier(inst string, op uint32, opt Barrier) {
	if !opt.valid() {
		a.Failf(inst, codegen.ErrBadOperand, "barrier option %d", uint8(opt))
		return
	}
	a.Emit32(op | uint32(opt)<<8)
}

// DcCvau emits DC CVAU, rt: clean the data cache line holding the address
// in rt (R0..R30) to the point of unification, the first step of making
// new code visible to instruction fetch.
func (a *Asm) DcCvau(rt Reg) { a.sys("dc cvau", dcCVAU, rt) }

// IcIvau emits IC IVAU, rt: invalidate the instruction cache line holding
// the address in rt (R0..R30) to the point of unification.
func (a *Asm) IcIvau(rt Reg) { a.sys("ic ivau", icIVAU, rt) }

func (a *Asm) sys(inst string, fields uint32, rt Reg) {
	if !isX(rt) {
		a.badReg(inst, "address", rt, classX)
		return
	}
	a.Emit32(opSYS | fields | uint32(rt))
}

// MrsCtrEl0 emits MRS rt, CTR_EL0: the cache type register (Linux lets EL0
// read it): IminLine (bits 0..3) and DminLine (16..19) give the smallest
// instruction and data cache line as log2 of words, IDC (28) and DIC (29)
// say that cleaning the data cache or invalidating the instruction cache
// is not needed for instruction fetch to see new code. rt is R0..R30 or ZR.
func (a *Asm) MrsCtrEl0(rt Reg) {
	if !isZ(rt) {
		a.badReg("mrs", "destination", rt, classZ)
		return
	}
	a.Emit32(opMRS | ctrEL0 | uint32(rt))
}

// Brk emits BRK #imm ([BrkWord]): a breakpoint; Linux delivers SIGTRAP.
func (a *Asm) Brk(imm uint16) { a.Emit32(BrkWord(imm)) }

// Data.

// Word emits v as one little-endian 32-bit data word (aligned, since every
// instruction is).
func (a *Asm) Word(v uint32) { a.Emit32(v) }

// Quad pads with NOPs to an 8-byte boundary and emits v little-endian.
func (a *Asm) Quad(v uint64) {
	a.Align(8)
	a.Emit64(v)
}

// Label branches and PC-relative addresses. Targets are resolved at layout
// ([codegen.Buffer.Finish]).

// B emits B l: unconditional branch, ±128 MiB; farther is an
// [codegen.ErrOutOfRange] at Finish.
func (a *Asm) B(l codegen.Label) { a.Ref(codegen.Ref{Kind: RefB}, l) }

// Bl emits BL l: branch with link (call), ±128 MiB.
func (a *Asm) Bl(l codegen.Label) { a.Ref(codegen.Ref{Kind: RefB, Aux: auxLink}, l) }

// Bcond emits B.c l: a conditional branch taken when c holds (4 bytes,
// ±1 MiB). When l is farther the layout rewrites it into B.!c .+8; B l
// (8 bytes, ±128 MiB). Bcond(AL, l) is B l.
func (a *Asm) Bcond(c Cond, l codegen.Label) {
	switch {
	case c == AL:
		a.B(l)
	case c < AL:
		a.Ref(codegen.Ref{Kind: RefBcond, Aux: uint32(c)}, l)
	default:
		a.Failf("b.cond", codegen.ErrBadOperand, "condition %v", c)
	}
}

// Cbz emits CBZ rt, l: branch when rt (R0..R30) is zero, ±1 MiB; farther,
// the layout rewrites it into CBNZ rt, .+8; B l (±128 MiB).
func (a *Asm) Cbz(rt Reg, l codegen.Label) { a.cb("cbz", 0, rt, l) }

// Cbnz emits CBNZ rt, l: branch when rt is not zero; reach and rewrite as
// for [Asm.Cbz].
func (a *Asm) Cbnz(rt Reg, l codegen.Label) { a.cb("cbnz", auxNot, rt, l) }

func (a *Asm) cb(inst string, aux uint32, rt Reg, l codegen.Label) {
	if !isX(rt) {
		a.badReg(inst, "register", rt, classX)
		return
	}
	a.Ref(codegen.Ref{Kind: RefCbz, Aux: aux | uint32(rt)}, l)
}

// Tbz emits TBZ rt, #bit, l: branch when bit (0..63) of rt (R0..R30) is
// zero, ±32 KiB; farther, the layout rewrites it into TBNZ rt, #bit, .+8;
// B l (±128 MiB).
func (a *Asm) Tbz(rt Reg, bit uint, l codegen.Label) { a.tb("tbz", 0, rt, bit, l) }

// Tbnz emits TBNZ rt, #bit, l: branch when the bit is one; reach and
// rewrite as for [Asm.Tbz].
func (a *Asm) Tbnz(rt Reg, bit uint, l codegen.Label) { a.tb("tbnz", auxNot, rt, bit, l) }

func (a *Asm) tb(inst string, aux uint32, rt Reg, bit uint, l codegen.Label) {
	if !isX(rt) {
		a.badReg(inst, "register", rt, classX)
		return
	}
	if bit > 63 {
		a.badImm(inst, "bit", int64(bit), 0, 63)
		return
	}
	a.Ref(codegen.Ref{Kind: RefTbz, Aux: aux | uint32(bit)<<6 | uint32(rt)}, l)
}

// Adr emits ADR rd, l: rd = the address of l (±1 MiB, any byte offset).
// rd is R0..R30. There is no long form: ADRP depends on the page the code
// is loaded at, which the assembler does not know.
func (a *Asm) Adr(rd Reg, l codegen.Label) {
	if !isX(rd) {
		a.badReg("adr", "destination", rd, classX)
		return
	}
	a.Ref(codegen.Ref{Kind: RefAdr, Aux: uint32(rd)}, l)
}

// LdrLit emits LDR rt, l (literal): rt = the 8 bytes at l, which must lie
// within ±1 MiB (farther is an [codegen.ErrOutOfRange] at Finish). Reading
// a [Asm.DataSlot] this way is one single-copy-atomic load, since slots are
// 8-byte aligned (Arm ARM B2.2.1). rt is R0..R30 or ZR.
func (a *Asm) LdrLit(rt Reg, l codegen.Label) {
	if !isZ(rt) {
		a.badReg("ldr", "destination", rt, classZ)
		return
	}
	a.Ref(codegen.Ref{Kind: RefLdrLit, Aux: uint32(rt)}, l)
}
