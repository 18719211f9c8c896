// Command lbrx is lbrx's command-line tool: it lists devices, runs the
// end-to-end demo, inspects and dumps model files, quantizes models and
// benchmarks kernels.
//
// Exit status: 0 on success (also for --help and lbrx help), 1 on a
// runtime error ("lbrx: <what went wrong>" on stderr: a missing or
// unreadable file, an unavailable device, a failed kernel), 2 on a usage
// error (a one-line message on stderr: an unknown command, flag or device,
// a bad flag value, the wrong number of arguments).
//
// # Adding a command
//
// Put it in its own file cmd_<name>.go and add it to the table from init:
//
//	func init() {
//		commands["hello"] = &command{
//			summary: "say hello",                 // one line for `lbrx help`
//			args:    []string{"NAME"},            // positional arguments, in order
//			setup: func(fs *flag.FlagSet) runFunc {
//				loud := fs.Bool("loud", false, "shout")
//				return func(pos []string, stdout, stderr io.Writer) error {
//					...                           // pos has exactly len(args) entries
//				}
//			},
//		}
//	}
//
// setup declares every flag on fs (with its default and a usage line) and
// returns the function that runs the command once fs is parsed. From that
// declaration alone the command gets `lbrx hello --help` and -h (usage,
// every flag with its default, exit 0), `lbrx help hello`, flags and
// positional arguments in any order, and exit status 2 with a one-line
// message for a bad flag or the wrong number of arguments. A last
// argument named "NAME..." takes any number (zero or more) of arguments.
// Return usagef(...) for other usage errors (exit 2) and plain errors for
// runtime ones (exit 1). A command with subcommands (bench) fills subs
// instead of setup; each subcommand is a command of its own.
// TestEveryCommandHasHelp checks the table.
//
// Files: check inputs with checkInput (missing, unreadable, wrong kind by
// content, one line naming the path) and outputs with checkOutput before
// any work, then write through writeOutput: "-" is stdout, an existing
// file needs --force, an input is never written over. Check the memory a
// size needs with core.CheckMemory before allocating it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	_ "github.com/lbrx/lbrx/cuda"  // registers the CUDA devices
	_ "github.com/lbrx/lbrx/metal" // registers the Metal device
)

// runFunc runs a command with its positional arguments, after its flags
// are parsed.
type runFunc func(pos []string, stdout, stderr io.Writer) error

// command is one subcommand of lbrx.
type command struct {
	// summary is the one line `lbrx help` shows.
	summary string
	// args names the positional arguments (e.g. "SRC", "DST"); a last
	// name ending in "..." takes any number.
	args []string
	// setup declares the command's flags on fs and returns its runner.
	setup func(fs *flag.FlagSet) runFunc
	// subs are the subcommands (lbrx bench matmul), when setup is nil.
	subs map[string]*command
}

// commands is lbrx's command table; each cmd_*.go file adds to it from init.
var commands = map[string]*command{}

// usageError marks errors that exit with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// exitError carries an exit status without a message (the command already
// printed what it had to say, like demo's parity report).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// Exit statuses, as the package doc and README list them.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

func main() {
	umask() // read (and restore) it before any goroutine creates files
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printUsage(stdout)
		return exitOK
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, versionLine())
		return exitOK
	case "help":
		return runHelp(args[1:], stdout, stderr)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "lbrx: unknown command %q (run 'lbrx help')\n", args[0])
		return exitUsage
	}
	return runCommand([]string{args[0]}, cmd, args[1:], stdout, stderr)
}

// runCommand runs cmd (named by path, e.g. [bench qmv]) with args and
// returns the exit status.
func runCommand(path []string, cmd *command, args []string, stdout, stderr io.Writer) int {
	name := "lbrx " + strings.Join(path, " ")
	if cmd.subs != nil {
		if len(args) == 0 {
			fmt.Fprintf(stderr, "%s: need a subcommand: %s (see '%s --help')\n", name, strings.Join(sortedNames(cmd.subs), ", "), name)
			return exitUsage
		}
		if isHelp(args[0]) {
			printHelp(stdout, path, cmd)
			return exitOK
		}
		sub, ok := cmd.subs[args[0]]
		if !ok {
			fmt.Fprintf(stderr, "%s: unknown subcommand %q (have %s)\n", name, args[0], strings.Join(sortedNames(cmd.subs), ", "))
			return exitUsage
		}
		return runCommand(append(slices.Clip(path), args[0]), sub, args[1:], stdout, stderr)
	}
	fs := newFlagSet(path)
	runner := cmd.setup(fs)
	if wantsHelp(fs, args) {
		printHelp(stdout, path, cmd)
		return exitOK
	}
	pos, err := parseMixed(fs, args)
	if err == nil {
		err = checkArgs(cmd, pos)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v (usage: %s; see '%s --help')\n", name, err, synopsis(path, cmd), name)
		return exitUsage
	}
	return exitStatus(name, runner(pos, stdout, stderr), stderr)
}

// exitStatus reports err on stderr and maps it to an exit status.
func exitStatus(name string, err error, stderr io.Writer) int {
	var ue usageError
	var ee exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %s\n", name, ue.msg)
		return exitUsage
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintf(stderr, "lbrx: %v\n", err)
		return exitRuntime
	}
}

// checkArgs checks the number of positional arguments against cmd.args.
func checkArgs(cmd *command, pos []string) error {
	n := len(cmd.args)
	if n > 0 && strings.HasSuffix(cmd.args[n-1], "...") {
		if len(pos) < n-1 {
			return fmt.Errorf("need %s", strings.Join(cmd.args, " "))
		}
		return nil
	}
	switch {
	case n == 0 && len(pos) > 0:
		return fmt.Errorf("takes no arguments, got %q", pos[0])
	case len(pos) != n:
		return fmt.Errorf("need %s, got %d arguments", strings.Join(cmd.args, " "), len(pos))
	}
	return nil
}

func newFlagSet(path []string) *flag.FlagSet {
	fs := flag.NewFlagSet("lbrx "+strings.Join(path, " "), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// wantsHelp tells whether args ask for help: -h or --help where a flag may
// stand (not as the value of another flag, not after "--").
func wantsHelp(fs *flag.FlagSet, args []string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return false
		}
		if isHelp(a) {
			return true
		}
		if !strings.HasPrefix(a, "-") || a == "-" || strings.Contains(a, "=") {
			continue
		}
		if f := fs.Lookup(strings.TrimLeft(a, "-")); f != nil && !isBoolFlag(f) {
			i++ // the flag's value
		}
	}
	return false
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
