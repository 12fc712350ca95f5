package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/syncore/syncore/codegen"
	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/jit/jasm"
	"github.com/syncore/syncore/patch"
)

func init() {
	register(&command{
		name:    "disasm",
		summary: "compile a jasm program for amd64, ppc64le or arm64 and print the listing",
		usage:   "disasm [--arch amd64|ppc64le|arm64] [--pconst data|code] FILE",
		details: `
Compiles FILE for any of the three ISAs on any host and prints every instruction
(address from 0, bytes, GNU syntax decoded with golang.org/x/arch), every
function's entry, and before each patch site a line naming it, its kind,
the bytes a patch changes, the guarantee the assembler gave them, and the
protocol that patches it (see docs/protocols.md).`,
		flags: func(fs *flag.FlagSet) func([]string, io.Writer, io.Writer) int {
			host, _ := jit.HostArch()
			if host != jit.ArchPPC64LE && host != jit.ArchARM64 {
				host = jit.ArchAMD64
			}
			arch := fs.String("arch", string(host), "target ISA: amd64, ppc64le or arm64")
			pconst := fs.String("pconst", "data", "pconst form: data (an aligned data slot) or code (amd64: a movabs patched with the self-loop protocol)")
			return func(args []string, stdout, stderr io.Writer) int {
				if len(args) != 1 {
					return usageError(stderr, "disasm", "want exactly one FILE, got %s", plural(len(args), "argument"))
				}
				a, err := jit.ParseArch(*arch)
				if err != nil {
					return usageError(stderr, "disasm", "%v", err)
				}
				var mode jit.PConstMode
				switch *pconst {
				case "data":
				case "code":
					mode = jit.PConstCode
				default:
					return usageError(stderr, "disasm", "--pconst %q: want data or code", *pconst)
				}
				src, err := os.ReadFile(args[0])
				if err != nil {
					return usageError(stderr, "disasm", "%v", err)
				}
				prog, err := jasm.Parse(args[0], src)
				if err != nil {
					fmt.Fprintln(stderr, err)
					return 2
				}
				code, err := jit.Compile(prog, jit.CompileOptions{Arch: a, PConst: mode})
				if err != nil {
					fmt.Fprintf(stderr, "jitdemo disasm: %v\n", err)
					return 1
				}
				fmt.Fprintf(stdout, "; %s for %s: %d bytes, %d functions, %d sites\n", args[0], a, len(code.Blob.Code), len(prog.Funcs), len(prog.Sites))
				err = code.WriteListingWith(stdout, 0, func(s codegen.Site) string { return patch.NaturalProtocol(s).String() })
				if err != nil {
					fmt.Fprintf(stderr, "jitdemo disasm: %v\n", err)
					return 1
				}
				return 0
			}
		},
	})
}
