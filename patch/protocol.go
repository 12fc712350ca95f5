package patch

import (
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/jit"
)

// store is one write of a protocol: replace the bytes that mask selects in
// the naturally aligned word of size bytes at off (through the RW view)
// with those of bits, in one single-copy-atomic store. The writer is alone
// (Patcher.mu), so the read-modify-write of the rest of the word is safe.
type store struct {
	blk   jit.Block
	off   int // aligned to size
	size  int // 1, 4 or 8
	mask  uint64
	bits  uint64
	code  bool // instruction bytes: the writer's cache maintenance follows
	pause bool // Unsafe: pause before the store
}

func (st store) apply(pause time.Duration) {
	if st.pause {
		spin(pause)
	}
	p := unsafe.Pointer(&st.blk.RW[st.off])
	switch st.size {
	case 8:
		w := (*uint64)(p)
		atomic.StoreUint64(w, atomic.LoadUint64(w)&^st.mask|st.bits)
	case 4:
		w := (*uint32)(p)
		atomic.StoreUint32(w, atomic.LoadUint32(w)&^uint32(st.mask)|uint32(st.bits))
	case 1:
		*(*byte)(p) = byte(st.bits)
	default:
		panic(fmt.Sprintf("BUG: store of %d bytes", st.size))
	}
	if st.code {
		jit.SyncICache(st.blk, st.off, st.size)
	}
}

// spin waits d without sleeping (a sleep would let the window close).
func spin(d time.Duration) {
	for t := time.Now(); time.Since(t) < d; {
	}
}

// words splits the bytes data, to be written at block offset start, into
// stores of naturally aligned words of size w.
func words(blk jit.Block, start int, data []byte, w int, code bool) []store {
	var out []store
	for i := 0; i < len(data); {
		at := start + i
		base := at &^ (w - 1)
		st := store{blk: blk, off: base, size: w, code: code}
		for ; i < len(data) && start+i < base+w; i++ {
			shift := uint(start+i-base) * 8
			st.mask |= 0xff << shift
			st.bits |= uint64(data[i]) << shift
		}
		out = append(out, st)
	}
	return out
}

// plan returns the phases (stores followed by one barrier each) that
// change the site's bytes to nb with the site's protocol.
func (s *Site) plan(nb []byte) [][]store {
	c := s.code.Site
	blk := s.prog.Block()
	start := c.Offset + c.Change
	code := c.Kind != dataKind
	switch s.proto {
	case AtomicSlot, DataSlot:
		return [][]store{one(words(blk, start, nb, 8, code))}
	case PatchClass:
		return [][]store{one(words(blk, start, nb, 4, code))}
	case SelfLoop:
		head := s.parkHead()
		h := len(head)
		// 1: park arriving threads; 2: write the tail behind the parked
		// head; 3: the new head. A barrier after each.
		return [][]store{
			one(words(blk, c.Offset, head, 8, true)),
			words(blk, start+h, nb[h:], 8, true),
			one(words(blk, c.Offset, nb[:h], 8, true)),
		}
	case Unsafe:
		sts := words(blk, start, nb, 1, code)
		for i := range sts {
			sts[i].pause = i > 0
		}
		return [][]store{sts}
	case Straddle:
		w := 8
		if c.Kind == dataKind {
			w = 4 // a data slot in two halves
		}
		return [][]store{words(blk, start, nb, w, code)}
	}
	panic(fmt.Sprintf("BUG: plan for protocol %v", s.proto))
}

// one checks that a protocol that promises a single store got one.
func one(sts []store) []store {
	if len(sts) != 1 {
		panic(fmt.Sprintf("BUG: %d stores where the site's guarantee promises one", len(sts)))
	}
	return sts
}

const dataKind = codegen.SiteData

// callBytes returns the new bytes of a pcall site that calls the code at to.
func (s *Site) callBytes(to uintptr) ([]byte, error) {
	switch s.p.arch {
	case jit.ArchAMD64:
		return s.amd64CallBytes(to)
	case jit.ArchPPC64LE:
		return s.ppc64CallBytes(to)
	}
	return nil, fmt.Errorf("patch: no call encoding for %s", s.p.arch)
}

// guardBytes returns the new bytes of a guard site: a jump to its label
// when armed, the canonical nop of the same size when not.
func (s *Site) guardBytes(armed bool) ([]byte, error) {
	to, err := s.targetRX()
	if err != nil {
		return nil, err
	}
	switch s.p.arch {
	case jit.ArchAMD64:
		return s.amd64GuardBytes(armed, to)
	case jit.ArchPPC64LE:
		return s.ppc64GuardBytes(armed, to)
	}
	return nil, fmt.Errorf("patch: no guard encoding for %s", s.p.arch)
}
