// Command byb is the one command-line program of byb: data import and generation,
// pretraining, finetuning, embedding export, reproductions, run tracking and the TUI.
//
// Each subcommand lives in its own file and registers itself in commands (see register);
// `byb help CMD` and `byb CMD --help` print its full help.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/methods"
)

// command is one subcommand. Subcommands with sub-verbs (data, runs) dispatch themselves.
type command struct {
	name    string
	summary string                    // one line for the overview
	run     func(args []string) error // receives the arguments after the command name
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

func usage() {
	fmt.Fprintf(os.Stderr, `byb — self-supervised pretraining on user behavior sequences ("Bootstrapping Your Behavior").

Usage: byb COMMAND [flags]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(os.Stderr, `
Run "byb COMMAND --help" for the flags of a command.
Engine: --backend (or $GOMLX_BACKEND) = xla | xla:cpu | xla:cuda | xla:/path/plugin.so | go.
`)
}

func main() {
	// `byb reproduce table3` measures each method in a fresh process of this executable.
	bench.ServeIsolated(methods.Lookup)
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	name := os.Args[1]
	switch name {
	case "-h", "--help", "help":
		if len(os.Args) > 2 {
			if c, ok := commands[os.Args[2]]; ok {
				os.Exit(exitCode(c.run([]string{"--help"})))
			}
		}
		usage()
		return
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "byb: unknown command %q (run `byb help` for the list)\n", name)
		os.Exit(2)
	}
	os.Exit(exitCode(c.run(os.Args[2:])))
}

// exitCode prints err as one line and maps it to the process exit status.
func exitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case interrupted(err):
		fmt.Fprintf(os.Stderr, "byb: %s\n", strings.TrimSpace(err.Error()))
		return 130 // 128+SIGINT, as a shell reports a command the user stopped
	default:
		fmt.Fprintf(os.Stderr, "byb: %s\n", strings.TrimSpace(err.Error()))
		return 1
	}
}

// interrupted reports whether err says the user stopped the command (a Killed method).
func interrupted(err error) bool {
	var k interface{ Killed() bool }
	return errors.As(err, &k) && k.Killed()
}

// errUsage marks an error already explained by the flag package (bad flag, missing argument).
var errUsage = errors.New("usage error")

// newFlagSet builds a flag set whose --help prints the given description above the flags.
func newFlagSet(name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: byb %s\n\n%s\n\nFlags:\n", synopsis, strings.TrimSpace(description))
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; a bad flag becomes errUsage (the flag package already printed why).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}
