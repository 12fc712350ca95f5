package litmus

import (
	"errors"
	"testing"
)

// FuzzParse: ParseFile never panics; what it accepts formats to a text that
// parses back to the same test and formats to itself; what it refuses is an
// *Error of a known kind.
func FuzzParse(f *testing.F) {
	f.Add([]byte(mp))
	for _, tt := range All() {
		f.Add([]byte(tt.String()))
	}
	f.Add([]byte("litmus t\nsite f imm a b\nthread 0\n r = exec f\nexists ~(0:r=a \\/ crash)\n"))
	f.Add([]byte("litmus t\ndata x = 0x7fffffffffffffff\nthread 0\n r = load x\nexists (0:r=-9223372036854775808)\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		tt, err := ParseFile("fuzz.litmus", src)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || !(errors.Is(err, ErrSyntax) || errors.Is(err, ErrUndefined) || errors.Is(err, ErrDuplicate)) {
				t.Fatalf("error %v (%T) is not an *Error of a parse kind", err, err)
			}
			return
		}
		roundTrip(t, tt)
	})
}
