package amd64_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/codegen/amd64"
)

func TestDecode(t *testing.T) {
	text, n, err := amd64.Decode(mustHex("48 8b 04 24 c3"), 0x1000)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	assert.Equal(t, "mov (%rsp),%rax", text)
	text, n, err = amd64.Decode(mustHex("eb fe"), 0x1000)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, "jmp 0x1000", text)
	// Named targets: x/arch's symbol hook; an address with no symbol stays.
	sym := func(addr uint64) (string, uint64) {
		if addr == 0x1000 {
			return "fib", 0x1000
		}
		return "", 0
	}
	text, _, err = amd64.DecodeSym(sym)(mustHex("e8 fb ff ff ff"), 0x1000) // call 0x1000
	require.NoError(t, err)
	assert.Equal(t, "callq fib", text)
	text, _, err = amd64.DecodeSym(sym)(mustHex("e8 00 00 00 00"), 0x1000) // call 0x1005
	require.NoError(t, err)
	assert.Equal(t, "callq 0x1005", text)
	_, _, err = amd64.Decode(mustHex("06"), 0) // push %es: invalid in 64-bit mode
	assert.Error(t, err)
	for _, h := range []string{"48", "48 8b", "e9 00 00"} { // truncated
		_, _, err = amd64.Decode(mustHex(h), 0)
		assert.Error(t, err, h)
	}
}

func TestWriteListing(t *testing.T) {
	a := amd64.New()
	slot := a.NewLabel()
	exit := a.NewLabel()
	a.Push(amd64.RBP)
	a.MovRR(amd64.RBP, amd64.RSP)
	a.LoadRIP(amd64.RAX, slot)
	a.GuardSite("trace", exit)
	a.JumpSite("entry", exit)
	a.Bind(exit)
	a.Pop(amd64.RBP)
	a.Ret()
	a.BindDataSlot(slot, "counter", 42)
	bl, err := a.Finish()
	require.NoError(t, err)
	var sb strings.Builder
	require.NoError(t, amd64.WriteListing(&sb, bl, 0x10000))
	out := sb.String()
	for _, want := range []string{
		"   10000:  55                       push %rbp\n",
		"   10001:  48 89 e5                 mov %rsp,%rbp\n",
		"   10004:  48 8b 05 15 00 00 00     mov 0x15(%rip),%rax\n", // → 0x10020
		`; ---- site "trace": guard, 5 bytes, changes [+0,+5), in-aligned-qword`,
		"nopl (%rax,%rax)",
		`; ---- site "entry": branch, 8 bytes, changes [+0,+5), in-aligned-qword`,
		"   10010:  e9 03 00 00 00           jmpq 0x10018\n",
		"int3",
		"L2:\n   10018:  5d                       pop %rbp\n",
		"ret",
		`; ---- site "counter": data, 8 bytes, changes [+0,+8), data-aligned-8`,
		"L1:\n   10020:  2a 00 00 00 00 00 00 00  .quad 0x2a\n",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "(bad)")
	t.Log("\n" + out)
}
