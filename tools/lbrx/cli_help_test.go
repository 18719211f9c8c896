package main

import (
	"flag"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// everyCommand lists every command and subcommand path of the table.
func everyCommand(t *testing.T) [][]string {
	t.Helper()
	var paths [][]string
	var walk func(path []string, c *command)
	walk = func(path []string, c *command) {
		require.NotEqualf(t, c.setup == nil, c.subs == nil, "lbrx %s: a command has either setup (its flags) or subs", strings.Join(path, " "))
		require.NotEmpty(t, c.summary, path)
		assert.NotContains(t, c.summary, "\n", "summary is one line")
		paths = append(paths, path)
		for _, n := range sortedNames(c.subs) {
			walk(append(append([]string{}, path...), n), c.subs[n])
		}
	}
	for _, n := range sortedNames(commands) {
		walk([]string{n}, commands[n])
	}
	return paths
}

func lookupCommand(path []string) *command {
	c := commands[path[0]]
	for _, p := range path[1:] {
		c = c.subs[p]
	}
	return c
}

// Every command answers --help, -h and `lbrx help CMD` with its usage and
// every flag with its default, on stdout, exit 0.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, path := range everyCommand(t) {
		name := strings.Join(path, " ")
		code, want, stderr := runBinary(t, append(path, "--help")...)
		require.Equal(t, 0, code, "%s --help: %s", name, stderr)
		assert.Empty(t, stderr)
		assert.Contains(t, want, "usage: lbrx "+name)
		assert.Contains(t, want, lookupCommand(path).summary)
		if c := lookupCommand(path); c.setup != nil {
			fs := newFlagSet(path)
			c.setup(fs)
			fs.VisitAll(func(f *flag.Flag) {
				i := strings.Index(want, "\n  --"+f.Name)
				if assert.GreaterOrEqual(t, i, 0, "%s --help lacks --%s", name, f.Name) {
					entry, _, _ := strings.Cut(want[i+1:], "\n  --")
					assert.Contains(t, entry, "default", "%s --help: --%s without its default", name, f.Name)
				}
			})
		}
		for _, args := range [][]string{append(path, "-h"), append([]string{"help"}, path...)} {
			code, got, _ := runBinary(t, args...)
			assert.Equal(t, 0, code, args)
			assert.Equal(t, want, got, args)
		}
	}
	code, stdout, _ := runBinary(t, "help")
	assert.Equal(t, 0, code)
	for _, n := range sortedNames(commands) {
		assert.Contains(t, stdout, "  "+n+" ")
	}
	assert.Contains(t, stdout, "Exit status: 0 success, 1 runtime error, 2 usage error")
	code, stdout, _ = runBinary(t, "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "usage: lbrx <command>")

	code, _, stderr := runBinary(t, "help", "nosuch")
	assert.Equal(t, 2, code)
	assert.Equal(t, "lbrx help: unknown command \"nosuch\" (run 'lbrx help')\n", stderr)
	code, _, _ = runBinary(t)
	assert.Equal(t, 2, code, "no command is a usage error")
}

// A flag's value that looks like -h is a value, not a request for help.
func TestHelpIsNotTakenFromAFlagValue(t *testing.T) {
	code, _, stderr := runBinary(t, "bench", "matmul", "--dtype", "-h")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--dtype "-h" is not one of`)
}

func TestVersionFromBuildInfo(t *testing.T) {
	code, stdout, stderr := runBinary(t, "--version")
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `^lbrx \S+ .*`+runtime.Version()+"\n$", stdout)
	code, stdout2, _ := runBinary(t, "version")
	assert.Equal(t, 0, code)
	assert.Equal(t, stdout, stdout2)
}
