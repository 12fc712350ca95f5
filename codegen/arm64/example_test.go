package arm64_test

import (
	"encoding/binary"
	"fmt"
	"os"

	"github.com/syncore/syncore/codegen/arm64"
)

// Assemble a function with a guard site and a data slot, print its listing,
// and compute the word that arms the guard: NOP becomes B slow, both in the
// set Arm ARM B2.2.5 allows to be swapped while other threads run the code,
// so package patch may store it with one aligned 32-bit store.
func Example() {
	a := arm64.New()
	slow, limit := a.NewLabel(), a.NewLabel()
	a.GuardSite("deopt", slow) // NOP until armed, then B slow
	a.LdrLit(arm64.R1, limit)  // a constant a patcher may change: data, not code
	a.Cmp(arm64.R0, arm64.R1)
	a.Bcond(arm64.HS, slow)
	a.AddImm(arm64.R0, arm64.R0, 1)
	a.Ret()
	a.Bind(slow)
	a.LoadConst(arm64.R0, -1)
	a.Ret()
	a.BindDataSlot(limit, "limit", 1000)
	blob, err := a.Finish()
	if err != nil {
		panic(err)
	}
	const base = 0x1000
	arm64.WriteListing(os.Stdout, blob, base)

	site := blob.Sites[0]
	w, err := arm64.EncodeB(base+uint64(site.Offset), base+uint64(blob.Offset(slow)), false)
	if err != nil {
		panic(err)
	}
	var word [4]byte
	binary.LittleEndian.PutUint32(word[:], w)
	text, _, _ := arm64.Decode(word[:], base+uint64(site.Offset))
	fmt.Printf("armed: %08x  %s  patch class: %v\n", w, text, arm64.IsPatchClass(w))
	// Output:
	//                   ; ---- site "deopt": guard, 4 bytes, changes [+0,+4), in-aligned-qword|word-aligned|patch-class
	//     1000:  1f 20 03 d5              nop
	//     1004:  e1 00 00 58              ldr x1, 0x1020
	//     1008:  1f 00 01 eb              cmp x0, x1
	//     100c:  62 00 00 54              b.cs 0x1018
	//     1010:  00 04 00 91              add x0, x0, #0x1
	//     1014:  c0 03 5f d6              ret
	// L1:
	//     1018:  00 00 80 92              mov x0, #0xffffffffffffffff
	//     101c:  c0 03 5f d6              ret
	//                   ; ---- site "limit": data, 8 bytes, changes [+0,+8), data-aligned-8
	// L2:
	//     1020:  e8 03 00 00 00 00 00 00  .quad 0x3e8
	// armed: 14000006  b 0x1018  patch class: true
}

// Only B, BL, BRK, HVC, ISB, NOP, SMC and SVC may be replaced under a
// running thread (Arm ARM B2.2.5); a constant that must change lives in a
// data slot instead.
func ExampleIsPatchClass() {
	a := arm64.New()
	a.Nop()
	a.Brk(0)
	a.LoadConst(arm64.R3, 7)
	a.Ret()
	blob, err := a.Finish()
	if err != nil {
		panic(err)
	}
	for off := 0; off < len(blob.Code); off += 4 {
		w := binary.LittleEndian.Uint32(blob.Code[off:])
		text, _, _ := arm64.Decode(blob.Code[off:], uint64(off))
		fmt.Printf("%-12s %v\n", text, arm64.IsPatchClass(w))
	}
	// Output:
	// nop          true
	// brk #0x0     true
	// mov x3, #0x7 false
	// ret          false
}
