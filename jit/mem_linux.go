package jit

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// The memory the runtime maps from the OS: code heap chunks, JIT stacks and
// pages of entry marks. Linux only (memfd_create, MAP_NORESERVE, MAP_STACK);
// mem_other.go fails with ErrUnsupported everywhere else. None of these is on
// the call path: stacks and marks are mapped once per call context and
// reused.

// mapChunk maps size bytes of code memory: a memfd mapped twice (RW view for
// writers, RX view for execution) for HeapDual, anonymous RWX memory for
// HeapRWX.
func mapChunk(size int, mode HeapMode) (*chunk, error) {
	if mode == HeapRWX {
		m, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			return nil, fmt.Errorf("jit: code heap: mmap RWX %d bytes: %w", size, err)
		}
		return &chunk{fd: -1, rw: m, rx: m}, nil
	}
	fd, err := unix.MemfdCreate("syncore-jit", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("jit: code heap: memfd_create: %w", err)
	}
	c := &chunk{fd: fd}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		c.unmap()
		return nil, fmt.Errorf("jit: code heap: ftruncate memfd to %d: %w", size, err)
	}
	if c.rw, err = unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED); err != nil {
		c.unmap()
		return nil, fmt.Errorf("jit: code heap: mmap RW view: %w", err)
	}
	if c.rx, err = unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_SHARED); err != nil {
		c.unmap()
		return nil, fmt.Errorf("jit: code heap: mmap RX view: %w", err)
	}
	return c, nil
}

// unmap unmaps the chunk's views and closes its memfd.
func (c *chunk) unmap() error {
	var errs []error
	if c.rw != nil {
		errs = append(errs, unix.Munmap(c.rw))
	}
	if c.rx != nil && c.fd >= 0 {
		errs = append(errs, unix.Munmap(c.rx))
	}
	if c.fd >= 0 {
		errs = append(errs, unix.Close(c.fd))
	}
	c.rw, c.rx, c.fd = nil, nil, -1
	return errors.Join(errs...)
}

// mapStack maps size bytes of stack (reserved lazily, MAP_NORESERVE) whose
// lowest guard bytes are PROT_NONE.
func mapStack(size, guard int) ([]byte, error) {
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_STACK)
	if err != nil {
		return nil, fmt.Errorf("jit: mmap a %d-byte JIT stack: %w", size, err)
	}
	if err := unix.Mprotect(mem[:guard], unix.PROT_NONE); err != nil {
		unix.Munmap(mem)
		return nil, fmt.Errorf("jit: guard page for the JIT stack: %w", err)
	}
	return mem, nil
}

// mapData maps size bytes of zeroed read-write memory outside the Go heap.
func mapData(size int) ([]byte, error) {
	return unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
}

// unmap unmaps memory from mapStack or mapData.
func unmap(mem []byte) error { return unix.Munmap(mem) }
