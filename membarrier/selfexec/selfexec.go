// Package selfexec starts the running executable again as a child process,
// through an emulator when one is named, and runs a test in such a child.
//
// A fresh process has fresh membarrier registrations (they belong to the
// process and exec() clears them), and a crash in a child is a reported result
// instead of a dead test run; both are why syncore's tests and its stress tool
// start children.
//
// Under qemu-user without binfmt_misc a foreign binary cannot exec itself
// ("exec format error"), so the emulator is taken from the environment
// variable [WrapperEnv] and prefixed to the command line. The Makefile sets it
// for the ppc64le test run (SYNCORE_EXEC_WRAPPER=qemu-ppc64le-static).
package selfexec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"syscall"
)

// WrapperEnv names the environment variable that holds the command (split on
// white space) that runs this executable, e.g. "qemu-ppc64le-static". Empty
// or unset: the executable runs directly.
const WrapperEnv = "SYNCORE_EXEC_WRAPPER"

// freshEnv tells a child started by InFreshProcess which test to run for real.
const freshEnv = "SYNCORE_FRESH_TEST"

// Command returns a command that runs the current executable with args,
// through the wrapper named by [WrapperEnv] when it is set. The child inherits
// the environment (including the wrapper variable, so it can start children
// of its own).
func Command(args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("selfexec: cannot find the running executable: %w", err)
	}
	argv := append(strings.Fields(os.Getenv(WrapperEnv)), exe)
	argv = append(argv, args...)
	return exec.Command(argv[0], argv[1:]...), nil
}

// Explain adds a hint to err when it is the "exec format error" of a foreign
// binary started without its emulator.
func Explain(err error) error {
	if errors.Is(err, syscall.ENOEXEC) {
		return fmt.Errorf("%w (a foreign-architecture binary needs its emulator: set %s, e.g. %s=%s)",
			err, WrapperEnv, WrapperEnv, emulatorFor(runtime.GOARCH))
	}
	return err
}

// emulatorFor names the qemu-user emulator (Debian's qemu-user-static) that
// runs binaries of goarch.
func emulatorFor(goarch string) string {
	switch goarch {
	case "arm64":
		return "qemu-aarch64-static"
	case "amd64":
		return "qemu-x86_64-static"
	}
	return "qemu-" + goarch + "-static"
}

// T is the part of testing.TB that [InFreshProcess] uses (this package does
// not import testing, so programs may use [Command] without linking it).
type T interface {
	Helper()
	Name() string
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// InFreshProcess runs the calling test again in a new process and reports
// whether the caller is that process. Use it as the first line of a test whose
// body needs a process of its own (e.g. one that has never registered with
// membarrier):
//
//	if !selfexec.InFreshProcess(t) {
//		return // the child ran the body and passed
//	}
//
// In the parent it starts the test binary with -test.run selecting exactly
// this test, fails t with the child's output if the child fails or did not
// run the test, and returns false. In the child it returns true.
func InFreshProcess(t T) bool {
	t.Helper()
	name := t.Name()
	if os.Getenv(freshEnv) == name {
		return true
	}
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd, err := Command("-test.run="+strings.Join(parts, "/"), "-test.v", "-test.count=1")
	if err != nil {
		t.Fatalf("%v", err)
	}
	cmd.Env = append(os.Environ(), freshEnv+"="+name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("test in a fresh process failed: %v\n%s", Explain(err), out)
	}
	if !bytes.Contains(out, []byte("--- PASS: "+name)) {
		t.Fatalf("the fresh process did not run %s:\n%s", name, out)
	}
	t.Logf("ran in a fresh process (pid %d)", cmd.ProcessState.Pid())
	return false
}
