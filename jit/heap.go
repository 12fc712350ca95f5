package jit

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"unsafe"
)

// HeapMode is how the code heap maps its memory.
type HeapMode int

const (
	// HeapAuto (the default) asks for the W^X dual mapping and falls back to
	// RWX when the coherence probe finds that code written through the RW
	// view is not executed through the RX view (as under qemu-user).
	HeapAuto HeapMode = iota
	// HeapDual maps one memfd twice: an RW view for writers and an RX view
	// for execution at the same offsets. No page is ever writable and
	// executable at once, and patching never removes X from running code.
	HeapDual
	// HeapRWX maps anonymous memory readable, writable and executable: an
	// explicit opt-in (the RW and RX views are the same addresses).
	HeapRWX
)

func (m HeapMode) String() string {
	switch m {
	case HeapAuto:
		return "auto"
	case HeapDual:
		return "dual (W^X: memfd mapped RW + RX)"
	case HeapRWX:
		return "rwx (single mapping)"
	}
	return fmt.Sprintf("HeapMode(%d)", int(m))
}

// Heap errors, comparable with errors.Is.
var (
	// ErrHeapFull: an allocation would take the heap past its MaxBytes.
	ErrHeapFull = errors.New("code heap full")
	// ErrHeapClosed: the heap was closed.
	ErrHeapClosed = errors.New("code heap closed")
)

// FuncAlign is the alignment of every allocation: functions start on a
// 64-byte boundary (a cache line on both ISAs), so a patch site's alignment
// within a blob is its alignment in memory.
const FuncAlign = 64

// HeapOptions configures a code heap. The zero value is usable.
type HeapOptions struct {
	Mode       HeapMode // default HeapAuto
	ChunkBytes int      // size of each mapping the heap grows by; default 1 MiB
	MaxBytes   int      // total limit; default 256 MiB
}

// Block is one allocation in the code heap. Write code through RW; execute
// it at RX. RW and RX are the same memory (on a dual-mapped heap, two views
// of it), at the same offset within their chunk.
type Block struct {
	RW []byte  // the writable view
	RX uintptr // the executable address of RW[0]
}

// Addr returns the executable address of byte off of the block.
func (b Block) Addr(off int) uintptr { return b.RX + uintptr(off) }

type chunk struct {
	fd     int    // memfd, -1 for an RWX chunk
	rw, rx []byte // the two views (the same slice for RWX)
	used   int    // bytes handed out from the start (the bump pointer)
	high   int    // the highest used has been: below it, memory may have held code
	free   []span // freed blocks below used, reused first fit
}

// span is a freed region of a chunk, FuncAlign-aligned.
type span struct{ off, size int }

// Heap is an executable-code heap. It is safe for concurrent use.
type Heap struct {
	mu     sync.Mutex
	opts   HeapOptions
	mode   HeapMode // HeapDual or HeapRWX, decided at creation
	chunks []*chunk
	total  int
	closed bool
	// noReuse: freed blocks are never handed out again (the runtime has no
	// serialising barrier to run before code is written into them).
	noReuse bool
}

func newHeap(opts HeapOptions, mode HeapMode) *Heap {
	if opts.ChunkBytes <= 0 {
		opts.ChunkBytes = 1 << 20
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 256 << 20
	}
	pg := os.Getpagesize()
	opts.ChunkBytes = (opts.ChunkBytes + pg - 1) &^ (pg - 1)
	return &Heap{opts: opts, mode: mode}
}

// Mode returns how the heap maps its memory: HeapDual or HeapRWX.
func (h *Heap) Mode() HeapMode { return h.mode }

// Alloc returns a zeroed block of n bytes aligned to [FuncAlign]. It grows
// the heap by a chunk when needed and fails with [ErrHeapFull] past
// MaxBytes.
func (h *Heap) Alloc(n int) (Block, error) {
	b, _, err := h.alloc(n)
	return b, err
}

// alloc is Alloc that also reports whether the block reuses freed memory.
func (h *Heap) alloc(n int) (Block, bool, error) {
	if n <= 0 {
		return Block{}, false, fmt.Errorf("jit: code heap: allocation of %d bytes", n)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return Block{}, false, ErrHeapClosed
	}
	size := (n + FuncAlign - 1) &^ (FuncAlign - 1)
	for _, c := range h.chunks {
		if h.noReuse {
			break
		}
		for i, f := range c.free {
			if f.size >= size {
				if f.size == size {
					c.free = append(c.free[:i], c.free[i+1:]...)
				} else {
					c.free[i] = span{f.off + size, f.size - size}
				}
				b := c.block(f.off, n)
				clear(b.RW) // traps out: the block is zeroed, as a fresh one
				return b, true, nil
			}
		}
	}
	for _, c := range h.chunks {
		if len(c.rw)-c.used >= size {
			reused := c.used < c.high
			b := h.take(c, size, n)
			if reused {
				clear(b.RW)
			}
			return b, reused, nil
		}
	}
	csize := h.opts.ChunkBytes
	if size > csize {
		pg := os.Getpagesize()
		csize = (size + pg - 1) &^ (pg - 1)
	}
	if h.total+csize > h.opts.MaxBytes {
		return Block{}, false, fmt.Errorf("jit: %w: %d bytes wanted, %d of %d in use (HeapOptions.MaxBytes)",
			ErrHeapFull, n, h.total, h.opts.MaxBytes)
	}
	c, err := mapChunk(csize, h.mode)
	if err != nil {
		return Block{}, false, err
	}
	h.chunks = append(h.chunks, c)
	h.total += csize
	return h.take(c, size, n), false, nil
}

