package jit

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/jit/jasm"
)

// Loading code a VM assembled itself.
//
// A VM with a compiler of its own assembles with codegen/amd64 or
// codegen/ppc64, and LoadAsm puts the blob in the code heap as a Program:
// the same W^X heap, calls (Func.Call, Caller, CallContext), entry marks
// and grace periods (Program.Close), and the same patch sites — package
// patch makes Sites for it (Patcher.Site by the names given to the
// assembler) and patches them with the protocols the sites' guarantees
// call for, under the runtime's writer lock.

// Entry names one function of an assembled blob for LoadAsm.
type Entry struct {
	Name   string
	Offset int // of the function's first instruction in the blob (Blob.Offset of its label); one entry per offset
	Params int // arguments, 0..8, passed in the JIT calling convention's registers
}

// ErrAsm: LoadAsm refused a blob; the error says which rule it broke.
var ErrAsm = errors.New("jit: cannot load assembled code")

// LoadAsm loads a blob assembled with codegen/amd64 or codegen/ppc64 for
// the host and returns it as a Program whose functions are entries.
//
// The code must follow syncore's JIT calling convention (see entry.go and
// docs/abi.md): arguments in RDI, RSI, RDX, RCX, R8, R9, R10, R11 (amd64)
// or R3–R10 (ppc64le), the result in RAX or R3, return with ret or blr; it
// runs on a JIT stack of Options.StackBytes, never calls Go, keeps RSP/RBP
// discipline and R13–R15 on amd64, and on ppc64le keeps R0 = 0, R1, R2,
// R13, R14, R15, R30 (g) and R31, and saves LR before it calls. Data slots
// are addressed RIP-relative (amd64) or from callCtx.base in R14 (ppc64le:
// the entry program's blob). Code that loops should be short: hand
// assembled code has no poll points, so Func.Interrupt and Program.Close
// cannot stop it (Close waits for it in its grace period).
//
// Patch sites: every codegen site of the blob becomes a jasm.Site of the
// Program (Program.Jasm().Sites, in blob order): a call site (CallSite)
// a pcall site, whose initial target must be an entry (its arity is the
// entry's); a guard a guard site; a data slot or an amd64 movabs or
// mov-imm32 immediate a pconst site. Jump sites (JumpSite) are refused:
// package patch retargets calls.
// Each site's guarantee is checked against its offsets (the heap places
// blobs on FuncAlign boundaries, so blob alignment is memory alignment).
// Relocations are refused: the blob must be position-independent.
func (rt *Runtime) LoadAsm(name string, blob *codegen.Blob, entries []Entry) (*Program, error) {
	if !rt.info.CanExecute {
		return nil, ErrUnsupported
	}
	if blob == nil || len(blob.Code) == 0 {
		return nil, fmt.Errorf("%w: %s: no code", ErrAsm, name)
	}
	arch := Arch(blob.Arch)
	if blob.Arch == "ppc64" {
		arch = ArchPPC64LE // codegen/ppc64 assembles little-endian
	}
	if arch != rt.info.Arch {
		return nil, fmt.Errorf("%w: %s: assembled for %s, the host runs %s", ErrAsm, name, blob.Arch, rt.info.Arch)
	}
	if len(blob.Relocs) > 0 {
		return nil, fmt.Errorf("%w: %s: %d relocation(s) (%s first): LoadAsm takes position-independent code", ErrAsm, name, len(blob.Relocs), blob.Relocs[0].Sym)
	}
	p := &jasm.Program{}
	code := &Code{Arch: arch, Program: p, Blob: blob, Entries: make([]int, len(entries))}
	byOffset := map[int]int{}
	for i, e := range entries {
		switch {
		case e.Name == "":
			return nil, fmt.Errorf("%w: %s: entry %d has no name", ErrAsm, name, i)
		case e.Offset < 0 || e.Offset >= len(blob.Code) || ((arch == ArchPPC64LE || arch == ArchARM64) && e.Offset%4 != 0):
			return nil, fmt.Errorf("%w: %s: entry %s at offset %d, outside the %d-byte blob or misaligned", ErrAsm, name, e.Name, e.Offset, len(blob.Code))
		case e.Params < 0 || e.Params > 8:
			return nil, fmt.Errorf("%w: %s: entry %s takes %d parameters (0..8)", ErrAsm, name, e.Name, e.Params)
		}
		if _, dup := p.Func(e.Name); dup {
			return nil, fmt.Errorf("%w: %s: two entries called %s", ErrAsm, name, e.Name)
		}
		if j, dup := byOffset[e.Offset]; dup {
			// A call slot aimed there would take the arity of whichever won.
			return nil, fmt.Errorf("%w: %s: two entries at offset %d (%s and %s)", ErrAsm, name, e.Offset, entries[j].Name, e.Name)
		}
		p.Funcs = append(p.Funcs, &jasm.Func{Name: e.Name, Params: e.Params})
		code.Entries[i] = e.Offset
		byOffset[e.Offset] = i
	}
	for _, s := range blob.Sites {
		js, err := asmSite(arch, blob, s, byOffset)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: site %s: %w", ErrAsm, name, s.Name, err)
		}
		if _, dup := p.Site(s.Name); dup {
			return nil, fmt.Errorf("%w: %s: two sites called %s", ErrAsm, name, s.Name)
		}
		p.Sites = append(p.Sites, js)
		code.Sites = append(code.Sites, SiteCode{Present: true, Site: s})
	}
	return rt.load(code)
}

