package jit

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit/jasm"
)

// mapping returns the permission string of the /proc/self/maps line that
// contains addr ("" when unmapped).
func mapping(t *testing.T, addr uintptr) string {
	perms, _, _ := mappingLine(t, addr)
	return perms
}

// mappingLine returns the permissions and the range of the /proc/self/maps
// line that contains addr.
func mappingLine(t *testing.T, addr uintptr) (perms string, lo, hi uintptr) {
	f, err := os.Open("/proc/self/maps")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "%x-%x %s", &lo, &hi, &perms); err == nil && addr >= lo && addr < hi {
			return perms, lo, hi
		}
	}
	return "", 0, 0
}

func TestDualHeapIsWXorX(t *testing.T) {
	h := newHeap(HeapOptions{}, HeapDual)
	defer h.Close()
	b, err := h.Alloc(100)
	require.NoError(t, err)
	rw := uintptr(unsafe.Pointer(&b.RW[0]))
	assert.NotEqual(t, rw, b.RX, "two views")
	assert.Equal(t, "rw-s", mapping(t, rw), "the RW view is not executable")
	assert.Equal(t, "r-xs", mapping(t, b.RX), "the RX view is not writable")
	assert.Zero(t, b.RX%FuncAlign)

	r := newHeap(HeapOptions{}, HeapRWX)
	defer r.Close()
	b, err = r.Alloc(100)
	require.NoError(t, err)
	assert.Equal(t, uintptr(unsafe.Pointer(&b.RW[0])), b.RX, "one view")
	perms, lo, hi := mappingLine(t, b.RX)
	if chunk := uintptr(r.opts.ChunkBytes); Emulated() && (lo != b.RX || hi != b.RX+chunk) {
		// qemu-user maps guest memory without PROT_EXEC on the host, where
		// the chunk's mapping can merge with an adjacent rw- one; its
		// /proc/self/maps then shows the merged line with the neighbour's
		// permissions (about one emulated run in 25).
		t.Logf("emulated: the RWX chunk at %#x is reported merged into %#x-%#x %s", b.RX, lo, hi, perms)
	} else {
		assert.Equal(t, "rwxp", perms)
	}
}

func TestHeapAllocAlignsGrowsAndFills(t *testing.T) {
	h := newHeap(HeapOptions{ChunkBytes: 4096, MaxBytes: 3 * 4096}, HeapDual)
	defer h.Close()
	var last uintptr
	for i := range 64 * 3 { // 3 chunks of 64 blocks of 64 bytes
		b, err := h.Alloc(1 + i%64)
		require.NoError(t, err, "block %d", i)
		assert.Zero(t, b.RX%FuncAlign)
		assert.NotEqual(t, last, b.RX)
		last = b.RX
		b.RW[0] = byte(i) // writable
	}
	_, err := h.Alloc(1)
	assert.ErrorIs(t, err, ErrHeapFull)
	_, err = h.Alloc(5 * 4096)
	assert.ErrorIs(t, err, ErrHeapFull)
	_, err = h.Alloc(0)
	assert.Error(t, err)
}

func TestHeapCloseUnmaps(t *testing.T) {
	h := newHeap(HeapOptions{}, HeapDual)
	b, err := h.Alloc(64)
	require.NoError(t, err)
	rx, rw := b.RX, uintptr(unsafe.Pointer(&b.RW[0]))
	require.NoError(t, h.Close())
	assert.Empty(t, mapping(t, rx))
	assert.Empty(t, mapping(t, rw))
	_, err = h.Alloc(64)
	assert.ErrorIs(t, err, ErrHeapClosed)
	assert.NoError(t, h.Close(), "closing twice is harmless")
}

// TestCoherenceProbe: the dual mapping is coherent natively; under qemu-user
// code written through the alias is never seen, and the probe says so.
func TestCoherenceProbe(t *testing.T) {
	pool := &stackPool{budget: 64 << 10, rd: &readers{}}
	for _, mode := range []HeapMode{HeapDual, HeapRWX} {
		h := newHeap(HeapOptions{}, mode)
		res, err := probeHeap(h, pool)
		require.NoError(t, err)
		h.Close()
		t.Logf("%v: %+v", mode, res)
		require.True(t, res.Ran)
		want := mode == HeapRWX || !Emulated()
		assert.Equal(t, want, res.Coherent, "%v (emulated=%v): %s", mode, Emulated(), res.Detail)
	}
}

func TestHeapFreeReusesAndTraps(t *testing.T) {
	h := newHeap(HeapOptions{ChunkBytes: 4096, MaxBytes: 4096}, HeapDual)
	defer h.Close()
	a, err := h.Alloc(100)
	require.NoError(t, err)
	b, err := h.Alloc(100)
	require.NoError(t, err)
	copy(a.RW, []byte{1, 2, 3})
	require.NoError(t, h.Free(a))
	assert.NotEqual(t, byte(1), a.RW[0], "freed code is overwritten with traps")
	assert.Error(t, h.Free(a), "double free")
	assert.Error(t, h.Free(Block{RW: make([]byte, 8), RX: 0x1000}), "not in this heap")
	c, err := h.Alloc(64)
	require.NoError(t, err)
	assert.Equal(t, a.RX, c.RX, "the freed block is reused")
	// A heap of one chunk stays usable through many alloc/free cycles.
	for range 1000 {
		d, err := h.Alloc(200)
		require.NoError(t, err)
		require.NoError(t, h.Free(d))
	}
	_ = b
}

// BenchmarkLoad measures what Runtime.Load adds to compiling: a block from
// the heap, the copy of the code, the barrier and the Program and its Funcs
// (the code is compiled once, outside the loop), for one function of 5 002
// instructions and for 201 small functions. Every 64 MiB the runtime is
// replaced outside the timed region (programs are not closed).
func BenchmarkLoad(b *testing.B) {
	var straight, chain strings.Builder
	straight.WriteString("func main 1\n arg 0\n")
	for i := range 2500 {
		fmt.Fprintf(&straight, " push %d\n add\n", i)
	}
	straight.WriteString(" ret\nend\n")
	for k := range 200 {
		fmt.Fprintf(&chain, "func f%d 1\n arg 0\n push %d\n add\n", k, k)
		if k < 199 {
			fmt.Fprintf(&chain, " arg 0\n call f%d\n add\n", k+1)
		}
		chain.WriteString(" ret\nend\n")
	}
	chain.WriteString("func main 1\n arg 0\n call f0\n ret\nend\n")
	for _, w := range []struct{ name, src string }{{"straight5002", straight.String()}, {"funcs200", chain.String()}} {
		b.Run(w.name, func(b *testing.B) {
			rt, err := New(Options{})
			if err != nil {
				b.Skip(err)
			}
			defer func() { rt.Close() }()
			p, err := jasm.Parse(w.name, []byte(w.src))
			require.NoError(b, err)
			code, err := Compile(p, CompileOptions{Arch: rt.Info().Arch})
			require.NoError(b, err)
			used := 0
			b.ReportAllocs()
			for b.Loop() {
				prog, err := rt.load(code)
				if err != nil {
					b.Fatal(err)
				}
				if used += len(prog.Block().RW); used > 64<<20 {
					b.StopTimer()
					rt.Close()
					if rt, err = New(Options{}); err != nil {
						b.Fatal(err)
					}
					used = 0
					b.StartTimer()
				}
			}
		})
	}
}
