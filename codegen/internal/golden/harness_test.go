package golden

import "testing"

func TestHexWords(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{hexWords([]byte{0x48, 0x89, 0x0c}), "48 89 0c"},
		{hexWords([]uint32{0xaa0103e0, 0x1f}), "aa0103e0 0000001f"},
		{hexWords([]uint32(nil)), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
}
