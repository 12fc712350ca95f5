package codegen_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/amd64"
)

// An ISA assembler embeds a [codegen.Buffer]: labels may be used before they
// are bound, Finish picks each branch's form (short when its label is in
// reach, else long) and returns the code with its patch sites at their final
// offsets.
func Example() {
	a := amd64.New()
	near, far, callee := a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.Jmp(near) // in reach of rel8: stays 2 bytes
	a.Jmp(far)  // 200 bytes away: grows to 5 bytes (E9 rel32)
	a.Bind(near)
	a.CallSite("hot", callee) // a patch site: an aligned qword
	a.Emit(bytes.Repeat([]byte{0x90}, 200)...)
	a.Bind(far)
	a.Bind(callee)
	a.Ret()

	blob, err := a.Finish()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("code bytes:", len(blob.Code))
	fmt.Println("near at", blob.Offset(near), "far at", blob.Offset(far))
	for _, s := range blob.Sites {
		fmt.Printf("site %q: %s at %d, changes [+%d,+%d), %s\n",
			s.Name, s.Kind, s.Offset, s.Change, s.Change+s.ChangeLen, s.Guarantee)
	}
	// Output:
	// code bytes: 217
	// near at 7 far at 216
	// site "hot": branch at 8, changes [+3,+8), in-aligned-qword
}

// Emitting never fails: the first mistake is kept and returned by Finish,
// with the offset of the instruction that caused it.
func ExampleBuffer_Finish_undefinedLabel() {
	a := amd64.New()
	nowhere := a.NewLabel()
	a.Jmp(nowhere) // never bound
	a.Ret()
	_, err := a.Finish()
	fmt.Println(errors.Is(err, codegen.ErrUndefinedLabel))
	fmt.Println(err)
	// Output:
	// true
	// amd64: reference to label 1 at +0x0: undefined label
}
