package litmus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/arch/arm64/arm64asm"
	"golang.org/x/arch/ppc64/ppc64asm"
	"golang.org/x/arch/x86/x86asm"
)

// decodeAt decodes the instruction at off of code for arch, in GNU syntax
// (x/arch is the oracle here, as in codegen's tests).
func decodeAt(t *testing.T, arch string, code []byte, off int) (text string, size int) {
	t.Helper()
	switch arch {
	case "amd64":
		inst, err := x86asm.Decode(code[off:], 64)
		if err != nil {
			t.Fatalf("amd64 +%d: %v", off, err)
		}
		return x86asm.GNUSyntax(inst, uint64(off), nil), inst.Len
	case "ppc64le":
		inst, err := ppc64asm.Decode(code[off:], binary.LittleEndian)
		if err != nil {
			t.Fatalf("ppc64le +%d: %v", off, err)
		}
		return ppc64asm.GNUSyntax(inst, uint64(off)), inst.Len
	case "arm64":
		inst, err := arm64asm.Decode(code[off:])
		if err != nil {
			t.Fatalf("arm64 +%d: %v", off, err)
		}
		return strings.TrimSpace(arm64asm.GNUSyntax(inst)), 4
	}
	t.Fatalf("no decoder for %s", arch)
	return "", 0
}

// disasm decodes n instructions from off.
func disasm(t *testing.T, arch string, code []byte, off, n int) string {
	t.Helper()
	var parts []string
	for i := 0; i < n; i++ {
		s, size := decodeAt(t, arch, code, off)
		parts = append(parts, s)
		off += size
	}
	return strings.Join(parts, "; ")
}

