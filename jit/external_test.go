package jit_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/membarrier/selfexec"
)

// vmMain is a VM outside this module: it assembles a function with a
// patchable call (codegen/amd64, or codegen/ppc64 or codegen/arm64 on those
// hosts), loads it,
// calls it, retargets the call with package patch, and calls it again.
const vmMain = `package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/codegen/amd64"
	"github.com/syncore/syncore/codegen/arm64"
	"github.com/syncore/syncore/codegen/ppc64"
	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/patch"
)

func assemble() (blob *codegen.Blob, one, two, main codegen.Label, err error) {
	if runtime.GOARCH == "arm64" {
		a := arm64.New()
		one, two, main = a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Bind(one); a.LoadConst(arm64.R0, 1); a.Ret()
		a.Bind(two); a.LoadConst(arm64.R0, 2); a.Ret()
		a.Bind(main)
		a.StpPre(arm64.R29, arm64.R30, arm64.SP, -16); a.MovRR(arm64.R29, arm64.SP)
		a.CallSite("op", one)
		a.LdpPost(arm64.R29, arm64.R30, arm64.SP, 16); a.Ret()
		blob, err = a.Finish()
		return
	}
	if runtime.GOARCH == "ppc64le" {
		a := ppc64.New()
		one, two, main = a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Bind(one); a.Li(ppc64.R3, 1); a.Blr()
		a.Bind(two); a.Li(ppc64.R3, 2); a.Blr()
		a.Bind(main)
		a.Mflr(ppc64.R12); a.Addi(ppc64.R1, ppc64.R1, -32); a.Std(ppc64.R12, ppc64.R1, 16)
		a.CallSite("op", one)
		a.Ld(ppc64.R12, ppc64.R1, 16); a.Addi(ppc64.R1, ppc64.R1, 32); a.Mtlr(ppc64.R12); a.Blr()
		blob, err = a.Finish()
		return
	}
	a := amd64.New()
	one, two, main = a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.Bind(one); a.MovRI(amd64.RAX, 1); a.Ret()
	a.Bind(two); a.MovRI(amd64.RAX, 2); a.Ret()
	a.Bind(main); a.CallSite("op", one); a.Ret()
	blob, err = a.Finish()
	return
}

func main() {
	if err := run(); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func run() error {
	blob, one, two, main, err := assemble()
	if err != nil {
		return err
	}
	rt, err := jit.New(jit.Options{})
	if err != nil {
		return err
	}
	defer rt.Close()
	prog, err := rt.LoadAsm("vm", blob, []jit.Entry{
		{Name: "one", Offset: blob.Offset(one)}, {Name: "two", Offset: blob.Offset(two)}, {Name: "main", Offset: blob.Offset(main)}})
	if err != nil {
		return err
	}
	before, err := prog.Func("main").Call()
	if err != nil {
		return err
	}
	p, err := patch.New(rt, patch.Options{})
	if err != nil {
		return err
	}
	op, err := p.Site(prog, "op")
	if err != nil {
		return err
	}
	if err := op.RetargetFunc(prog.Func("two")); err != nil {
		return err
	}
	after, err := prog.Func("main").Call()
	if err != nil {
		return err
	}
	fmt.Printf("before %d after %d protocol %s\n", before, after, op.Protocol())
	return prog.Close()
}
`

// TestExternalModule builds a module outside this one that requires
// syncore (through a replace directive), as a VM implementer's would, and
// runs it: it assembles code, loads it, calls it and retargets a site.
func TestExternalModule(t *testing.T) {
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command builds the external module")
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	goLine := regexp.MustCompile(`(?m)^go [0-9.]+$`).Find(mod)
	require.NotNil(t, goLine)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)

	dir := t.TempDir()
	write := func(name, text string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	write("go.mod", "module example.com/vm\n\n"+string(goLine)+"\n\nrequire github.com/syncore/syncore v0.0.0\n\nreplace github.com/syncore/syncore => "+root+"\n")
	write("go.sum", string(sum))
	write("main.go", vmMain)
	exe := filepath.Join(dir, "vm")
	build := exec.Command(goBin, "build", "-mod=mod", "-o", exe, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build of the external module:\n%s", out)

	run := exec.Command(exe)
	if w := os.Getenv(selfexec.WrapperEnv); w != "" {
		run = exec.Command(w, exe) // a ppc64le binary on another host: through the emulator
	}
	out, err = run.CombinedOutput()
	require.NoError(t, err, "%s", out)
	proto := map[string]string{"amd64": "atomic", "ppc64le": "patchclass", "arm64": "patchclass"}[runtime.GOARCH]
	require.Equal(t, "before 1 after 2 protocol "+proto+"\n", strings.ReplaceAll(string(out), "\r", ""))
}
