package patch

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/arch/arm64/arm64asm"

	"github.com/syncore/syncore/codegen"
	a64 "github.com/syncore/syncore/codegen/arm64"
	"github.com/syncore/syncore/examples"
	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/jit/jasm"
)

// TestISABytesFor: each ISA the runtime runs has its byte builders, picked
// once by New; an ISA without them is refused up front (jit.ErrUnsupported),
// not at the first patch.
func TestISABytesFor(t *testing.T) {
	for arch, want := range map[jit.Arch]isaBytes{jit.ArchAMD64: amd64Bytes{}, jit.ArchPPC64LE: ppc64leBytes{}, jit.ArchARM64: arm64Bytes{}} {
		got, err := isaBytesFor(arch)
		require.NoError(t, err, arch)
		assert.Equal(t, want, got, arch)
	}
	_, err := isaBytesFor("riscv64")
	assert.ErrorIs(t, err, jit.ErrUnsupported)
	// Only amd64 has a multi-phase protocol; ppc64le and arm64 code never
	// parks.
	assert.True(t, amd64Bytes{}.selfLoop())
	assert.False(t, ppc64leBytes{}.selfLoop())
	assert.False(t, arm64Bytes{}.selfLoop())
	assert.PanicsWithValue(t, "BUG: a self-loop park on arm64", func() { arm64Bytes{}.parkHead(nil, nil) })
	assert.PanicsWithValue(t, "BUG: a self-loop park on ppc64le", func() { ppc64leBytes{}.parkHead(nil, nil) })
	// Only ppc64le code addresses data slots from the entry program's blob
	// (callCtx.base); amd64 (RIP-relative) and arm64 (LDR literal) read
	// their own.
	assert.False(t, amd64Bytes{}.entryData())
	assert.True(t, ppc64leBytes{}.entryData())
	assert.False(t, arm64Bytes{}.entryData())
}

// compileExample compiles an example program for arch on any host.
func compileExample(t *testing.T, name string, arch jit.Arch) *jit.Code {
	t.Helper()
	src, err := examples.Source(name)
	require.NoError(t, err)
	p, err := jasm.Parse(name, src)
	require.NoError(t, err)
	code, err := jit.Compile(p, jit.CompileOptions{Arch: arch})
	require.NoError(t, err)
	return code
}

// siteOf returns the machine-level site called name of code.
func siteOf(t *testing.T, code *jit.Code, name string) codegen.Site {
	t.Helper()
	i, ok := code.Program.Site(name)
	require.True(t, ok, name)
	require.True(t, code.Sites[i].Present, name)
	return code.Sites[i].Site
}

// decodeA64 decodes one little-endian A64 word, failing on anything the
// oracle does not know.
func decodeA64(t *testing.T, b []byte) arm64asm.Inst {
	t.Helper()
	require.Len(t, b, 4)
	inst, err := arm64asm.Decode(b)
	require.NoError(t, err, "% x", b)
	return inst
}

