package main

import (
	"fmt"
	"os"
	"sort"
)

// dataVerbs are the sub-commands of `byb data`; each lives in its own file (data_*.go).
var dataVerbs = map[string]*command{}

func registerDataVerb(c *command) { dataVerbs[c.name] = c }

func init() {
	register(&command{name: "data", summary: "generate, import and describe datasets (gen | import | stats)", run: runData})
}

func runData(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(os.Stderr, "Usage: byb data VERB [flags]\n\nVerbs:\n")
		names := make([]string, 0, len(dataVerbs))
		for n := range dataVerbs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(os.Stderr, "  %-8s %s\n", n, dataVerbs[n].summary)
		}
		fmt.Fprintf(os.Stderr, "\nRun \"byb data VERB --help\" for its flags.\n")
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	v, ok := dataVerbs[args[0]]
	if !ok {
		return fmt.Errorf("unknown verb %q for `byb data` (gen, import, stats)", args[0])
	}
	return v.run(args[1:])
}
