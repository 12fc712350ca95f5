package ppc64

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListing(t *testing.T) {
	a := New()
	fn, slow := a.NewLabel(), a.NewLabel()
	a.Bind(fn)
	a.GuardSite("trace", slow)
	a.Cmpdi(CR0, R3, 0)
	a.Bc(EQ, slow)
	a.CallSite("callee", fn)
	a.LoadConst(R4, 0x123456789abcdef0)
	a.Add(R3, R3, R4)
	a.Blr()
	a.Bind(slow)
	a.JumpSite("tail", fn)
	a.DataSlot("counter", 0xfeedface)
	bl, err := a.Finish()
	require.NoError(t, err)

	var sb strings.Builder
	require.NoError(t, WriteListing(&sb, bl, 0x10000))
	out := sb.String()
	for _, want := range []string{
		`; ---- site "trace": guard, 4 bytes, changes [+0,+4), in-aligned-qword|word-aligned|patch-class`,
		"   10000:  00 00 00 60",
		"nop",
		"cmpdi r3,0",
		"beq 0x",
		`; ---- site "callee": branch, 4 bytes`,
		"bl 0x10000",
		"lis r4,4660",
		"rldicr r4,r4,32,31", // sldi r4,r4,32
		"add r3,r3,r4",
		"blr",
		`; ---- site "tail": branch`,
		"b 0x10000",
		`; ---- site "counter": data, 8 bytes, changes [+0,+8), data-aligned-8`,
		".quad 0xfeedface",
		"L1:",
		"L2:",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "(bad)")
	assert.NotContains(t, out, ".long")

	// A word the decoder rejects is printed as bad data, not dropped.
	bl.Code = append(bl.Code, 0, 0, 0, 0, 1, 0, 0, 0)
	sb.Reset()
	require.NoError(t, WriteListing(&sb, bl, 0))
	assert.Contains(t, sb.String(), "38:  00 00 00 00              (bad)")
	assert.Contains(t, sb.String(), "3c:  01 00 00 00              (bad)")
}

func TestDecode(t *testing.T) {
	text, n, err := Decode([]byte{0x20, 0x00, 0x80, 0x4e}, 0)
	require.NoError(t, err)
	assert.Equal(t, "blr", text)
	assert.Equal(t, 4, n)
	text, n, err = Decode([]byte{0x08, 0x00, 0x00, 0x48}, 0x100)
	require.NoError(t, err)
	assert.Equal(t, "b 0x108", text)
	assert.Equal(t, 4, n)
	sym := func(addr uint64) (string, uint64) {
		if addr >= 0x108 && addr < 0x120 {
			return "fib", 0x108
		}
		return "", 0
	}
	text, _, err = DecodeSym(sym)([]byte{0x09, 0x00, 0x00, 0x48}, 0x100) // bl 0x108
	require.NoError(t, err)
	assert.Equal(t, "bl fib", text)
	text, _, err = DecodeSym(sym)([]byte{0x0c, 0x00, 0x00, 0x48}, 0x100) // b 0x10c
	require.NoError(t, err)
	assert.Equal(t, "b fib+0x4", text)
	text, _, err = DecodeSym(sym)([]byte{0x20, 0x00, 0x00, 0x48}, 0x100) // b 0x120: no symbol
	require.NoError(t, err)
	assert.Equal(t, "b 0x120", text)
	_, _, err = Decode([]byte{0x20, 0x00}, 0)
	assert.Error(t, err, "truncated")
	_, _, err = Decode([]byte{0, 0, 0, 0}, 0)
	assert.Error(t, err, "the zero word decodes only as .long")
}
