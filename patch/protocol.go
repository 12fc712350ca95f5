package patch

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/patch/internal/spin"
)

// store is one write of a protocol: replace the bytes that mask selects in
// the naturally aligned word of size bytes at offset off of the site's
// block (through the RW view) with those of bits, in one single-copy-atomic
// store. The writer is alone (the runtime's writer lock, whichever Patcher
// writes), so the read-modify-write of the rest of the word is safe.
type store struct {
	s     *Site
	off   int32 // aligned to size
	size  uint8 // 1, 4 or 8
	code  bool  // instruction bytes: the writer's cache maintenance follows
	pause bool  // Unsafe: pause before the store
	mask  uint64
	bits  uint64
}

// storeHook, when set (by tests), sees every 4- and 8-byte store between
// its read and its write.
var storeHook func(st store)

// syncICache is the writer's cache maintenance after a store of
// instruction bytes: jit.SyncICache (ppc64le: dcbst; sync; icbi; sync;
// isync; arm64: DC CVAU; DSB ISH; IC IVAU; DSB ISH; ISB; amd64: nothing).
// Tests wrap it to see that every code store is followed by it, for the
// word it wrote: qemu-user keeps instruction caches coherent with data
// writes, so no emulated run fails when it is left out.
var syncICache = jit.SyncICache

func (st store) apply(pause time.Duration) {
	if st.pause {
		spin.For(pause)
	}
	blk := st.s.prog.Block()
	p := unsafe.Pointer(&blk.RW[st.off])
	switch st.size {
	case 8:
		w := (*uint64)(p)
		v := atomic.LoadUint64(w)&^st.mask | st.bits
		if storeHook != nil {
			storeHook(st) // inside the read-modify-write: what the writer lock protects
		}
		atomic.StoreUint64(w, v)
	case 4:
		w := (*uint32)(p)
		v := atomic.LoadUint32(w)&^uint32(st.mask) | uint32(st.bits)
		if storeHook != nil {
			storeHook(st)
		}
		atomic.StoreUint32(w, v)
	case 1:
		*(*byte)(p) = byte(st.bits)
	default:
		panic(fmt.Sprintf("BUG: store of %d bytes", st.size))
	}
	if st.code {
		syncICache(blk, int(st.off), int(st.size))
	}
}

// words appends to out the stores of naturally aligned words of size w
// that write the bytes data at offset start of site s's block.
func words(out []store, s *Site, start int, data []byte, w int, code bool) []store {
	for i := 0; i < len(data); {
		at := start + i
		base := at &^ (w - 1)
		st := store{s: s, off: int32(base), size: uint8(w), code: code}
		for ; i < len(data) && start+i < base+w; i++ {
			shift := uint(start+i-base) * 8
			st.mask |= 0xff << shift
			st.bits |= uint64(data[i]) << shift
		}
		out = append(out, st)
	}
	return out
}

// maxPhases is the most phases a protocol has (SelfLoop).
const maxPhases = 3

// plan appends to phases[k] the stores of phase k (each phase is followed
// by one barrier) that change the site's bytes to nb with its protocol, and
// returns phases (by value, so that small batches keep their stores on the
// caller's stack).
func (o *op) plan(phases [maxPhases][]store, nb []byte) [maxPhases][]store {
	s := o.s
	c := s.code.Site
	start := c.Offset + c.Change
	code := c.Kind != dataKind
	switch s.proto {
	case AtomicSlot, DataSlot:
		phases[0] = one(phases[0], words(phases[0], s, start, nb, 8, code))
	case PatchClass:
		phases[0] = one(phases[0], words(phases[0], s, start, nb, 4, code))
	case SelfLoop:
		// The head parks threads at the site's first byte; the changed
		// bytes may start later (a call slot's rel32 follows a nop). The
		// site's final bytes are its current ones with nb in place.
		var hb [8]byte
		head := s.parkHead(hb[:0])
		h := len(head)
		var fb [16]byte
		final := s.bytes(fb[:0])
		copy(o.prev[:], final[:h]) // the head before the commit
		copy(final[c.Change:], nb)
		o.hlen = copy(o.head[:], final[:h])
		// 1: park arriving threads; 2: write everything behind the parked
		// head; 3: the final head. A barrier after each.
		phases[0] = one(phases[0], words(phases[0], s, c.Offset, head, 8, true))
		phases[1] = words(phases[1], s, c.Offset+h, final[h:], 8, true)
		phases[2] = one(phases[2], words(phases[2], s, c.Offset, final[:h], 8, true))
	case Unsafe:
		n := len(phases[0])
		phases[0] = words(phases[0], s, start, nb, 1, code)
		for i := n + 1; i < len(phases[0]); i++ {
			phases[0][i].pause = true
		}
	case Straddle:
		w := 8
		if c.Kind == dataKind {
			w = 4 // a data slot in two halves
		}
		phases[0] = words(phases[0], s, start, nb, w, code)
	default:
		panic(fmt.Sprintf("BUG: plan for protocol %v", s.proto))
	}
	return phases
}

