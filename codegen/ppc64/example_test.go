package ppc64_test

import (
	"encoding/binary"
	"fmt"
	"os"

	"github.com/syncore/syncore/codegen/ppc64"
)

// Assemble a function with a guard site, print its listing, and compute the
// word that arms the guard: the preferred nop ori 0,0,0 becomes b slow, both in
// the CMODX patch class, so package patch may store it while other threads run
// the code.
func Example() {
	a := ppc64.New()
	slow := a.NewLabel()
	a.GuardSite("deopt", slow) // ori 0,0,0 until armed, then b slow
	a.Addi(ppc64.R3, ppc64.R3, 1)
	a.Blr()
	a.Bind(slow)
	a.Li(ppc64.R3, -1)
	a.Blr()
	blob, err := a.Finish()
	if err != nil {
		panic(err)
	}
	const base = 0x1000
	ppc64.WriteListing(os.Stdout, blob, base)

	site := blob.Sites[0]
	w, err := ppc64.EncodeB(base+uint64(site.Offset), base+uint64(blob.Offset(slow)), false)
	if err != nil {
		panic(err)
	}
	var word [4]byte
	binary.LittleEndian.PutUint32(word[:], w)
	text, _, _ := ppc64.Decode(word[:], base+uint64(site.Offset))
	fmt.Printf("armed: %08x  %s  patch class: %v\n", w, text, ppc64.IsPatchClass(w))
	// Output:
	//                   ; ---- site "deopt": guard, 4 bytes, changes [+0,+4), in-aligned-qword|word-aligned|patch-class
	//     1000:  00 00 00 60              nop
	//     1004:  01 00 63 38              addi r3,r3,1
	//     1008:  20 00 80 4e              blr
	// L1:
	//     100c:  ff ff 60 38              li r3,-1
	//     1010:  20 00 80 4e              blr
	// armed: 4800000c  b 0x100c  patch class: true
}

// Only b, ba, bl, bla and the preferred nop may be replaced under a running
// thread (Power ISA Book II, "Concurrent Modification and Execution of
// Instructions"); a constant that must change lives in a data slot instead.
func ExampleIsPatchClass() {
	a := ppc64.New()
	a.Nop()
	a.Li(ppc64.R3, 7)
	blob, err := a.Finish()
	if err != nil {
		panic(err)
	}
	for off := 0; off < len(blob.Code); off += 4 {
		w := binary.LittleEndian.Uint32(blob.Code[off:])
		text, _, _ := ppc64.Decode(blob.Code[off:], uint64(off))
		fmt.Printf("%-10s %v\n", text, ppc64.IsPatchClass(w))
	}
	// Output:
	// nop        true
	// li r3,7    false
}