// asmSite returns the jasm description of codegen site s of blob, after
// checking that its offsets keep the guarantee it claims.
func asmSite(arch Arch, blob *codegen.Blob, s codegen.Site, byOffset map[int]int) (jasm.Site, error) {
	if s.Offset < 0 || s.Size <= 0 || s.Offset+s.Size > len(blob.Code) ||
		s.Change < 0 || s.ChangeLen <= 0 || s.Change+s.ChangeLen > s.Size {
		return jasm.Site{}, fmt.Errorf("offsets [%d+%d, +%d) of a %d-byte site do not fit the %d-byte blob", s.Offset, s.Change, s.ChangeLen, s.Size, len(blob.Code))
	}
	start, end := s.Offset+s.Change, s.Offset+s.Change+s.ChangeLen
	g := s.Guarantee
	switch {
	case g&codegen.InAlignedQword != 0 && start/8 != (end-1)/8:
		return jasm.Site{}, fmt.Errorf("claims %v but changes [%d, %d), across a qword boundary", g, start, end)
	case g&codegen.WordAligned != 0 && (s.Offset%4 != 0 || s.Size != 4):
		return jasm.Site{}, fmt.Errorf("claims %v but is %d bytes at offset %d", g, s.Size, s.Offset)
	case g&codegen.DataAligned8 != 0 && (s.Offset%8 != 0 || s.Size != 8):
		return jasm.Site{}, fmt.Errorf("claims %v but is %d bytes at offset %d", g, s.Size, s.Offset)
	}
	js := jasm.Site{Name: s.Name, Func: -1, Inst: -1}
	b := blob.Code
	switch s.Kind {
	case codegen.SiteGuard:
		js.Kind = jasm.SiteGuard
	case codegen.SiteData:
		js.Kind = jasm.SiteConst
		js.Init = int64(binary.LittleEndian.Uint64(b[s.Offset:]))
	case codegen.SiteImm:
		js.Kind = jasm.SiteConst
		switch {
		case arch == ArchAMD64 && s.ChangeLen == 10: // movabs: REX.W, B8+r, imm64
			js.Init = int64(binary.LittleEndian.Uint64(b[start+2:]))
		case arch == ArchAMD64 && s.ChangeLen == 4: // mov r/m64, imm32: sign-extended
			js.Init = int64(int32(binary.LittleEndian.Uint32(b[start:])))
		default:
			return jasm.Site{}, fmt.Errorf("an immediate of %d bytes", s.ChangeLen)
		}
	case codegen.SiteBranch:
		if !isCall(arch, b, s) {
			return jasm.Site{}, fmt.Errorf("a jump slot: package patch retargets call sites only")
		}
		fn, ok := byOffset[blob.Offset(s.Target)]
		if !ok {
			return jasm.Site{}, fmt.Errorf("its initial target (offset %d) is not an entry: name it, so that its arity is known", blob.Offset(s.Target))
		}
		js.Kind, js.Init = jasm.SiteCall, int64(fn)
	default:
		return jasm.Site{}, fmt.Errorf("unknown kind %v", s.Kind)
	}
	return js, nil
}

// isCall reports whether branch site s is a call (amd64 e8 rel32, ppc64 bl,
// arm64 bl).
func isCall(arch Arch, b []byte, s codegen.Site) bool {
	switch arch {
	case ArchAMD64:
		return b[s.Offset+s.Change] == 0xe8
	case ArchPPC64LE:
		return binary.LittleEndian.Uint32(b[s.Offset:])&1 == 1 // LK
	case ArchARM64:
		return binary.LittleEndian.Uint32(b[s.Offset:])>>31 == 1 // BL: op = 1
	}
	return false
}