// TestARM64SiteBytes checks, on any host, the bytes arm64Bytes writes into
// the sites of the examples compiled for arm64 (addresses are offsets in
// the blob, as in the listing docs/protocols.md shows): the bytes the
// assembler emitted are the ones the patcher would write for the initial
// state, every word written is in the Arm ARM B2.2.5 set (decoded by
// golang.org/x/arch as B, BL or NOP), and a branch out of range or to a
// misaligned address is an error, not a word.
func TestARM64SiteBytes(t *testing.T) {
	t.Run("pcall", func(t *testing.T) {
		code := compileExample(t, "pcall.jasm", jit.ArchARM64)
		c := siteOf(t, code, "op")
		require.Equal(t, codegen.SiteBranch, c.Kind)
		require.Equal(t, 4, c.Size)
		require.Equal(t, 4, c.ChangeLen)
		require.Zero(t, c.Offset%4)
		assert.Equal(t, PatchClass, NaturalProtocol(c), "arm64 words take the single-word protocol")
		double, _ := code.Program.Func("double")
		square, _ := code.Program.Func("square")
		from := uint64(c.Offset)
		was := code.Blob.Code[c.Offset : c.Offset+4]

		b, err := arm64Branch(nil, from, uint64(code.Entries[double]), true)
		require.NoError(t, err)
		assert.Equal(t, was, b, "the assembler's bl double is what the patcher writes for it")
		assert.Equal(t, []byte{0xd4, 0xff, 0xff, 0x97}, b, "docs/protocols.md, arm64: bl double")

		b, err = arm64Branch(nil, from, uint64(code.Entries[square]), true)
		require.NoError(t, err)
		assert.Equal(t, []byte{0xe0, 0xff, 0xff, 0x97}, b, "docs/protocols.md, arm64: bl square")
		inst := decodeA64(t, b)
		assert.Equal(t, arm64asm.BL, inst.Op)
		w := binary.LittleEndian.Uint32(b)
		assert.True(t, a64.IsPatchClass(w))
		to, link, ok := a64.BranchTarget(w, from)
		assert.True(t, ok && link)
		assert.EqualValues(t, code.Entries[square], to)
	})

	t.Run("guard", func(t *testing.T) {
		code := compileExample(t, "guard.jasm", jit.ArchARM64)
		c := siteOf(t, code, "slow")
		require.Equal(t, codegen.SiteGuard, c.Kind)
		require.Equal(t, 4, c.ChangeLen)
		assert.Equal(t, PatchClass, NaturalProtocol(c))
		from := uint64(c.Offset)
		label := code.Blob.Offset(c.Target)
		require.Positive(t, label)
		was := code.Blob.Code[c.Offset : c.Offset+4]

		nop := binary.LittleEndian.AppendUint32(nil, a64.NopWord)
		assert.Equal(t, was, nop, "a guard starts disarmed: NOP")
		assert.Equal(t, []byte{0x1f, 0x20, 0x03, 0xd5}, nop)
		assert.Equal(t, arm64asm.NOP, decodeA64(t, nop).Op)

		b, err := arm64Branch(nil, from, uint64(label), false)
		require.NoError(t, err)
		assert.Equal(t, []byte{0x03, 0x00, 0x00, 0x14}, b, "docs/protocols.md, arm64: b slowpath")
		assert.Equal(t, arm64asm.B, decodeA64(t, b).Op)
		to, link, ok := a64.BranchTarget(binary.LittleEndian.Uint32(b), from)
		assert.True(t, ok)
		assert.False(t, link, "a guard jumps, it does not call")
		assert.EqualValues(t, label, to)
	})

	t.Run("pconst", func(t *testing.T) {
		code := compileExample(t, "pconst.jasm", jit.ArchARM64)
		c := siteOf(t, code, "scale")
		require.Equal(t, codegen.SiteData, c.Kind)
		require.Zero(t, c.Offset%8, "one aligned 8-byte slot")
		assert.Equal(t, DataSlot, NaturalProtocol(c))
		assert.Equal(t, code.Blob.Code[c.Offset:c.Offset+8], dataBytes(nil, 3))
		_, err := jit.Compile(code.Program, jit.CompileOptions{Arch: jit.ArchARM64, PConst: jit.PConstCode})
		assert.ErrorIs(t, err, jit.ErrCompile, "no immediate is in the B2.2.5 set: pconst is data only")
	})

	t.Run("out of reach", func(t *testing.T) {
		const at = 1 << 30
		for _, tc := range []struct {
			to   uint64
			want error
		}{
			{at + 1<<27 - 4, nil},
			{at - 1<<27, nil},
			{at + 1<<27, codegen.ErrOutOfRange},
			{at - 1<<27 - 4, codegen.ErrOutOfRange},
			{at + 2, codegen.ErrBadOperand},
		} {
			for _, link := range []bool{false, true} {
				dst := []byte{0xaa}
				b, err := arm64Branch(dst, at, tc.to, link)
				if tc.want != nil {
					assert.ErrorIs(t, err, tc.want, "%#x", tc.to)
					assert.Equal(t, []byte{0xaa}, b, "nothing appended on an error")
					continue
				}
				require.NoError(t, err, "%#x", tc.to)
				require.Len(t, b, 5)
				inst := decodeA64(t, b[1:])
				assert.Equal(t, map[bool]arm64asm.Op{false: arm64asm.B, true: arm64asm.BL}[link], inst.Op)
				to, _, _ := a64.BranchTarget(binary.LittleEndian.Uint32(b[1:]), at)
				assert.Equal(t, tc.to, to)
			}
		}
	})
}

