// Package sweep turns a hyper-parameter search space into points and picks the best of
// their scores: a grid spec such as "learning_rate=1e-4,3e-4,1e-3;batch_size=32,64" gives
// its Cartesian product (or a seeded random sample of it, or of log-uniform ranges), each
// point a settings string for --set, and Best/Rank choose among the points' scores.
//
// It knows nothing of how a point is run or scored: `byb sweep` runs each point as a
// subprocess and reads its score from the tracker; a table runner may run points in-process.
// So it imports nothing of byb's, and the spec's names are not checked here (the caller
// knows which names exist).
package sweep

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// MaxPoints bounds a grid's size: a sweep runs every point, and a spec that multiplies out
// to more than this is a mistake, not a plan.
const MaxPoints = 1_000_000

// Axis is one swept parameter: a list of values (a grid axis) or, when Log is set, a
// log-uniform range that only a random sample can draw from.
type Axis struct {
	Name   string
	Values []string // as the user spelt them: "1e-4" stays "1e-4"
	Log    *LogRange
}

// LogRange is a log-uniform range [Lo, Hi], spelt "log(Lo,Hi)": learning rates and weight
// decays are searched over orders of magnitude.
type LogRange struct{ Lo, Hi float64 }

// Spec is a parsed search space, its axes in the order written.
type Spec struct{ Axes []Axis }

// Setting is one name=value of a point.
type Setting struct{ Name, Value string }

// Point is one combination of values, one Setting per axis, in the spec's order.
type Point []Setting

// String renders p as a settings string, "name=value;name=value" (what --set takes).
func (p Point) String() string {
	parts := make([]string, len(p))
	for i, s := range p {
		parts[i] = s.Name + "=" + s.Value
	}
	return strings.Join(parts, ";")
}

// DirName is p as one directory name, "learning_rate=1e-3,batch_size=64": each point of a
// sweep writes its own run directory, named so that a rerun of the sweep finds it again.
func (p Point) DirName() string {
	return strings.NewReplacer(";", ",", "/", "_", string(filepath.Separator), "_").Replace(p.String())
}

// Value is the value p gives name.
func (p Point) Value(name string) (string, bool) {
	for _, s := range p {
		if s.Name == name {
			return s.Value, true
		}
	}
	return "", false
}

// Parse reads a spec: axes separated by ";", each "name=v1,v2,..." or "name=log(lo,hi)".
// Spaces around names and values are dropped; values are otherwise kept as written. An
// error quotes the part it is about.
func Parse(spec string) (Spec, error) {
	var s Spec
	seen := map[string]bool{}
	for _, part := range strings.Split(spec, ";") {
		if strings.TrimSpace(part) == "" {
			continue // "a=1;b=2;" — a trailing separator is not worth an error
		}
		name, values, ok := strings.Cut(part, "=")
		name, values = strings.TrimSpace(name), strings.TrimSpace(values)
		switch {
		case !ok:
			return Spec{}, fmt.Errorf("sweep: %q: want name=value,value,... or name=log(lo,hi)", part)
		case name == "":
			return Spec{}, fmt.Errorf("sweep: %q: no parameter name before =", part)
		case seen[name]:
			return Spec{}, fmt.Errorf("sweep: %q: %s is swept twice", part, name)
		}
		seen[name] = true
		ax := Axis{Name: name}
		var err error
		if strings.HasPrefix(values, "log(") {
			ax.Log, err = parseLog(values)
		} else {
			ax.Values, err = parseValues(values)
		}
		if err != nil {
			return Spec{}, fmt.Errorf("sweep: %q: %v", part, err)
		}
		s.Axes = append(s.Axes, ax)
	}
	if len(s.Axes) == 0 {
		return Spec{}, fmt.Errorf("sweep: empty spec %q: want name=value,value,...;name=...", spec)
	}
	return s, nil
}

func parseValues(list string) ([]string, error) {
	if list == "" {
		return nil, fmt.Errorf("no values after =")
	}
	var out []string
	seen := map[string]bool{}
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			return nil, fmt.Errorf("an empty value in %q", list)
		case seen[v]:
			return nil, fmt.Errorf("value %s given twice (it would run the same point twice)", v)
		}
		seen[v] = true
		out = append(out, v)
	}
	return out, nil
}

func parseLog(s string) (*LogRange, error) {
	inner, ok := strings.CutSuffix(strings.TrimPrefix(s, "log("), ")")
	lo, hi, two := strings.Cut(inner, ",")
	if !ok || !two || strings.Contains(hi, ",") {
		return nil, fmt.Errorf("%q: a log-uniform range is log(lo,hi)", s)
	}
	var r LogRange
	var err error
	if r.Lo, err = strconv.ParseFloat(strings.TrimSpace(lo), 64); err != nil {
		return nil, fmt.Errorf("%q: lo %q is not a number", s, strings.TrimSpace(lo))
	}
	if r.Hi, err = strconv.ParseFloat(strings.TrimSpace(hi), 64); err != nil {
		return nil, fmt.Errorf("%q: hi %q is not a number", s, strings.TrimSpace(hi))
	}
	if !(r.Lo > 0) || !(r.Hi > r.Lo) || math.IsInf(r.Hi, 0) {
		return nil, fmt.Errorf("%q: a log-uniform range needs 0 < lo < hi", s)
	}
	return &r, nil
}

// Names are the swept parameters, in the spec's order.
func (s Spec) Names() []string {
	out := make([]string, len(s.Axes))
	for i, a := range s.Axes {
		out[i] = a.Name
	}
	return out
}

// HasRange reports whether some axis is a log-uniform range (which only Sample can draw).
func (s Spec) HasRange() bool {
	for _, a := range s.Axes {
		if a.Log != nil {
			return true
		}
	}
	return false
}

// Size is the number of points of the grid, the product of the axes' lengths.
func (s Spec) Size() (int, error) {
	if err := s.gridOnly(); err != nil {
		return 0, err
	}
	n := 1
	for _, a := range s.Axes {
		n *= len(a.Values)
		if n > MaxPoints {
			return 0, fmt.Errorf("sweep: the grid has more than %d points", MaxPoints)
		}
	}
	return n, nil
}

func (s Spec) gridOnly() error {
	for _, a := range s.Axes {
		if a.Log != nil {
			return fmt.Errorf("sweep: %s=log(%g,%g) is a range, not a list: a grid needs values (a range needs a random sample)",
				a.Name, a.Log.Lo, a.Log.Hi)
		}
	}
	return nil
}

// Grid is every point of the Cartesian product, the first axis varying slowest (as nested
// loops written in the spec's order), so that the same spec always runs in the same order.
func (s Spec) Grid() ([]Point, error) {
	n, err := s.Size()
	if err != nil {
		return nil, err
	}
	out := make([]Point, n)
	for i := range out {
		out[i] = s.point(i)
	}
	return out, nil
}

// point is the grid's i-th point: i written in the mixed radix of the axes' lengths, the
// last axis the lowest digit.
func (s Spec) point(i int) Point {
	p := make(Point, len(s.Axes))
	for a := len(s.Axes) - 1; a >= 0; a-- {
		vs := s.Axes[a].Values
		p[a] = Setting{s.Axes[a].Name, vs[i%len(vs)]}
		i /= len(vs)
	}
	return p
}
