// Command jitdemo is the command-line face of syncore: with no command it
// runs a live-patching demo; its commands report what this machine offers
// for live code patching (info), compile and run jasm programs and the
// built-in workloads (run), stress the patch protocols (stress), measure
// them (bench), run cross-modification litmus tests (litmus) and print
// listings (disasm).
//
// Usage:
//
//	jitdemo [--duration D] [--threads N] [--json] [--quiet]
//	jitdemo <command> [flags]
//	jitdemo help [command]
//	jitdemo version
//
// Exit status: 0 on success, 1 when the command ran and failed, 2 for a
// usage mistake (unknown command or flag, bad argument: one line naming it,
// then a hint; with --json, a JSON error on stdout), and for stress 3 when
// the run was inconclusive (no violation, but too little evidence).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/syncore/syncore/litmus"
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
	litmus.ChildMain() // so does a litmus run's
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// jsonMode is set when the command's own flags ask for --json (see
// parseFlags): mistakes are then reported as JSON on jsonOut (stdout), with
// the same exit statuses.
var (
	jsonMode bool
	jsonOut  io.Writer = os.Stdout
)

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	jsonMode, jsonOut = false, stdout
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		return demoMain(args, stdout, stderr) // the default demo, with its flags
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			c, ok := commands[args[1]]
			if !ok {
				return usageError(stderr, "help", "unknown command %q (the commands: %s)", args[1], strings.Join(commandNames(), ", "))
			}
			commandUsage(stdout, c, nil)
			return 0
		}
		usage(stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		return usageError(stderr, "", "unknown command %q (the commands: %s)", name, strings.Join(commandNames(), ", "))
	}
	fs := flag.NewFlagSet("jitdemo "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runFn := c.flags(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			commandUsage(stdout, c, fs)
			return 0
		}
		return usageError(stderr, c.name, "%v", err)
	}
	return runFn(fs.Args(), stdout, stderr)
}

// parseFlags parses args with fs, a command's flag set, and sets jsonMode
// from the command's own json flag: its value when the flags parse; when
// they do not, whether it is set among the flags before the parse stopped
// (jsonRequested). A command without a json flag (version, disasm) never
// reports in JSON, and an argument after the flags is never the flag.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	jsonMode = false
	if f := fs.Lookup("json"); f != nil {
		if err == nil {
			g, ok := f.Value.(flag.Getter)
			on, _ := g.Get().(bool)
			jsonMode = ok && on
		} else {
			jsonMode = jsonRequested(fs, args)
		}
	}
	return err
}

// jsonRequested reads args as fs.Parse does, up to the first non-flag
// argument or "--", and reports whether they set the json flag true, in any
// form the flag package accepts (-json, --json, -json=true, --json=1, …; the
// last one counts). A flag fs does not define, or one written wrongly
// (---x), is taken to have no separate value.
func jsonRequested(fs *flag.FlagSet, args []string) bool {
	on := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '-' {
			break // the first non-flag argument ("-" is one)
		}
		name := a[1:]
		if name[0] == '-' {
			if name = name[1:]; name == "" {
				break // "--" ends the flags
			}
		}
		name, value, hasValue := strings.Cut(name, "=")
		if name == "json" {
			if !hasValue {
				on = true
			} else if b, err := strconv.ParseBool(value); err == nil {
				on = b
			}
			continue
		}
		f := fs.Lookup(name)
		if f == nil || hasValue {
			continue
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			continue
		}
		i++ // the flag's value is the next argument
	}
	return on
}

// commandNames lists the commands, sorted.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

func usage(w io.Writer) {
	fmt.Fprint(w, `jitdemo — live machine-code patching with core-serialising membarrier

Usage:
  jitdemo [--duration D] [--threads N] [--json] [--quiet]   the default demo (tiering hot-swap)
  jitdemo <command> [flags]
  jitdemo help <command>
`+demoDetails+`

Commands:
`)
	for _, n := range commandNames() {
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

// usageError reports a usage mistake of command name ("" for jitdemo
// itself) in one line naming it, then a hint where the help is, and
// returns 2. With --json the mistake is a JSON error on stdout instead.
func usageError(stderr io.Writer, name, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	if jsonMode {
		return jsonUsageError(jsonOut, msg)
	}
	who, help := "jitdemo", "jitdemo help"
	if name != "" {
		who += " " + name
		if name != "help" {
			help += " " + name
		}
	}
	fmt.Fprintf(stderr, "%s: %s\nrun '%s' for usage\n", who, msg, help)
	return 2
}

// jsonUsageError writes a usage mistake as JSON ({"schema_version": 1,
// "error": {"kind": "usage", "message": …}}) and returns 2.
func jsonUsageError(w io.Writer, msg string) int {
	return jsonFail(w, 2, jsonError{Kind: errKindUsage, Message: msg})
}

// plural is "1 thread", "2 threads".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
