package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/gomlx/gomlx/backends"
)

// commonFlags are the flags every command takes (DESIGN.md's command-line contract).
type commonFlags struct {
	json     bool
	tracking string
	backend  string
}

func (c *commonFlags) register(fs *flag.FlagSet, withBackend bool) {
	fs.BoolVar(&c.json, "json", false, "print the result as one JSON object on stdout (progress goes to stderr)")
	def := os.Getenv("BYB_TRACKING")
	if def == "" {
		def = "byb.db"
	}
	fs.StringVar(&c.tracking, "tracking", def, "tracker database (SQLite); $BYB_TRACKING sets the default")
	if withBackend {
		fs.StringVar(&c.backend, "backend", "", "engine: xla | xla:cpu | xla:cuda | xla:/path/plugin.so | go (default: $GOMLX_BACKEND, else XLA CPU when installed, else go)")
	}
}

// openEngine opens the chosen engine and prints which one on stderr.
func (c *commonFlags) openEngine() (backends.Backend, engine.Info, error) {
	b, info, err := engine.Open(c.backend)
	if err != nil {
		return nil, info, err
	}
	fmt.Fprintf(os.Stderr, "engine: %s\n", info)
	return b, info, nil
}

// emitJSON writes v as one JSON object on stdout.
func emitJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
