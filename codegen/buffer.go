package codegen

import (
	"fmt"
	"slices"
)

// Label marks a position in a [Buffer]. Make one with [Buffer.NewLabel], bind
// it once with [Buffer.Bind], and refer to it before or after binding. The zero
// Label is invalid.
type Label int32

type itemKind uint8

const (
	itemRef    itemKind = iota + 1
	itemAlign           // pad to a multiple of n
	itemWindow          // pad so that the next n bytes (from a) lie in one m-aligned block
)

// item is a variable-size element that sits between the fixed bytes, at
// position pos of the fixed byte stream.
type item struct {
	pos   int32
	kind  itemKind
	label Label
	ref   Ref
	a, n  int32 // window start and length, or alignment for itemAlign
	m     int32 // window block size
	size  int32 // size in the current layout
	off   int32 // offset in the current layout
}

// mark is a position in the laid-out code: pos bytes of fixed stream with
// nitems items before it.
type mark struct {
	pos    int32
	nitems int32
}

// Buffer accumulates one blob of machine code. The zero value is not usable;
// call [NewBuffer]. A Buffer is not safe for concurrent use.
type Buffer struct {
	arch   Arch
	code   []byte
	items  []item
	labels []mark // labels[l-1]; nitems < 0 while unbound
	sites  []siteRec
	relocs []relocRec
	err    error
	prefix []int32 // scratch for layout: size of items[0:i]
}

// NewBuffer returns an empty buffer for arch.
func NewBuffer(arch Arch) *Buffer {
	return &Buffer{arch: arch, code: make([]byte, 0, 256)}
}

// Arch returns the ISA the buffer was made for.
func (b *Buffer) Arch() Arch { return b.arch }

// Reset empties the buffer and keeps its storage, so that assembling the next
// blob allocates nothing once the buffer has grown.
func (b *Buffer) Reset() {
	b.code = b.code[:0]
	b.items = b.items[:0]
	b.labels = b.labels[:0]
	b.sites = b.sites[:0]
	b.relocs = b.relocs[:0]
	b.err = nil
}

// Reserve makes room for at least code more fixed bytes, items more
// references and alignments and labels more labels, so that a caller that
// knows roughly how much it will emit (a compiler, from the size of its
// input) grows each slice once instead of by doubling.
func (b *Buffer) Reserve(code, items, labels int) {
	b.code = slices.Grow(b.code, code)
	b.items = slices.Grow(b.items, items)
	b.labels = slices.Grow(b.labels, labels)
}

// Len is the number of fixed bytes emitted so far (the pre-layout offset of
// the next instruction).
func (b *Buffer) Len() int { return len(b.code) }

// Err returns the first error recorded, or nil.
func (b *Buffer) Err() error { return b.err }

// Fail records err for the instruction inst at the current offset unless an
// error is already recorded. Assemblers call it for a caller's mistake; err
// should wrap one of the sentinels.
func (b *Buffer) Fail(inst string, err error) {
	if b.err == nil {
		b.err = &Error{Arch: b.arch.Name(), Offset: len(b.code), Inst: inst, Err: err}
	}
}

// Failf is Fail with a message wrapping sentinel.
func (b *Buffer) Failf(inst string, sentinel error, format string, args ...any) {
	if b.err == nil {
		b.Fail(inst, fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...)))
	}
}

// Grow returns the buffer's byte slice, with room for n more bytes, for an
// encoder to append to; pass the result to [Buffer.Commit].
func (b *Buffer) Grow(n int) []byte {
	if cap(b.code)-len(b.code) < n {
		c := make([]byte, len(b.code), 2*cap(b.code)+n)
		copy(c, b.code)
		b.code = c
	}
	return b.code
}

// Commit stores the slice that an encoder appended to (see [Buffer.Grow]).
func (b *Buffer) Commit(code []byte) { b.code = code }

