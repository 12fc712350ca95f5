package codegen

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error a Buffer reports matches one with errors.Is.
var (
	ErrUndefinedLabel = errors.New("undefined label")
	ErrOutOfRange     = errors.New("out of range")
	ErrBadOperand     = errors.New("bad operand")
	ErrLabelRebound   = errors.New("label bound twice")
)

// Error is a mistake found while assembling, with where it happened.
type Error struct {
	Arch   string // the ISA, e.g. "amd64"
	Offset int    // offset in the buffer before layout (the instruction's start), -1 if unknown
	Inst   string // the instruction or item, e.g. "addi" or "branch to L3"
	Err    error  // wraps a sentinel
}

func (e *Error) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("%s: %s at +%#x: %v", e.Arch, e.Inst, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Arch, e.Inst, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