func (h *Heap) take(c *chunk, size, n int) Block {
	off := c.used
	c.used += size
	c.high = max(c.high, c.used)
	return c.block(off, n)
}

func (c *chunk) block(off, n int) Block {
	return Block{RW: c.rw[off : off+n : off+n], RX: uintptr(unsafe.Pointer(&c.rx[0])) + uintptr(off)}
}

// Free returns b to the heap for later allocations. No thread may be
// running or about to call code in b: the caller guarantees it (see
// Program.Close). The bytes are overwritten with trapping instructions
// first, so a stale call faults at once instead of running whatever comes
// next. Freeing a block twice, or one this heap did not make, is an error.
func (h *Heap) Free(b Block) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil // everything is unmapped already
	}
	for _, c := range h.chunks {
		base := uintptr(unsafe.Pointer(&c.rx[0]))
		if b.RX < base || b.RX >= base+uintptr(len(c.rx)) {
			continue
		}
		off := int(b.RX - base)
		size := (len(b.RW) + FuncAlign - 1) &^ (FuncAlign - 1)
		if off+size > c.used {
			return fmt.Errorf("jit: code heap: block at %#x freed twice (or never allocated)", b.RX)
		}
		for _, f := range c.free {
			if off < f.off+f.size && f.off < off+size {
				return fmt.Errorf("jit: code heap: block at %#x freed twice", b.RX)
			}
		}
		fillTraps(c.rw[off : off+size])
		SyncICache(c.block(off, size), 0, size)
		c.release(span{off, size}, !h.noReuse)
		return nil
	}
	return fmt.Errorf("jit: code heap: block at %#x is not in this heap", b.RX)
}

// fillTraps fills p with the host's trap instruction (amd64 int3, ppc64le
// trap, arm64 brk #0), so that code running there faults at once.
func fillTraps(p []byte) {
	var pat []byte
	switch runtime.GOARCH {
	case "ppc64le":
		pat = []byte{0x08, 0x00, 0xe0, 0x7f} // tw 31,0,0
	case "arm64":
		pat = []byte{0x00, 0x00, 0x20, 0xd4} // brk #0
	default:
		pat = []byte{0xcc} // int3
	}
	for i := range p {
		p[i] = pat[i%len(pat)]
	}
}

// Close unmaps every chunk. Code in the heap must not be running or called
// afterwards. Closing twice is harmless.
func (h *Heap) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	var errs []error
	for _, c := range h.chunks {
		errs = append(errs, c.unmap())
	}
	h.chunks = nil
	return errors.Join(errs...)
}

// HeapStats is a snapshot of a heap's memory.
type HeapStats struct {
	Mapped int // bytes mapped (chunks)
	InUse  int // bytes in blocks handed out and not freed (FuncAlign-rounded)
	Freed  int // bytes of freed blocks waiting for reuse
}

// Stats reports how much of the heap is in use.
func (h *Heap) Stats() HeapStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	var s HeapStats
	for _, c := range h.chunks {
		s.Mapped += len(c.rw)
		s.InUse += c.used
		for _, f := range c.free {
			s.Freed += f.size
			s.InUse -= f.size
		}
	}
	return s
}

// release adds s to the chunk's free spans, merged with its neighbours, and
// gives a span that ends at the bump pointer back to it: a heap whose
// programs are replaced again and again does not fragment.
func (c *chunk) release(s span, bump bool) {
	i, _ := slices.BinarySearchFunc(c.free, s.off, func(f span, off int) int { return cmp.Compare(f.off, off) })
	c.free = slices.Insert(c.free, i, s)
	if i+1 < len(c.free) && c.free[i].off+c.free[i].size == c.free[i+1].off {
		c.free[i].size += c.free[i+1].size
		c.free = slices.Delete(c.free, i+1, i+2)
	}
	if i > 0 && c.free[i-1].off+c.free[i-1].size == c.free[i].off {
		c.free[i-1].size += c.free[i].size
		c.free = slices.Delete(c.free, i, i+1)
	}
	if last := len(c.free) - 1; bump && c.free[last].off+c.free[last].size == c.used {
		c.used = c.free[last].off
		c.free = c.free[:last]
	}
}
