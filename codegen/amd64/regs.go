package amd64

import "strconv"

// Reg is a general-purpose register, numbered as the hardware numbers it
// (the low 3 bits go into ModRM/SIB/opcode, bit 3 into a REX prefix).
type Reg uint8

// The sixteen general-purpose registers.
const (
	RAX Reg = iota
	RCX
	RDX
	RBX
	RSP
	RBP
	RSI
	RDI
	R8
	R9
	R10
	R11
	R12
	R13
	R14
	R15
)

// NumRegs is the number of general-purpose registers; a Reg ≥ NumRegs is a
// bad operand.
const NumRegs = 16

var regNames = [NumRegs]string{
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
}

var reg8Names = [NumRegs]string{
	"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
	"r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b",
}

// String returns the register's 64-bit name ("rax" … "r15"), or "Reg(n)"
// for a register that does not exist.
func (r Reg) String() string {
	if r < NumRegs {
		return regNames[r]
	}
	return "Reg(" + strconv.Itoa(int(r)) + ")"
}

// Byte returns the name of the register's low byte ("al", "spl", "r8b"…):
// the byte register that [Asm.Setcc] and [Asm.MovzxB] use (a REX prefix is
// always emitted for RSP…RDI, so AH…BH are never meant).
func (r Reg) Byte() string {
	if r < NumRegs {
		return reg8Names[r]
	}
	return r.String()
}

// Valid reports whether r names one of the sixteen registers.
func (r Reg) Valid() bool { return r < NumRegs }

func (r Reg) low() byte { return byte(r) & 7 }
func (r Reg) hi() byte  { return byte(r) >> 3 & 1 }

// Cond is an x86 condition code, numbered as the low nibble of the Jcc and
// SETcc opcodes (0x70+cc, 0x0F 0x80+cc, 0x0F 0x90+cc).
type Cond uint8

// Condition codes. Signed comparisons: L GE LE G; unsigned: B AE BE A.
const (
	CondO  Cond = iota // overflow
	CondNO             // not overflow
	CondB              // below (unsigned <), carry
	CondAE             // above or equal (unsigned ≥), not carry
	CondE              // equal, zero
	CondNE             // not equal, not zero
	CondBE             // below or equal (unsigned ≤)
	CondA              // above (unsigned >)
	CondS              // sign
	CondNS             // not sign
	CondP              // parity even
	CondNP             // parity odd
	CondL              // less (signed <)
	CondGE             // greater or equal (signed ≥)
	CondLE             // less or equal (signed ≤)
	CondG              // greater (signed >)
)

// NumConds is the number of condition codes; a Cond ≥ NumConds is a bad
// operand.
const NumConds = 16

var condNames = [NumConds]string{"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"}

// String returns the condition's mnemonic suffix ("e", "ne", "l"…).
func (c Cond) String() string {
	if c < NumConds {
		return condNames[c]
	}
	return "Cond(" + strconv.Itoa(int(c)) + ")"
}

// Invert returns the opposite condition (E ↔ NE, L ↔ GE…): flipping the
// low bit of the condition code.
func (c Cond) Invert() Cond { return c ^ 1 }

// Valid reports whether c is one of the sixteen condition codes.
func (c Cond) Valid() bool { return c < NumConds }

// Mem is a memory operand [Base + Index*Scale + Disp]. Without HasIndex,
// Index and Scale are ignored (Scale must then be 0 or 1). RSP cannot be an
// index (the SIB encoding of index 100 means "none"); R12 can.
type Mem struct {
	Base     Reg
	Index    Reg
	Scale    uint8 // 1, 2, 4 or 8 when HasIndex
	HasIndex bool
	Disp     int32
}

// BaseDisp returns the operand [base + disp].
func BaseDisp(base Reg, disp int32) Mem { return Mem{Base: base, Disp: disp} }

// BaseIndex returns the operand [base + index*scale + disp].
func BaseIndex(base, index Reg, scale uint8, disp int32) Mem {
	return Mem{Base: base, Index: index, Scale: scale, HasIndex: true, Disp: disp}
}

// String prints m in Intel style, e.g. "[rsp+rax*8+0x10]".
func (m Mem) String() string {
	s := "[" + m.Base.String()
	if m.HasIndex {
		s += "+" + m.Index.String() + "*" + strconv.Itoa(int(m.Scale))
	}
	if m.Disp > 0 {
		s += "+0x" + strconv.FormatInt(int64(m.Disp), 16)
	} else if m.Disp < 0 {
		s += "-0x" + strconv.FormatInt(-int64(m.Disp), 16)
	}
	return s + "]"
}
