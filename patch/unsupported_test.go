package patch_test

import (
	"errors"
	"runtime"
	"testing"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/patch"
)

// TestUnsupportedHostIsRefused: off linux/amd64, linux/ppc64le and
// linux/arm64 patch.New fails with an error matching jit.ErrUnsupported
// (there is no runtime to patch: jit.New fails the same way).
func TestUnsupportedHostIsRefused(t *testing.T) {
	if runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "ppc64le" || runtime.GOARCH == "arm64") {
		rt, err := jit.New(jit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close()
		if _, err := patch.New(rt, patch.Options{}); err != nil {
			t.Fatalf("patch.New on %s/%s: %v", runtime.GOOS, runtime.GOARCH, err)
		}
		return
	}
	for _, rt := range []*jit.Runtime{nil, new(jit.Runtime)} {
		if _, err := patch.New(rt, patch.Options{}); !errors.Is(err, jit.ErrUnsupported) {
			t.Errorf("patch.New(%v) on %s/%s: %v, want an error matching jit.ErrUnsupported", rt, runtime.GOOS, runtime.GOARCH, err)
		}
	}
}
