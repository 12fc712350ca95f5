package selfexec

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommandHonoursWrapper(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	tests := []struct {
		wrapper string
		want    []string
	}{
		{"", []string{exe, "-x", "y"}},
		{"qemu-ppc64le-static", []string{"qemu-ppc64le-static", exe, "-x", "y"}},
		{"  emu  -cpu power9 ", []string{"emu", "-cpu", "power9", exe, "-x", "y"}},
	}
	for _, tc := range tests {
		t.Setenv(WrapperEnv, tc.wrapper)
		cmd, err := Command("-x", "y")
		require.NoError(t, err)
		assert.Equal(t, tc.want, cmd.Args, "wrapper %q", tc.wrapper)
	}
}

func TestExplainExecFormatError(t *testing.T) {
	err := Explain(&exec.Error{Name: "x", Err: syscall.ENOEXEC})
	assert.ErrorIs(t, err, syscall.ENOEXEC)
	assert.Contains(t, err.Error(), WrapperEnv)
	other := fmt.Errorf("boom")
	assert.Same(t, other, Explain(other))
}

// fakeT records a fatal failure instead of stopping the test.
type fakeT struct {
	*testing.T
	failed string
}

func (f *fakeT) Fatalf(format string, args ...any) { f.failed = fmt.Sprintf(format, args...) }

// TestInFreshProcessDetectsAFailingChild is the negative control: a child
// whose test fails must fail the parent.
func TestInFreshProcessDetectsAFailingChild(t *testing.T) {
	if os.Getenv(freshEnv) == t.Name() {
		t.Fatal("this child fails on purpose")
	}
	f := &fakeT{T: t}
	assert.False(t, InFreshProcess(f))
	assert.Contains(t, f.failed, "this child fails on purpose")
}

func TestInFreshProcessRunsInAChild(t *testing.T) {
	if !InFreshProcess(t) {
		return
	}
	assert.Equal(t, t.Name(), os.Getenv(freshEnv))
}

// TestEmulatorFor: the hint names the emulator of the binary's own
// architecture.
func TestEmulatorFor(t *testing.T) {
	for goarch, want := range map[string]string{
		"arm64": "qemu-aarch64-static", "ppc64le": "qemu-ppc64le-static", "amd64": "qemu-x86_64-static", "riscv64": "qemu-riscv64-static",
	} {
		assert.Equal(t, want, emulatorFor(goarch), goarch)
	}
}