// Emit appends raw bytes.
func (b *Buffer) Emit(p ...byte) { b.code = append(b.code, p...) }

// Emit32 appends v little-endian (one ppc64 instruction word).
func (b *Buffer) Emit32(v uint32) {
	b.code = append(b.code, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

// Emit64 appends v little-endian.
func (b *Buffer) Emit64(v uint64) {
	b.code = append(b.code, byte(v), byte(v>>8), byte(v>>16), byte(v>>24),
		byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56))
}

// NewLabel returns a new unbound label.
func (b *Buffer) NewLabel() Label {
	b.labels = append(b.labels, mark{nitems: -1})
	return Label(len(b.labels))
}

func (b *Buffer) here() mark { return mark{int32(len(b.code)), int32(len(b.items))} }

// Bind binds l to the current position. Binding a label twice is an error
// ([ErrLabelRebound]).
func (b *Buffer) Bind(l Label) {
	if l <= 0 || int(l) > len(b.labels) {
		b.Failf("bind", ErrBadOperand, "label %d was not made by this buffer", l)
		return
	}
	if b.labels[l-1].nitems >= 0 {
		b.Failf("bind", ErrLabelRebound, "label %d", l)
		return
	}
	b.labels[l-1] = b.here()
}

// Bound reports whether l has been bound.
func (b *Buffer) Bound(l Label) bool {
	return l > 0 && int(l) <= len(b.labels) && b.labels[l-1].nitems >= 0
}

// Ref appends a reference to label l of the given form; its bytes are
// chosen at layout. A non-site short form grows into its long form when the
// label is out of reach.
func (b *Buffer) Ref(r Ref, l Label) {
	if l <= 0 || int(l) > len(b.labels) {
		b.Failf("ref", ErrBadOperand, "label %d was not made by this buffer", l)
		return
	}
	b.items = append(b.items, item{pos: int32(len(b.code)), kind: itemRef, label: l, ref: r})
}

// Align pads with canonical nops to the next multiple of n (a power of two,
// at least the ISA's instruction alignment).
func (b *Buffer) Align(n int) {
	if n <= 0 || n&(n-1) != 0 || n%b.arch.InstAlign() != 0 || n > 1<<16 {
		b.Failf("align", ErrBadOperand, "alignment %d is not a power of two multiple of %d", n, b.arch.InstAlign())
		return
	}
	b.items = append(b.items, item{pos: int32(len(b.code)), kind: itemAlign, n: int32(n)})
}

// AlignWindow pads with canonical nops, as little as needed, so that the n
// bytes starting a bytes after the padding lie inside one naturally aligned
// block of m bytes (m a power of two, n ≤ m). It is how a patch site keeps
// its changed bytes inside one aligned qword (m = 8) for an atomic store.
func (b *Buffer) AlignWindow(a, n, m int) {
	if m <= 0 || m&(m-1) != 0 || n <= 0 || n > m || a < 0 || m%b.arch.InstAlign() != 0 || m > 1<<16 {
		b.Failf("align window", ErrBadOperand, "window of %d bytes at +%d in %d-byte block", n, a, m)
		return
	}
	b.items = append(b.items, item{pos: int32(len(b.code)), kind: itemWindow, a: int32(a), n: int32(n), m: int32(m)})
}

// pad returns the padding an alignment item needs at offset off.
func (it *item) pad(off int32, instAlign int32) int32 {
	switch it.kind {
	case itemAlign:
		return (it.n - off%it.n) % it.n
	case itemWindow:
		x := (off + it.a) % it.m
		if x+it.n <= it.m {
			return 0
		}
		p := it.m - x
		if r := p % instAlign; r != 0 { // keep instructions aligned
			p += instAlign - r
		}
		return p
	}
	return 0
}

// Blob is assembled machine code with its patch sites and relocations at
// final offsets.
type Blob struct {
	Arch   string
	Code   []byte
	Sites  []Site
	Relocs []Reloc
	// Labels holds the final offset of every label, indexed by Label-1
	// (-1 for a label never bound).
	Labels []int
}

// Offset returns the final offset of l, or -1 when l is unbound or unknown.
func (bl *Blob) Offset(l Label) int {
	if l <= 0 || int(l) > len(bl.Labels) {
		return -1
	}
	return bl.Labels[l-1]
}

// Finish lays out the buffer (relaxing references until stable), encodes every
// item and returns the blob. The buffer can be Reset and reused afterwards; the
// blob does not share storage with it.
//
// On an ISA whose instructions are aligned words (InstAlign > 1) it first
// checks that raw bytes emitted through [Buffer.Emit] have not broken the
// instruction stream: the number of fixed bytes and the position of every
// label, site, reference and alignment must be multiples of InstAlign,
// else Finish returns an error matching [ErrBadOperand] that names the
// first position that is not.
func (b *Buffer) Finish() (*Blob, error) {
	if b.err != nil {
		return nil, b.err
	}
	if err := b.checkInstAlign(); err != nil {
		return nil, err
	}
	for i := range b.items {
		it := &b.items[i]
		if it.kind != itemRef {
			continue
		}
		if b.labels[it.label-1].nitems < 0 {
			return nil, &Error{Arch: b.arch.Name(), Offset: int(it.pos), Inst: fmt.Sprintf("reference to label %d", it.label), Err: ErrUndefinedLabel}
		}
		if a := it.ref.Anchor; a != 0 && (int(a) > len(b.labels) || a < 0 || b.labels[a-1].nitems < 0) {
			return nil, &Error{Arch: b.arch.Name(), Offset: int(it.pos), Inst: fmt.Sprintf("anchor label %d", a), Err: ErrUndefinedLabel}
		}
	}
	if err := b.layout(); err != nil {
		return nil, err
	}
	total := len(b.code)
	if n := len(b.items); n > 0 {
		total += int(b.prefix[n])
	}
	out := make([]byte, 0, total)
	pos := int32(0)
	for i := range b.items {
		it := &b.items[i]
		out = append(out, b.code[pos:it.pos]...)
		pos = it.pos
		start := len(out)
		switch it.kind {
		case itemRef:
			out = b.arch.EncodeRef(out, it.ref, int(it.off), b.target(it))
		default:
			out = b.arch.Pad(out, int(it.size))
		}
		if len(out)-start != int(it.size) {
			panic(fmt.Sprintf("BUG: %s item %d encoded %d bytes, layout said %d", b.arch.Name(), i, len(out)-start, it.size))
		}
	}
	out = append(out, b.code[pos:]...)
	bl := &Blob{Arch: b.arch.Name(), Code: out, Labels: make([]int, len(b.labels))}
	for i, m := range b.labels {
		bl.Labels[i] = -1
		if m.nitems >= 0 {
			bl.Labels[i] = b.offsetOf(m)
		}
	}
	for _, s := range b.sites {
		site := s.Site
		site.Offset = b.offsetOf(s.at)
		bl.Sites = append(bl.Sites, site)
	}
	for _, r := range b.relocs {
		rel := r.Reloc
		rel.Offset = b.offsetOf(r.at)
		bl.Relocs = append(bl.Relocs, rel)
	}
	return bl, nil
}

// checkInstAlign returns an error for the first position in the fixed
// byte stream that is not on an instruction boundary (see [Buffer.Finish]).
func (b *Buffer) checkInstAlign() error {
	ia := int32(b.arch.InstAlign())
	if ia <= 1 {
		return nil
	}
	// The first offending position and what sits there: an item, a label
	// or a site (index into b.items, b.labels or b.sites).
	const (
		none = iota
		isItem
		isLabel
		isSite
	)
	at, kind, idx := int32(-1), none, 0
	note := func(pos int32, k, i int) {
		if pos%ia != 0 && (kind == none || pos < at) {
			at, kind, idx = pos, k, i
		}
	}
	for i := range b.items {
		note(b.items[i].pos, isItem, i)
	}
	for i, m := range b.labels {
		if m.nitems >= 0 {
			note(m.pos, isLabel, i)
		}
	}
	for i := range b.sites {
		note(b.sites[i].at.pos, isSite, i)
	}
	var what string
	switch kind {
	case none:
		if n := len(b.code); n%int(ia) != 0 {
			return &Error{Arch: b.arch.Name(), Offset: n, Inst: "finish",
				Err: fmt.Errorf("%w: %d bytes emitted, not a whole number of %d-byte instructions", ErrBadOperand, n, ia)}
		}
		return nil
	case isItem:
		switch it := &b.items[idx]; it.kind {
		case itemRef:
			what = fmt.Sprintf("reference to label %d", it.label)
		case itemAlign:
			what = fmt.Sprintf("align %d", it.n)
		default:
			what = "align window"
		}
	case isLabel:
		what = fmt.Sprintf("label %d", idx+1)
	case isSite:
		what = fmt.Sprintf("site %q", b.sites[idx].Name)
	}
	return &Error{Arch: b.arch.Name(), Offset: int(at), Inst: what,
		Err: fmt.Errorf("%w: not on a %d-byte instruction boundary: raw bytes broke the instruction stream", ErrBadOperand, ia)}
}

// offsetOf returns the final offset of a mark in the current layout.
func (b *Buffer) offsetOf(m mark) int {
	if m.nitems == 0 {
		return int(m.pos)
	}
	return int(m.pos + b.prefix[m.nitems])
}

// target is what a reference item encodes: its label's offset, or the
// label's distance from the reference's anchor.
func (b *Buffer) target(it *item) int {
	to := b.offsetOf(b.labels[it.label-1])
	if a := it.ref.Anchor; a != 0 {
		to -= b.offsetOf(b.labels[a-1])
	}
	return to
}

// layout computes item sizes and offsets, relaxing references until stable.
func (b *Buffer) layout() error {
	n := len(b.items)
	if cap(b.prefix) < n+1 {
		b.prefix = make([]int32, n+1)
	}
	b.prefix = b.prefix[:n+1]
	ia := int32(b.arch.InstAlign())
	for pass := 0; ; pass++ {
		// Sizes and offsets, front to back: an alignment's size depends on
		// the offset reached so far.
		var grown int32
		for i := range b.items {
			it := &b.items[i]
			it.off = it.pos + grown
			if it.kind == itemRef {
				it.size = int32(b.arch.RefSize(it.ref))
			} else {
				it.size = it.pad(it.off, ia)
			}
			grown += it.size
			b.prefix[i+1] = grown
		}
		if int64(len(b.code))+int64(grown) > 1<<31-1 {
			return &Error{Arch: b.arch.Name(), Offset: -1, Inst: "layout", Err: fmt.Errorf("%w: code larger than 2 GiB", ErrOutOfRange)}
		}
		changed := false
		for i := range b.items {
			it := &b.items[i]
			if it.kind != itemRef {
				continue
			}
			to := b.target(it)
			if b.arch.Reaches(it.ref, int(it.off), to) {
				continue
			}
			if it.ref.Long || it.ref.Site || !b.arch.HasLong(it.ref) {
				dist := to - int(it.off) // PC-relative distance
				if it.ref.Anchor != 0 {
					dist = to // already the distance from the anchor
				}
				return &Error{Arch: b.arch.Name(), Offset: int(it.pos), Inst: fmt.Sprintf("reference to label %d", it.label),
					Err: fmt.Errorf("%w: distance %d does not fit the form", ErrOutOfRange, dist)}
			}
			it.ref.Long = true
			changed = true
		}
		if !changed {
			return nil
		}
		if pass > n+1 {
			panic("BUG: codegen layout did not converge")
		}
	}
}
