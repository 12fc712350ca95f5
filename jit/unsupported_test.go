package jit_test

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/syncore/syncore/examples"
	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/jit/jasm"
)

// supportedHost is where syncore runs machine code: Linux on amd64, ppc64le
// or arm64. Everywhere else the runtime must refuse with ErrUnsupported, and
// compiling and listing code for every ISA must still work.
var supportedHost = runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "ppc64le" || runtime.GOARCH == "arm64")

// TestUnsupportedHostIsRefused: on linux/amd64, ppc64le and arm64 the runtime
// starts; on every other platform (another OS, or Linux on another GOARCH,
// such as GOARCH=386 on this amd64 kernel) jit.Supported and jit.New fail
// with an error matching jit.ErrUnsupported that names the platform.
func TestUnsupportedHostIsRefused(t *testing.T) {
	err := jit.Supported()
	if supportedHost {
		rt, newErr := jit.New(jit.Options{})
		if rt != nil {
			defer rt.Close()
		}
		if err != nil {
			t.Fatalf("Supported on %s/%s: %v, want nil", runtime.GOOS, runtime.GOARCH, err)
		}
		if newErr != nil {
			t.Fatalf("New on %s/%s: %v", runtime.GOOS, runtime.GOARCH, newErr)
		}
		if !rt.Info().CanExecute {
			t.Fatalf("New on %s/%s: Info().CanExecute is false", runtime.GOOS, runtime.GOARCH)
		}
		return
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	if !errors.Is(err, jit.ErrUnsupported) || !strings.Contains(err.Error(), platform) {
		t.Errorf("Supported on %s: %v, want an error matching ErrUnsupported that names %s", platform, err, platform)
	}
	for _, mode := range []jit.HeapMode{jit.HeapAuto, jit.HeapDual, jit.HeapRWX} {
		rt, err := jit.New(jit.Options{Heap: jit.HeapOptions{Mode: mode}})
		if rt != nil {
			rt.Close()
		}
		if !errors.Is(err, jit.ErrUnsupported) {
			t.Errorf("New with heap %v on %s: got runtime %v, error %v; want an error matching ErrUnsupported", mode, platform, rt != nil, err)
		}
	}
	if _, ok := jit.HostArch(); ok {
		t.Errorf("HostArch on %s says it can execute", platform)
	}
}

// TestUnsupportedHostStillCompiles: compiling for every ISA and printing the
// listing (what `jitdemo disasm` does) needs no runtime and works on every
// platform.
func TestUnsupportedHostStillCompiles(t *testing.T) {
	src, err := examples.Source("pcall.jasm")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := jasm.Parse("pcall.jasm", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, arch := range []jit.Arch{jit.ArchAMD64, jit.ArchPPC64LE, jit.ArchARM64} {
		code, err := jit.Compile(prog, jit.CompileOptions{Arch: arch})
		if err != nil {
			t.Fatalf("Compile for %s on %s/%s: %v", arch, runtime.GOOS, runtime.GOARCH, err)
		}
		var out bytes.Buffer
		if err := code.WriteListing(&out, 0); err != nil {
			t.Fatalf("WriteListing for %s: %v", arch, err)
		}
		if !strings.Contains(out.String(), `site "op"`) {
			t.Errorf("the %s listing does not mark site \"op\":\n%s", arch, out.String())
		}
	}
}
