//go:build !linux

package jit

import "fmt"

// Off Linux the runtime maps no memory: every function fails with an error
// matching ErrUnsupported (Supported says why). Compiling and listing code
// needs none of it.

func mapChunk(size int, mode HeapMode) (*chunk, error) {
	return nil, fmt.Errorf("jit: code heap: %w", Supported())
}

func (c *chunk) unmap() error {
	c.rw, c.rx, c.fd = nil, nil, -1
	return nil
}

func mapStack(size, guard int) ([]byte, error) {
	return nil, fmt.Errorf("jit: JIT stack: %w", Supported())
}

func mapData(size int) ([]byte, error) {
	return nil, Supported() // the caller says what it was for
}

func unmap(mem []byte) error { return nil }
