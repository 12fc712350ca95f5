package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

func init() {
	register(&command{
		name:    "version",
		summary: "print jitdemo's module version, VCS revision, Go version and platform",
		usage:   "version",
		flags: func(fs *flag.FlagSet) func([]string, io.Writer, io.Writer) int {
			return func(args []string, stdout, stderr io.Writer) int {
				if len(args) > 0 {
					return usageError(stderr, "version", "unexpected argument %q", args[0])
				}
				fmt.Fprintln(stdout, versionLine())
				return 0
			}
		},
	})
}

// versionLine is "jitdemo (devel) rev 1c8edee… (modified) go1.26.8 linux/amd64",
// from the build information Go records in the binary.
func versionLine() string {
	mod, rev, dirty := "(unknown)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		mod = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	s := "jitdemo " + mod
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		s += " rev " + rev
		if dirty {
			s += " (modified)"
		}
	}
	return fmt.Sprintf("%s %s %s/%s", s, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
