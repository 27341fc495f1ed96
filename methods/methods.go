// Package methods is the one place that links every pretraining method into a program: BYB
// (package objective) and the paper's baselines (package baselines). The command line, the
// experiments and the notebooks import it, so no method is missing for want of a blank import.
package methods

import (
	_ "github.com/byb-dev/byb/baselines" // registers NBP, MBMv1, MBMv2, CTS, MSDP
	"github.com/byb-dev/byb/byb/objective"
)

// Lookup returns the method registered under name.
func Lookup(name string) (objective.Method, error) { return objective.Lookup(name) }

// Names lists every method, sorted.
func Names() []string { return objective.Names() }
