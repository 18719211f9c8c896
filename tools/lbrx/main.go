// Command lbrx is lbrx's command-line tool: it lists devices, runs the
// end-to-end demo, inspects and dumps model files, quantizes models and
// benchmarks kernels. Each command lives in its own cmd_*.go file and adds
// itself to the table below from init.
//
// Exit status: 0 on success, 1 on a runtime error ("lbrx: <what went
// wrong>" on stderr), 2 on a usage error (a one-line message on stderr).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	_ "github.com/lbrx/lbrx/cuda"  // registers the CUDA devices
	_ "github.com/lbrx/lbrx/metal" // registers the Metal device
)

// command is one subcommand of lbrx.
type command struct {
	summary string
	// run executes the command with the arguments after its name.
	run func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

// usageError marks errors that exit with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// exitError carries an exit status without a message (the command already
// printed what it had to say, like demo's parity report).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "lbrx: unknown command %q (run 'lbrx help')\n", args[0])
		return 2
	}
	err := cmd.run(args[1:], stdout, stderr)
	var ue usageError
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "lbrx %s: %s\n", args[0], ue.msg)
		return 2
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintf(stderr, "lbrx: %v\n", err)
		return 1
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: lbrx <command> [arguments]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}
