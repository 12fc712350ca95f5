// Command jitdemo is the command-line face of syncore: with no command it
// runs a live-patching demo; its commands report what this machine offers
// for live code patching (info), compile and run jasm programs and the
// built-in workloads (run), stress the patch protocols (stress), measure
// them (bench) and print listings (disasm).
//
// Usage:
//
//	jitdemo [--duration D] [--threads N] [--json]
//	jitdemo <command> [flags]
//	jitdemo help [command]
//
// Exit status: 0 on success, 1 when the command ran and failed, 2 for a
// usage mistake (unknown command or flag, bad argument), and for stress 3
// when the run was inconclusive (no violation, but too little evidence).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/syncore/syncore/patch/stress"
)

// command is one subcommand of jitdemo.
type command struct {
	name    string
	summary string
	usage   string // the line after "jitdemo "
	details string
	// flags declares the command's flags on fs and returns the function that
	// runs it with the remaining arguments.
	flags func(fs *flag.FlagSet) func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

func main() {
	stress.ChildMain() // a stress run's child process does its work and exits here
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		return demoMain(args, stdout, stderr) // the default demo, with its flags
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			c, ok := commands[args[1]]
			if !ok {
				fmt.Fprintf(stderr, "jitdemo help: unknown command %q\n", args[1])
				usage(stderr)
				return 2
			}
			commandUsage(stdout, c, nil)
			return 0
		}
		usage(stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "jitdemo: unknown command %q\n", name)
		usage(stderr)
		return 2
	}
	fs := flag.NewFlagSet("jitdemo "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runFn := c.flags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			commandUsage(stdout, c, fs)
			return 0
		}
		fmt.Fprintf(stderr, "jitdemo %s: %v\n", c.name, err)
		commandUsage(stderr, c, fs)
		return 2
	}
	return runFn(fs.Args(), stdout, stderr)
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

func usage(w io.Writer) {
	fmt.Fprint(w, `jitdemo — live machine-code patching with core-serialising membarrier

Usage:
  jitdemo [--duration D] [--threads N] [--json]   the default demo (tiering hot-swap)
  jitdemo <command> [flags]
  jitdemo help <command>
`+demoDetails+`

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, "\nRun 'jitdemo <command> -h' for the flags of a command.\n")
}

func commandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: jitdemo %s\n\n%s\n", c.usage, c.summary)
	if c.details != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.details))
	}
	if fs == nil {
		fs = flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.flags(fs)
	}
	has := false
	fs.VisitAll(func(*flag.Flag) { has = true })
	if has {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// usageError prints a one-line mistake and the command's usage and returns 2.
func usageError(stderr io.Writer, name, format string, args ...any) int {
	fmt.Fprintf(stderr, "jitdemo %s: %s\n", name, fmt.Sprintf(format, args...))
	commandUsage(stderr, commands[name], nil)
	return 2
}
