package jasm

import (
	"errors"
	"strconv"
	"strings"
)

// Static errors: every error Parse and Verify return is an ErrorList whose
// entries are *Error values matching ErrSyntax or ErrVerify with errors.Is.
var (
	ErrSyntax = errors.New("syntax error")
	ErrVerify = errors.New("verification failed")
)

// Usage errors, returned (wrapped with context) by the interpreter and the
// site operations.
var (
	ErrNotVerified = errors.New("program not verified")
	ErrBadSite     = errors.New("bad site")
	ErrNoSuchFunc  = errors.New("no such function")
	ErrArity       = errors.New("wrong number of arguments")
)

// Runtime errors. The interpreter and compiled code return them inside a
// *RuntimeError that says where; compare with errors.Is.
var (
	ErrDivisionByZero = errors.New("division by zero")
	ErrStackOverflow  = errors.New("stack overflow")
	ErrInterrupted    = errors.New("interrupted")
)

// RuntimeError is a runtime error with where it happened, as the
// interpreter and compiled code both report it: "division by zero in fib
// at examples/fib.jasm:12:5". errors.Is matches Err (ErrDivisionByZero,
// ErrStackOverflow or ErrInterrupted) and, for a call that its context
// stopped, Cause (context.Canceled, context.DeadlineExceeded).
//
// Pos is the faulting instruction's: the div or rem for a division by
// zero; the func line of the function whose frame did not fit for a stack
// overflow; for an interruption the backward jump, guard or pconst where
// the call polled, or the func line of the function it was entering.
type RuntimeError struct {
	Err   error  // the runtime error
	Func  string // the function it happened in ("" when unknown)
	Pos   Pos    // the position (not IsValid when unknown)
	Cause error  // the context's error when a context stopped the call
}

// Error returns "division by zero in fib at file:line:col".
func (e *RuntimeError) Error() string {
	s := e.Err.Error()
	if e.Func != "" {
		s += " in " + e.Func
	}
	if e.Pos.IsValid() {
		s += " at " + e.Pos.String()
	}
	if e.Cause != nil {
		s += " (" + e.Cause.Error() + ")"
	}
	return s
}

// Unwrap returns Err and, when set, Cause.
func (e *RuntimeError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// Error is one mistake in a program, with where it is.
type Error struct {
	Pos  Pos    // position in the text, if known
	Func string // the function, if any (used when Pos is unknown)
	Inst int    // the instruction index in Func, or -1
	Msg  string // what is wrong, e.g. "expected a label after jz"
	Kind error  // ErrSyntax or ErrVerify
}

// Error returns "file:line:col: msg", or "func f, inst 3: msg" for a program
// without positions.
func (e *Error) Error() string {
	switch {
	case e.Pos.IsValid():
		return e.Pos.String() + ": " + e.Msg
	case e.Func != "" && e.Inst >= 0:
		return "func " + e.Func + ", inst " + strconv.Itoa(e.Inst) + ": " + e.Msg
	case e.Func != "":
		return "func " + e.Func + ": " + e.Msg
	}
	return e.Msg
}

// Unwrap returns Kind.
func (e *Error) Unwrap() error { return e.Kind }

// maxErrors bounds the errors one Parse or Verify collects.
const maxErrors = 10

// ErrorList is the errors found in one program, in order of position. Parse
// and Verify never return an empty list.
type ErrorList []*Error

// Error returns the errors one per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the entries, so errors.Is and errors.As look into them.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}
