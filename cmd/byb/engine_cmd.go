package main

import (
	"fmt"
	"os"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/gomlx/gomlx/pkg/core/graph"
)

func init() {
	register(&command{name: "engine", summary: "show which engine byb would use and check that it computes", run: runEngine})
}

func runEngine(args []string) error {
	fs := newFlagSet("engine", "engine [--backend B] [--json]",
		"Opens the engine chosen by --backend, $GOMLX_BACKEND or the default (XLA CPU when its plugin is\ninstalled, else pure Go), runs a tiny graph on it and prints what it used.")
	var cf commonFlags
	cf.register(fs, true)
	if err := parse(fs, args); err != nil {
		return err
	}
	b, info, err := engine.Open(cf.backend)
	if err != nil {
		return err
	}
	out := graph.MustExecOnce(b, func(x *graph.Node) *graph.Node { return graph.ReduceAllSum(graph.Mul(x, x)) }, []float32{1, 2, 3})
	res := map[string]any{"engine": info, "check_sum_of_squares_1_2_3": out.Value()}
	if cf.json {
		return emitJSON(res)
	}
	fmt.Fprintf(os.Stdout, "engine:  %s\nbackend: %s\ncheck:   sum of squares of [1 2 3] = %v (want 14)\n", info.Config, info.Devices, out.Value())
	return nil
}
