package jit

import (
	"os"
	"runtime"
	"sync"
	"unsafe"
)

// jitStack is an mmap'd stack for machine code: a guard page (PROT_NONE) at
// the low end, then slack, then budget bytes below top. The prologue of
// every JIT function checks that its frame stays at or above limit, so the
// guard page is a second line of defence that correct code never touches.
type jitStack struct {
	mem        []byte
	top, limit uintptr
	mark       *uint64 // the context's entry mark (see reclaim.go)
}

func newJITStack(budget int, rd *readers) (*jitStack, error) {
	pg := os.Getpagesize()
	size := (budget+pg-1)&^(pg-1) + 2*pg // guard page + one page of slack
	mem, err := mapStack(size, pg)
	if err != nil {
		return nil, err
	}
	top := (uintptr(unsafe.Pointer(&mem[0])) + uintptr(size)) &^ 15
	mark, err := rd.mark()
	if err != nil {
		unmap(mem)
		return nil, err
	}
	s := &jitStack{mem: mem, top: top, limit: top - uintptr(budget), mark: mark}
	runtime.AddCleanup(s, func(g stackGone) {
		unmap(g.mem)
		g.rd.release(g.mark)
	}, stackGone{mem, mark, rd})
	return s, nil
}

// stackGone is what a dropped stack's cleanup frees.
type stackGone struct {
	mem  []byte
	mark *uint64
	rd   *readers
}

// stackPool hands out JIT stacks of one budget. A stack dropped by the pool
// (sync.Pool empties on GC) is unmapped by its cleanup.
type stackPool struct {
	budget int
	rd     *readers
	pool   sync.Pool
}

func (p *stackPool) get() (*jitStack, error) {
	if s, ok := p.pool.Get().(*jitStack); ok {
		return s, nil
	}
	return newJITStack(p.budget, p.rd)
}

func (p *stackPool) put(s *jitStack) { p.pool.Put(s) }