// one checks that a protocol that promises a single store appended one to
// before.
func one(before, after []store) []store {
	if len(after) != len(before)+1 {
		panic(fmt.Sprintf("BUG: %d stores where the site's guarantee promises one", len(after)-len(before)))
	}
	return after
}

const dataKind = codegen.SiteData

// isaBytes builds, for one ISA, the bytes that a protocol writes into a
// site, and says what else about the ISA's code a protocol depends on. A
// Patcher picks its implementation once, when it is made (isaBytesFor);
// each lives in its ISA's file (amd64_protocol.go, ppc64le_protocol.go,
// arm64_protocol.go), so a new ISA adds one file and one case in
// isaBytesFor. callBytes, guardBytes and constBytes append to dst the
// site's ChangeLen new bytes for [Change, Change+ChangeLen), or return an
// error; no method stores into the code (the protocols do, under the
// writer lock), and each keeps to its ISA's rule for what may change under
// running threads (see the ISA's file).
type isaBytes interface {
	// callBytes: the bytes of pcall site s once it calls the code at
	// executable address to.
	callBytes(s *Site, dst []byte, to uint64) ([]byte, error)
	// guardBytes: the bytes of guard site s: a jump to its label (at
	// executable address to) when armed, the canonical nop of the same
	// size when not.
	guardBytes(s *Site, dst []byte, armed bool, to uint64) ([]byte, error)
	// constBytes: the bytes of pconst site s once it holds v, whether the
	// constant lives in a data slot or in an instruction's immediate;
	// ErrSiteKind when v or the site's shape has no encoding.
	constBytes(s *Site, dst []byte, v int64) ([]byte, error)
	// selfLoop reports whether the ISA has a multi-phase (self-loop)
	// protocol at all; when it does not, no site may take it and nothing
	// ever parks.
	selfLoop() bool
	// parkHead appends what the self-loop protocol writes over the head of
	// site s (from Offset, in one aligned store) while it changes the
	// rest. Called only when selfLoop is true.
	parkHead(s *Site, dst []byte) []byte
	// entryData reports whether code addresses its data slots from the
	// entry program's blob rather than its own (ppc64le), so that a call
	// into another program may not reach code that reads data slots;
	// amd64 and arm64 code reads them PC-relative, from its own blob.
	entryData() bool
}

// isaBytesFor returns the byte builders of arch.
func isaBytesFor(arch jit.Arch) (isaBytes, error) {
	switch arch {
	case jit.ArchAMD64:
		return amd64Bytes{}, nil
	case jit.ArchPPC64LE:
		return ppc64leBytes{}, nil
	case jit.ArchARM64:
		return arm64Bytes{}, nil
	}
	return nil, fmt.Errorf("patch: no site encodings for %s: %w", arch, jit.ErrUnsupported)
}

// dataBytes appends v as a data slot holds it: a little-endian 8-byte word
// (every ISA here runs little-endian), replaced with one aligned store.
func dataBytes(dst []byte, v int64) []byte {
	return binary.LittleEndian.AppendUint64(dst, uint64(v))
}

// dataSlotConstBytes is the constBytes of an ISA whose only constant that
// may change is a data slot (ppc64le, arm64: no immediate-carrying
// instruction may be replaced while it runs): v as s holds it, or
// ErrSiteKind when s is not a SiteData site.
func dataSlotConstBytes(s *Site, dst []byte, v int64) ([]byte, error) {
	if c := s.code.Site; c.Kind != codegen.SiteData {
		return nil, fmt.Errorf("%w: no constant encoding for a %v site", ErrSiteKind, c.Kind)
	}
	return dataBytes(dst, v), nil
}

// callBytes appends to dst the new bytes of a pcall site that calls the
// code at to.
func (s *Site) callBytes(dst []byte, to uintptr) ([]byte, error) {
	return s.p.isa.callBytes(s, dst, uint64(to))
}

// guardBytes appends to dst the new bytes of a guard site: a jump to its
// label when armed, the canonical nop of the same size when not.
func (s *Site) guardBytes(dst []byte, armed bool) ([]byte, error) {
	to, err := s.targetRX()
	if err != nil {
		return nil, err
	}
	return s.p.isa.guardBytes(s, dst, armed, to)
}

// constBytes appends to dst the new bytes of a pconst site that holds v.
func (s *Site) constBytes(dst []byte, v int64) ([]byte, error) {
	return s.p.isa.constBytes(s, dst, v)
}

// parkHead appends to dst what the self-loop protocol parks threads with
// at the site's head.
func (s *Site) parkHead(dst []byte) []byte { return s.p.isa.parkHead(s, dst) }