// TestCodeStoresSyncTheICache: every store of instruction bytes is followed
// by the writer's cache maintenance (jit.SyncICache: on arm64 DC CVAU,
// DSB ISH, IC IVAU, DSB ISH, ISB; on ppc64le dcbst, sync, icbi, sync,
// isync) over the word it wrote, in the block it wrote; a data slot's store
// is not. This is what can be checked of that step anywhere: qemu-user
// keeps instruction caches coherent with data writes, so under emulation a
// patch without the maintenance is seen at once and no stress run fails.
func TestCodeStoresSyncTheICache(t *testing.T) {
	word, ok := map[jit.Arch]int{jit.ArchAMD64: 8, jit.ArchPPC64LE: 4, jit.ArchARM64: 4}[host()]
	require.True(t, ok, "the code store size of %s", host())
	type maint struct {
		rx     uintptr
		off, n int
	}
	var got []maint
	syncICache = func(b jit.Block, off, n int) {
		got = append(got, maint{b.RX, off, n})
		jit.SyncICache(b, off, n)
	}
	defer func() { syncICache = jit.SyncICache }()

	prog, p := setup(t, jit.Options{}, Options{})
	rx := prog.Block().RX
	covers := func(s *Site, n int) []maint {
		c := s.Code().Site
		at := c.Offset + c.Change
		return []maint{{rx, at &^ (n - 1), n}}
	}
	c, err := p.Site(prog, "c")
	require.NoError(t, err)
	g, err := p.Site(prog, "g")
	require.NoError(t, err)
	k, err := p.Site(prog, "k")
	require.NoError(t, err)
	two, _ := prog.Jasm().Func("two")

	got = nil
	require.NoError(t, c.Retarget(two))
	assert.Equal(t, covers(c, word), got, "a call site: one word, then its maintenance")
	assert.EqualValues(t, 2, call(t, prog, "call"))

	got = nil
	require.NoError(t, g.Arm())
	assert.Equal(t, covers(g, word), got, "a guard: one word, then its maintenance")
	assert.EqualValues(t, 20, call(t, prog, "guarded"))

	got = nil
	require.NoError(t, k.SetConst(11))
	assert.Empty(t, got, "a data slot is data: no instruction-cache maintenance")
	assert.EqualValues(t, 11, call(t, prog, "konst"))

	// The Unsafe control writes byte by byte, each followed by its own
	// maintenance: what it gets wrong is the torn word, not the caches.
	pu, err := New(prog.Runtime(), Options{Protocol: Unsafe, UnsafePause: 1})
	require.NoError(t, err)
	cu, err := pu.Site(prog, "c")
	require.NoError(t, err)
	one, _ := prog.Jasm().Func("one")
	got = nil
	require.NoError(t, cu.Retarget(one))
	cc := cu.Code().Site
	var want []maint
	for i := range cc.ChangeLen {
		want = append(want, maint{rx, cc.Offset + cc.Change + i, 1})
	}
	assert.Equal(t, want, got)
	assert.EqualValues(t, 1, call(t, prog, "call"))
}
