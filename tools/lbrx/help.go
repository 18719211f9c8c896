package main

import (
	"flag"
	"fmt"
	"io"
	"reflect"
	"runtime/debug"
	"strings"
)

// printUsage writes the list of commands.
func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: lbrx <command> [flags] [arguments]")
	fmt.Fprintln(w, "\ncommands:")
	for _, n := range sortedNames(commands) {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'lbrx help <command>' or 'lbrx <command> --help' for its flags; 'lbrx --version' for the build.")
	fmt.Fprintln(w, "Exit status: 0 success, 1 runtime error, 2 usage error.")
}

// runHelp is `lbrx help [command [subcommand]]`.
func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stdout)
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "lbrx help: unknown command %q (run 'lbrx help')\n", args[0])
		return exitUsage
	}
	path := []string{args[0]}
	for _, a := range args[1:] {
		sub, ok := cmd.subs[a]
		if !ok {
			fmt.Fprintf(stderr, "lbrx help: %s has no subcommand %q\n", strings.Join(path, " "), a)
			return exitUsage
		}
		cmd, path = sub, append(path, a)
	}
	printHelp(stdout, path, cmd)
	return exitOK
}

// synopsis is the one-line usage of a command.
func synopsis(path []string, cmd *command) string {
	s := "lbrx " + strings.Join(path, " ")
	if cmd.subs != nil {
		return s + " " + strings.Join(sortedNames(cmd.subs), "|") + " [flags]"
	}
	s += " [flags]"
	for _, a := range cmd.args {
		s += " " + a
	}
	return s
}

// printHelp writes a command's usage, summary and every flag with its
// default.
func printHelp(w io.Writer, path []string, cmd *command) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", synopsis(path, cmd), cmd.summary)
	if cmd.subs != nil {
		fmt.Fprintln(w, "\nsubcommands:")
		for _, n := range sortedNames(cmd.subs) {
			fmt.Fprintf(w, "  %-10s %s\n", n, cmd.subs[n].summary)
		}
		return
	}
	fs := newFlagSet(path)
	cmd.setup(fs)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		fmt.Fprintln(w, "\nflags: none")
		return
	}
	fmt.Fprintln(w, "\nflags:")
	fs.VisitAll(func(f *flag.Flag) {
		typ, usage := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if typ != "" {
			head += " " + typ
		}
		if !strings.Contains(usage, "(default") { // the usage explains a default the value cannot show
			usage += " (default " + defaultText(f) + ")"
		}
		fmt.Fprintf(w, "%s\n      %s\n", head, usage)
	})
}

// defaultText shows a flag's default so that an empty one is visible.
func defaultText(f *flag.Flag) string {
	if reflect.TypeOf(f.Value).Elem().Kind() == reflect.String {
		return fmt.Sprintf("%q", f.DefValue)
	}
	return f.DefValue
}

// versionLine describes the build from the information the Go toolchain
// embedded in the binary: module version, VCS revision and time, and
// whether the tree had uncommitted changes.
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "lbrx (no build information)"
	}
	s := "lbrx " + bi.Main.Version
	var rev, at, modified string
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.time":
			at = kv.Value
		case "vcs.modified":
			if kv.Value == "true" {
				modified = " (modified)"
			}
		}
	}
	if rev != "" {
		s += " revision " + rev + modified
	}
	if at != "" {
		s += " " + at
	}
	return s + " " + bi.GoVersion
}
