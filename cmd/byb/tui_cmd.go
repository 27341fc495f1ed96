package main

import (
	"github.com/byb-dev/byb/tracking"
	"github.com/byb-dev/byb/tui"
)

func init() {
	register(&command{name: "tui", summary: "browse, compare and ablate tracked runs in the terminal", run: runTUI})
}

func runTUI(args []string) error {
	fs := newFlagSet("tui", "tui [--tracking PATH]",
		"Opens the terminal UI over the tracker: experiments → runs table (sort, filter, select) → run\ndetail with metric curves; compare and ablation views. Press ? inside for every key.")
	var cf commonFlags
	cf.register(fs, false)
	refresh := fs.Duration("refresh", 0, "how often to check for changes (default 2s; negative: never)")
	if err := parse(fs, args); err != nil {
		return err
	}
	s, err := tracking.OpenExisting(cf.tracking)
	if err != nil {
		return err
	}
	defer s.Close()
	return tui.Run(s, tui.Options{Refresh: *refresh})
}