// TestAssembleShapes: every shape on every ISA, checked instruction by
// instruction with x/arch: the entry's code per version, what each version
// returns, the changed bytes, and the landing pads.
func TestAssembleShapes(t *testing.T) {
	type want struct {
		n        int      // instructions to decode at the entry
		versions []string // their text per version
		win      [2]int
	}
	cases := map[string]map[Shape]want{
		"amd64": {
			// Branch targets print relative to the next instruction: the
			// bodies are at 0x80, 0x4c0 and 0x900.
			ShapeImm:    {2, []string{"mov $0x1010101,%rax; retq", "mov $0x2020202,%rax; retq", "mov $0x3030303,%rax; retq"}, [2]int{3, 7}},
			ShapeWide:   {2, []string{"mov $0x101010101010101,%rax; retq", "mov $0x202020202020202,%rax; retq", "mov $0x303030303030303,%rax; retq"}, [2]int{8, 16}},
			ShapeBranch: {1, []string{"jmpq .+0x7b", "jmpq .+0x4bb", "jmpq .+0x8fb"}, [2]int{1, 3}},
			ShapeCall:   {3, []string{"nopl (%rax); callq 0x80; retq", "nopl (%rax); callq 0x4c0; retq", "nopl (%rax); callq 0x900; retq"}, [2]int{4, 6}},
			ShapeGuard:  {1, []string{"nopl (%rax,%rax)", "jmpq .+0x7b"}, [2]int{0, 3}},
			ShapeSlot:   {2, []string{"mov 0x1(%rip),%rax; retq"}, [2]int{8, 16}},
		},
		"ppc64le": {
			ShapeImm:    {2, []string{"li r3,257; blr", "li r3,514; blr", "li r3,771; blr"}, [2]int{0, 2}},
			ShapeWide:   {3, []string{"lis r3,257; ori r3,r3,257; blr", "lis r3,514; ori r3,r3,514; blr", "lis r3,771; ori r3,r3,771; blr"}, [2]int{0, 6}},
			ShapeBranch: {1, []string{"b 0x80", "b 0x4c0", "b 0x900"}, [2]int{0, 2}},
			ShapeCall:   {4, []string{"mflr r12; bl 0x80; mtlr r12; blr", "mflr r12; bl 0x4c0; mtlr r12; blr", "mflr r12; bl 0x900; mtlr r12; blr"}, [2]int{4, 6}},
			ShapeGuard:  {1, []string{"nop", "b 0x80"}, [2]int{0, 4}},
			ShapeSlot:   {6, []string{"mflr r12; bl 0x8; mflr r11; mtlr r12; ld r3,16(r11); blr"}, [2]int{24, 32}},
		},
		"arm64": {
			ShapeImm:    {2, []string{"mov x0, #0x101; ret", "mov x0, #0x202; ret", "mov x0, #0x303; ret"}, [2]int{0, 2}},
			ShapeWide:   {3, []string{"mov x0, #0x101; movk x0, #0x101, lsl #16; ret", "mov x0, #0x202; movk x0, #0x202, lsl #16; ret", "mov x0, #0x303; movk x0, #0x303, lsl #16; ret"}, [2]int{0, 6}},
			ShapeBranch: {1, []string{"b .+0x80", "b .+0x4c0", "b .+0x900"}, [2]int{0, 2}},
			ShapeCall:   {4, []string{"stp x29, x30, [sp,#-16]!; bl .+0x7c; ldp x29, x30, [sp],#16; ret", "stp x29, x30, [sp,#-16]!; bl .+0x4bc; ldp x29, x30, [sp],#16; ret", "stp x29, x30, [sp,#-16]!; bl .+0x8fc; ldp x29, x30, [sp],#16; ret"}, [2]int{4, 6}},
			ShapeGuard:  {1, []string{"nop", "b .+0x80"}, [2]int{0, 4}},
			ShapeSlot:   {2, []string{"ldr x0, .+0x8; ret"}, [2]int{8, 16}},
		},
	}
	pad := map[string]string{"amd64": "mov $-0x6f6f6f70,%rax", "ppc64le": "li r3,32639", "arm64": "mov x0, #0x7f7f"}
	for _, arch := range Arches {
		for sh := ShapeImm; sh <= ShapeSlot; sh++ {
			t.Run(fmt.Sprintf("%s/%s", arch, sh), func(t *testing.T) {
				w := cases[arch][sh]
				s := &Site{Name: "s", Shape: sh, Versions: []string{"a", "b", "c"}, At: -1}
				if sh == ShapeGuard {
					s.Versions = s.Versions[:2]
				}
				sc, err := assembleSite(arch, s)
				if err != nil {
					t.Fatal(err)
				}
				if sc.win != w.win[0] || sc.winEnd != w.win[1] {
					t.Errorf("changed bytes [%d, %d), want [%d, %d)", sc.win, sc.winEnd, w.win[0], w.win[1])
				}
				for k := range s.Versions {
					got := disasm(t, arch, sc.code[k], sc.entry, w.n)
					exp := w.versions[min(k, len(w.versions)-1)]
					if got != exp {
						t.Errorf("version %d: %s\n want %s", k, got, exp)
					}
					if sc.values[k] != versionValue(arch, sh, k) || sc.versionOf(sc.values[k]) != k {
						t.Errorf("version %d returns %#x", k, sc.values[k])
					}
				}
				if sc.versionOf(tornValue(arch)) != -1 {
					t.Errorf("the landing pads' value %#x is a version's", tornValue(arch))
				}
				switch sh {
				case ShapeSlot:
					for k := range s.Versions {
						if got := int64(binary.LittleEndian.Uint64(sc.code[k][sc.win:])); got != sc.values[k] {
							t.Errorf("slot of version %d holds %#x", k, got)
						}
					}
				case ShapeBranch, ShapeCall:
					// Each body is preceded by a landing pad: nops that slide
					// into "return torn".
					for j := range s.Versions {
						body := bodyBase + j*bodyStride
						if got := disasm(t, arch, sc.code[0], body-8, 1); got != pad[arch] {
							t.Errorf("before body %d: %s, want the landing pad's return", j, got)
						}
						if got := disasm(t, arch, sc.code[0], body-16, 1); !strings.Contains(got, "nop") {
							t.Errorf("the landing pad before body %d: %s, want nops", j, got)
						}
					}
				}
			})
		}
	}
}

