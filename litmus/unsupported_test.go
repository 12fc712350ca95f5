//go:build !linux || !(amd64 || arm64 || ppc64le)

package litmus

import (
	"context"
	"errors"
	"testing"
)

// TestRunUnsupported: where no JIT code runs, Run says so.
func TestRunUnsupported(t *testing.T) {
	tt, err := ParseFile("u.litmus", []byte("litmus u\nsite f imm a b\nthread 0\n r = exec f\nexists (0:r=a)\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), tt, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Run = %v, want ErrUnsupported", err)
	}
}
