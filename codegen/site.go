package codegen

import "fmt"

// SiteKind says what a patch site is for.
type SiteKind uint8

const (
	// SiteBranch is a branch or call whose target a patcher may change
	// (amd64 jump slot, ppc64 b/bl, arm64 B/BL).
	SiteBranch SiteKind = iota + 1
	// SiteGuard is a nop that a patcher may turn into a jump of the same size
	// and back (amd64 2- or 5-byte nop ↔ jmp, ppc64 nop ↔ b, arm64 NOP ↔ B).
	SiteGuard
	// SiteImm is an immediate operand inside an instruction that a patcher
	// may change (amd64 only: no constant-loading instruction, such as
	// ppc64 li or arm64 MOVZ, is in Power's patch class or arm64's B2.2.5
	// set, so there a constant that changes lives in a data slot).
	SiteImm
	// SiteData is an aligned 8-byte data slot that code loads a value from;
	// changing it changes data, not instructions.
	SiteData
)

func (k SiteKind) String() string {
	switch k {
	case SiteBranch:
		return "branch"
	case SiteGuard:
		return "guard"
	case SiteImm:
		return "imm"
	case SiteData:
		return "data"
	}
	return fmt.Sprintf("SiteKind(%d)", uint8(k))
}

// Guarantee is a set of properties of a site's bytes that a patch protocol
// may rely on. The assembler establishes them (by padding) when it records
// the site; tests check them at every offset.
type Guarantee uint8

const (
	// InAlignedQword: the bytes that change (Site.Change, Site.ChangeLen)
	// lie inside one naturally aligned 8-byte word, so one atomic 8-byte store
	// replaces them. On amd64, Intel SDM Vol. 3 §8.1.1 makes that store atomic
	// for data accesses only; that instruction fetch sees the whole old or the
	// whole new qword is behaviour V8's jump slot and HotSpot's verified entry
	// also rely on, not an architectural promise.
	InAlignedQword Guarantee = 1 << iota
	// WordAligned: the site is one 4-byte-aligned instruction word (ppc64
	// CMODX patch class: b, bl, and the preferred nop ori 0,0,0; arm64: B,
	// BL, NOP).
	WordAligned
	// PatchClass: every value the site may hold is an instruction the ISA
	// allows to be replaced while other threads execute it: on ppc64 the
	// Power ISA patch class (b, ba, bl, bla, ori 0,0,0; Power ISA Book II,
	// "Concurrent Modification and Execution of Instructions"), on arm64 the
	// Arm ARM's set (B, BL, NOP, BRK, SVC, HVC, SMC, ISB; DDI 0487,
	// "Concurrent modification and execution of instructions").
	PatchClass
	// MultiWord: the changed bytes span more than one aligned qword; only a
	// protocol that parks arriving threads (amd64 self-loop) may patch it.
	MultiWord
	// DataAligned8: an 8-byte data slot aligned to 8 bytes, read with one
	// single-copy-atomic load.
	DataAligned8
)

func (g Guarantee) String() string {
	if g == 0 {
		return "none"
	}
	names := []string{"in-aligned-qword", "word-aligned", "patch-class", "multi-word", "data-aligned-8"}
	s := ""
	for i, n := range names {
		if g&(1<<i) != 0 {
			if s != "" {
				s += "|"
			}
			s += n
		}
	}
	if rest := g >> len(names); rest != 0 {
		s += fmt.Sprintf("|%#x", uint8(rest<<len(names)))
	}
	return s
}

// Site is a patch-site record: where a patcher may change code or data live,
// and what it may assume about those bytes.
type Site struct {
	Name      string
	Kind      SiteKind
	Offset    int       // final offset of the site's first byte in the blob
	Size      int       // bytes of the whole site (instruction or slot)
	Change    int       // offset, from Offset, of the first byte a patch changes
	ChangeLen int       // number of bytes a patch changes
	Guarantee Guarantee // what the protocol may rely on
	// Target is the label a branch or guard site points at initially (0 if
	// none); a data site's initial value is in the code itself.
	Target Label
}

type siteRec struct {
	Site
	at mark
}

// AddSite records s at the current position (the next instruction). The
// assembler that calls it must already have padded so that s.Guarantee holds.
// Site.Offset is filled in by Finish.
func (b *Buffer) AddSite(s Site) {
	b.sites = append(b.sites, siteRec{Site: s, at: b.here()})
}

// RelocKind is an ISA-specific relocation type.
type RelocKind uint16

// Reloc is a field that a loader fills in once it knows where the blob (or a
// symbol) lives: e.g. an absolute 64-bit address.
type Reloc struct {
	Offset int       // final offset of the field
	Kind   RelocKind // ISA-specific meaning and size
	Sym    string    // what the field refers to
	Addend int64
}

type relocRec struct {
	Reloc
	at mark
}

// AddReloc records r at the current position (its Offset is filled in by
// Finish). Emit the field's placeholder bytes after calling it.
func (b *Buffer) AddReloc(r Reloc) {
	b.relocs = append(b.relocs, relocRec{Reloc: r, at: b.here()})
}

// BindDataSlot pads to an 8-byte boundary, binds l there, records an 8-byte
// data site named name (SiteData, guarantee DataAligned8: one aligned
// 8-byte load reads it with single-copy atomicity on every ISA here) and
// emits init little-endian. Each ISA's assembler documents the load that
// reads it. The stream must be whole instructions first (raw bytes through
// Emit could break that): if it is not, BindDataSlot records an
// [ErrBadOperand] instead of the slot.
func (b *Buffer) BindDataSlot(l Label, name string, init uint64) {
	if !b.instAligned(name) {
		return
	}
	b.Align(8)
	b.Bind(l)
	b.AddSite(Site{Name: name, Kind: SiteData, Size: 8, ChangeLen: 8, Guarantee: DataAligned8})
	b.Emit64(init)
}

// instAligned reports whether the stream is whole instructions for the
// buffer's ISA, recording an error for site name if not.
func (b *Buffer) instAligned(name string) bool {
	if n := b.arch.InstAlign(); len(b.code)%n != 0 {
		b.Failf(fmt.Sprintf("site %q", name), ErrBadOperand, "instruction stream not %d-byte aligned (%d bytes)", n, len(b.code))
		return false
	}
	return true
}
