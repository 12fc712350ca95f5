package arm64

import (
	"encoding/binary"
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
	a.StpPre(R29, R30, SP, -16)
	a.CmpImm(R0, 0)
	a.Bcond(EQ, slow)
	a.CallSite("callee", fn)
	a.LoadConst(R1, 0x123456789abcdef0)
	a.Add(R0, R0, R1)
	a.IcIvau(R2)
	a.LdpPost(R29, R30, SP, 16)
	a.Ret()
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
		"   10000:  1f 20 03 d5              nop",
		"stp x29, x30, [sp,#-16]!",
		"cmp x0, #0x0",
		"b.eq 0x10034",
		"L2:\n   10034:",
		`; ---- site "callee": branch, 4 bytes`,
		"bl 0x10000",
		"mov x1, #0xdef0",
		"movk x1, #0x9abc, lsl #16",
		"add x0, x0, x1",
		"ic ivau, x2",
		"ldp x29, x30, [sp],#16",
		"ret",
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
	assert.NotContains(t, out, ".+0x", "PC-relative targets are absolute")

	// A word the decoder rejects is printed as bad data, not dropped.
	n := len(bl.Code)
	bl.Code = append(bl.Code, 0, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde)
	sb.Reset()
	require.NoError(t, WriteListing(&sb, bl, 0))
	assert.Contains(t, sb.String(), "00 00 00 00              (bad)")
	assert.Contains(t, sb.String(), "ef be ad de              (bad)")
	assert.Equal(t, 2, strings.Count(sb.String(), "(bad)"), "exactly the two words after +%#x", n)
}

func TestDecode(t *testing.T) {
	text, n, err := Decode([]byte{0xc0, 0x03, 0x5f, 0xd6}, 0)
	require.NoError(t, err)
	assert.Equal(t, "ret", text)
	assert.Equal(t, 4, n)
	text, n, err = Decode([]byte{0x02, 0x00, 0x00, 0x14}, 0x100)
	require.NoError(t, err)
	assert.Equal(t, "b 0x108", text)
	assert.Equal(t, 4, n)
	text, _, err = Decode([]byte{0xff, 0xff, 0xff, 0x17}, 0x100)
	require.NoError(t, err)
	assert.Equal(t, "b 0xfc", text, "backward")
	text, _, err = Decode([]byte{0x41, 0x00, 0x00, 0x54}, 0x100) // b.ne .+8
	require.NoError(t, err)
	assert.Equal(t, "b.ne 0x108", text)
	sym := func(addr uint64) (string, uint64) {
		if addr >= 0x108 && addr < 0x120 {
			return "fib", 0x108
		}
		return "", 0
	}
	text, _, err = DecodeSym(sym)([]byte{0x02, 0x00, 0x00, 0x94}, 0x100) // bl 0x108
	require.NoError(t, err)
	assert.Equal(t, "bl fib", text)
	text, _, err = DecodeSym(sym)([]byte{0x03, 0x00, 0x00, 0x14}, 0x100) // b 0x10c
	require.NoError(t, err)
	assert.Equal(t, "b fib+0x4", text)
	text, _, err = DecodeSym(sym)([]byte{0x08, 0x00, 0x00, 0x14}, 0x100) // b 0x120: no symbol
	require.NoError(t, err)
	assert.Equal(t, "b 0x120", text)
	text, _, err = DecodeSym(sym)([]byte{0x43, 0x00, 0x00, 0xb4}, 0x100) // cbz x3, 0x108
	require.NoError(t, err)
	assert.Equal(t, "cbz x3, fib", text)
	_, _, err = Decode([]byte{0x20, 0x00}, 0)
	assert.Error(t, err, "truncated")
	_, _, err = Decode([]byte{0, 0, 0, 0}, 0)
	assert.Error(t, err, "the zero word (udf #0) is not an instruction here")

	// The SYS forms arm64asm leaves out.
	for _, tc := range []struct {
		w    uint32
		text string
	}{
		{opSYS | icIVAU | 7, "ic ivau, x7"},
		{0xd508751f, "ic iallu"},
		{0xd508711f, "ic ialluis"},
		{0xd508751e, "sys #0, c7, c5, #0, x30"},
		{0xd50b731f, "sys #3, c7, c3, #0"},
	} {
		text, n, err := Decode(binary.LittleEndian.AppendUint32(nil, tc.w), 0)
		require.NoError(t, err, "%08x", tc.w)
		assert.Equal(t, tc.text, text)
		assert.Equal(t, 4, n)
	}
}