// TestPlanWrite: the stores of each write mode, and what each ISA refuses.
func TestPlanWrite(t *testing.T) {
	site := func(arch string, sh Shape, at int) *siteCode {
		sc, err := assembleSite(arch, &Site{Name: "w", Shape: sh, Versions: []string{"a", "b"}, At: at})
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	// amd64 movabs at 6: imm64 fills the qword at 8 — one 8-byte store.
	sts, err := planWrite(site("amd64", ShapeWide, -1), 1, Atomic)
	if err != nil || len(sts) != 1 || sts[0] != (store{8, 8, ^uint64(0), 0x0202020202020202}) {
		t.Errorf("amd64 wide atomic: %+v %v", sts, err)
	}
	// At 4 the imm64 is [6, 14): two qwords.
	straddling := site("amd64", ShapeWide, 4)
	if _, err := planWrite(straddling, 1, Atomic); err == nil || !strings.Contains(err.Error(), "cross an aligned qword") {
		t.Errorf("amd64 straddling atomic: %v", err)
	}
	sts, err = planWrite(straddling, 1, Straddle)
	if err != nil || len(sts) != 2 || sts[0] != (store{0, 8, 0xffff << 48, 0x0202 << 48}) || sts[1] != (store{8, 8, 0xffffffffffff, 0x020202020202}) {
		t.Errorf("amd64 straddle: %+v %v", sts, err)
	}
	sts, err = planWrite(straddling, 1, Bytewise)
	if err != nil || len(sts) != 8 || sts[0] != (store{6, 1, 0xff, 2}) || sts[7] != (store{13, 1, 0xff, 2}) {
		t.Errorf("amd64 bytewise: %+v %v", sts, err)
	}
	if _, err := planWrite(site("amd64", ShapeWide, -1), 1, Straddle); err == nil || !strings.Contains(err.Error(), "nothing to straddle") {
		t.Errorf("straddle inside one qword: %v", err)
	}
	// ppc64le and arm64: a word when the changed bytes lie in one, else a
	// qword.
	for _, arch := range []string{"ppc64le", "arm64"} {
		sts, err = planWrite(site(arch, ShapeBranch, -1), 1, Atomic)
		if err != nil || len(sts) != 1 || sts[0].width != 4 || sts[0].off != 0 {
			t.Errorf("%s branch atomic: %+v %v", arch, sts, err)
		}
		sts, err = planWrite(site(arch, ShapeWide, -1), 1, Atomic)
		if err != nil || len(sts) != 1 || sts[0].width != 8 || sts[0].off != 0 {
			t.Errorf("%s wide atomic: %+v %v", arch, sts, err)
		}
		sts, err = planWrite(site(arch, ShapeWide, 4), 1, Straddle)
		if err != nil || len(sts) != 2 {
			t.Errorf("%s wide straddle: %+v %v", arch, sts, err)
		}
		if _, err := assembleSite(arch, &Site{Name: "w", Shape: ShapeImm, Versions: []string{"a", "b"}, At: 2}); !errors.Is(err, ErrLayout) {
			t.Errorf("%s at 2: %v", arch, err)
		}
	}
}

// TestCheck: Check names the operation an ISA cannot do, with its position.
func TestCheck(t *testing.T) {
	src := "litmus t\nsite w wide a b at 4\nthread 0\n    write w b atomic\n    r = exec w\nexists (0:r=a)\n"
	tt, err := ParseFile("c.litmus", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, arch := range Arches {
		err := Check(tt, arch)
		if !errors.Is(err, ErrLayout) || !strings.HasPrefix(err.Error(), "c.litmus:4:5: write w b atomic rw on "+arch) {
			t.Errorf("%s: %v", arch, err)
		}
	}
	if err := Check(tt, "mips"); err == nil {
		t.Error("Check for mips: no error")
	}
}

// TestCheckOutcomes: a test whose outcomes a run cannot count parses and
// assembles, and Check refuses it as Run does, for every ISA.
func TestCheckOutcomes(t *testing.T) {
	src, err := os.ReadFile("testdata/too-many-outcomes.litmus")
	if err != nil {
		t.Fatal(err)
	}
	tt, err := ParseFile("testdata/too-many-outcomes.litmus", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, arch := range Arches {
		if _, _, err := assembleTest(tt, arch); err != nil {
			t.Errorf("%s: it does not assemble: %v", arch, err)
		}
		err := Check(tt, arch)
		if !errors.Is(err, ErrLayout) || !strings.HasPrefix(err.Error(), "testdata/too-many-outcomes.litmus:") ||
			!strings.Contains(err.Error(), "more than 65536 possible outcomes") {
			t.Errorf("%s: %v", arch, err)
		}
	}
	// One register fewer: 9^5 = 59049 outcomes pass.
	tt, err = ParseFile("fewer.litmus", []byte(strings.Replace(strings.Replace(string(src), "    r5 = exec f\n", "", 1), " /\\ 1:r5=torn", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, arch := range Arches {
		if err := Check(tt, arch); err != nil {
			t.Errorf("%s, five registers: %v", arch, err)
		}
	}
}

// TestPlanParkWrites: the self-loop protocol's three writes on every ISA,
// applied to a movabs (amd64) or two-word (ppc64le, arm64) site: after the
// park the entry decodes (x/arch) as a jump to the park stub, the stub as
// the store of its park word and the jump back to the entry; the tail
// leaves the head parked; the head makes the block the new version's.
func TestPlanParkWrites(t *testing.T) {
	stubText := map[string]string{
		"amd64":   "mov -0xf(%rip),%rcx; movq $0x1,(%rcx); pause; jmp",
		"ppc64le": "mflr r12; bl; mflr r11; mtlr r12; ld r11,-16(r11); li r12,1; std r12,0(r11); b 0x0",
		"arm64":   "ldr x16, .+0xfffffffffffffff8; mov x17, #0x1; str x17, [x16]; b .+0xffff",
	}
	parkText := map[string]string{"amd64": "jmpq", "ppc64le": "b ", "arm64": "b ."}
	for _, arch := range Arches {
		t.Run(arch, func(t *testing.T) {
			sc, err := assembleSite(arch, &Site{Name: "w", Shape: ShapeWide, Versions: []string{"a", "b"}, At: 0})
			if err != nil {
				t.Fatal(err)
			}
			block := append([]byte(nil), sc.code[0]...)
			apply := func(mode WriteMode) {
				sts, err := planWrite(sc, 1, mode)
				if err != nil {
					t.Fatalf("%v: %v", mode, err)
				}
				for _, st := range sts {
					if st.off%st.width != 0 {
						t.Errorf("%v: a %d-byte store at +%d is not aligned", mode, st.width, st.off)
					}
					for i := 0; i < st.width; i++ {
						if st.mask>>(8*i)&0xff != 0 {
							block[st.off+i] = byte(st.bits >> (8 * i))
						}
					}
				}
			}
			apply(Park)
			n := map[string]int{"amd64": 4, "ppc64le": 8, "arm64": 4}[arch]
			stub := disasm(t, arch, block, sc.stub, n)
			for _, part := range strings.Split(stubText[arch], "; ") {
				if !strings.Contains(stub, part) {
					t.Errorf("the park stub: %s\n lacks %q", stub, part)
				}
			}
			entry := disasm(t, arch, block, sc.entry, 1)
			if !strings.HasPrefix(entry, parkText[arch]) {
				t.Errorf("parked entry: %s", entry)
			}
			// The jump reaches the stub: decode its target from the bytes.
			if got := jumpTarget(t, arch, block, sc.entry); got != sc.stub {
				t.Errorf("the park jumps to +%#x, the stub is at +%#x", got, sc.stub)
			}
			apply(Tail)
			if got := disasm(t, arch, block, sc.entry, 1); got != entry {
				t.Errorf("after the tail the entry is %s, want still %s", got, entry)
			}
			apply(Head)
			if string(block) != string(sc.code[1]) {
				t.Errorf("after park, tail, head the block is not version b's:\n% x\n% x", block[:16], sc.code[1][:16])
			}
		})
	}
	// amd64: a park jump that would cross a qword, and changed bytes before
	// the entry, are refused.
	sc, err := assembleSite("amd64", &Site{Name: "w", Shape: ShapeWide, Versions: []string{"a", "b"}, At: 6})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := planWrite(sc, 1, Park); err == nil || !strings.Contains(err.Error(), "crosses an aligned 8-byte word") {
		t.Errorf("amd64 park at 6: %v", err)
	}
	sc.entry = sc.win + 1 // [9, 14): in one qword, after the first changed byte
	if _, err := planWrite(sc, 1, Head); err == nil || !strings.Contains(err.Error(), "before the entry") {
		t.Errorf("changed bytes before the entry: %v", err)
	}
}

// jumpTarget decodes the direct jump at off (amd64 jmp rel32, ppc64le and
// arm64 b) and returns its target's offset.
func jumpTarget(t *testing.T, arch string, code []byte, off int) int {
	t.Helper()
	switch arch {
	case "amd64":
		inst, err := x86asm.Decode(code[off:], 64)
		if err != nil {
			t.Fatal(err)
		}
		rel, ok := inst.Args[0].(x86asm.Rel)
		if !ok {
			t.Fatalf("not a relative jump: %v", inst)
		}
		return off + inst.Len + int(rel)
	case "ppc64le":
		inst, err := ppc64asm.Decode(code[off:], binary.LittleEndian)
		if err != nil {
			t.Fatal(err)
		}
		rel, ok := inst.Args[0].(ppc64asm.PCRel)
		if !ok {
			t.Fatalf("not a relative branch: %v", inst)
		}
		return off + int(rel)
	default:
		inst, err := arm64asm.Decode(code[off:])
		if err != nil {
			t.Fatal(err)
		}
		rel, ok := inst.Args[0].(arm64asm.PCRel)
		if !ok {
			t.Fatalf("not a relative branch: %v", inst)
		}
		return off + int(rel)
	}
}
