package litmus

import "errors"

// Errors, comparable with errors.Is. A parse error is an *Error that
// unwraps to one of the first three.
var (
	// ErrSyntax: the text does not follow the format (docs/litmus.md).
	ErrSyntax = errors.New("syntax error")
	// ErrUndefined: a name that is not declared (site, version, data word,
	// thread, register).
	ErrUndefined = errors.New("undefined name")
	// ErrDuplicate: a name or expectation declared twice.
	ErrDuplicate = errors.New("duplicate")
	// ErrLayout: a test cannot be assembled for an ISA as written (a write
	// mode its site's changed bytes do not fit, an offset the ISA cannot
	// place an instruction at).
	ErrLayout = errors.New("layout")
	// ErrChild: the child process that runs the iterations failed for a
	// reason other than a crash of the code under test.
	ErrChild = errors.New("litmus child failed")
	// ErrUnsupported: this platform cannot run litmus tests (they run JIT
	// code: linux/amd64, linux/ppc64le and linux/arm64).
	ErrUnsupported = errors.New("litmus: running tests needs linux/amd64, linux/ppc64le or linux/arm64")
)

// Error is a mistake in a litmus file (or in a test for one ISA), with where
// it is.
type Error struct {
	Pos  Pos
	Msg  string
	Kind error // ErrSyntax, ErrUndefined, ErrDuplicate or ErrLayout
}

// Error returns "file:line:col: msg".
func (e *Error) Error() string {
	if e.Pos.IsValid() {
		return e.Pos.String() + ": " + e.Msg
	}
	if e.Pos.File != "" {
		return e.Pos.File + ": " + e.Msg
	}
	return e.Msg
}

// Unwrap returns Kind.
func (e *Error) Unwrap() error { return e.Kind }
