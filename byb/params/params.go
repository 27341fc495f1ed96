// Package params is byb's one registry of hyper-parameters. Every package declares its own
// once, with its default and a line of help (in its init); every context a command builds
// holds all of them (GoMLX's convention: the default fixes a parameter's type, and
// "name=value;..." settings override it), so --set accepts any of them in any command, an
// unknown name lists the known ones and suggests the closest, and --help texts are made
// from the same declarations.
package params

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/ui/commandline"
)

// Param is one hyper-parameter.
type Param struct {
	Name    string
	Default any    // int, float64, bool or string: it fixes the type
	Help    string // one line
	Group   string // who declares it: "encoder", "train", "finetune", "sequence", "byb", a baseline's name
	// Range bounds a numeric parameter ("" = any value): "> 0", ">= 0", or an interval
	// such as "[0, 1)"; see the constants below. Apply refuses a value outside it.
	Range string
	// Shape marks a parameter that changes the shapes (or the set) of the model's variables:
	// a checkpoint made with one value cannot be resumed with another.
	Shape bool
}

// The ranges most parameters have.
const (
	Positive    = "> 0"
	NonNegative = ">= 0"
	Fraction    = "in [0, 1)" // dropout, a share that may be zero but not everything
	OpenUnit    = "in (0, 1)" // a mask ratio: something, but not everything
	Unit        = "in [0, 1]" // an EMA momentum
)

// bounds is a parsed Range.
type bounds struct {
	lo, hi         float64
	loOpen, hiOpen bool
}

func parseRange(r string) (bounds, error) {
	b := bounds{lo: math.Inf(-1), hi: math.Inf(1)}
	r = strings.TrimSpace(strings.TrimPrefix(r, "in "))
	var err error
	switch {
	case strings.HasPrefix(r, ">="):
		b.lo, err = strconv.ParseFloat(strings.TrimSpace(r[2:]), 64)
	case strings.HasPrefix(r, ">"):
		b.lo, err = strconv.ParseFloat(strings.TrimSpace(r[1:]), 64)
		b.loOpen = true
	case len(r) > 2 && (r[0] == '[' || r[0] == '(') && (r[len(r)-1] == ']' || r[len(r)-1] == ')'):
		lo, hi, ok := strings.Cut(r[1:len(r)-1], ",")
		if !ok {
			return b, fmt.Errorf("range %q: want [lo, hi]", r)
		}
		if b.lo, err = strconv.ParseFloat(strings.TrimSpace(lo), 64); err == nil {
			b.hi, err = strconv.ParseFloat(strings.TrimSpace(hi), 64)
		}
		b.loOpen, b.hiOpen = r[0] == '(', r[len(r)-1] == ')'
	default:
		return b, fmt.Errorf("range %q: want > x, >= x or an interval", r)
	}
	return b, err
}

func (b bounds) contains(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	if v < b.lo || (b.loOpen && v == b.lo) || v > b.hi || (b.hiOpen && v == b.hi) {
		return false
	}
	return true
}

var (
	mu       sync.Mutex
	byName   = map[string]Param{}
	declared []string // names in declaration order
)

// Register declares parameters of group; a name declared twice panics (a programming error:
// one name, one meaning).
func Register(group string, ps ...Param) {
	mu.Lock()
	defer mu.Unlock()
	for _, p := range ps {
		if _, dup := byName[p.Name]; dup {
			panic(fmt.Sprintf("params: %q declared twice", p.Name))
		}
		switch p.Default.(type) {
		case int, float64, bool, string:
		default:
			panic(fmt.Sprintf("params: %q has a default of type %T: use int, float64, bool or string", p.Name, p.Default))
		}
		if p.Range != "" {
			b, err := parseRange(p.Range)
			if v, ok := number(p.Default); err != nil || !ok || !b.contains(v) {
				panic(fmt.Sprintf("params: %q: range %q does not fit its default %v (%v)", p.Name, p.Range, p.Default, err))
			}
		}
		p.Group = group
		byName[p.Name] = p
		declared = append(declared, p.Name)
	}
}

// Lookup returns the declaration of name.
func Lookup(name string) (Param, bool) {
	mu.Lock()
	defer mu.Unlock()
	p, ok := byName[name]
	return p, ok
}

// All returns every declared parameter, in declaration order.
func All() []Param {
	mu.Lock()
	defer mu.Unlock()
	out := make([]Param, len(declared))
	for i, n := range declared {
		out[i] = byName[n]
	}
	return out
}

// Get reads a declared parameter from ctx (its root scope, or the closest scope that sets
// it), or the registry's default where ctx does not hold it: a default is written once, in
// its declaration, never again at a call site. T is the declared type; an undeclared name or
// another type is a programming error and panics (TestEveryReadIsDeclared keeps the sources
// free of both).
func Get[T int | float64 | bool | string](ctx *context.Context, name string) T {
	p, ok := Lookup(name)
	if !ok {
		panic(fmt.Sprintf("params.Get(%q): no such parameter is declared", name))
	}
	def, ok := p.Default.(T)
	if !ok {
		panic(fmt.Sprintf("params.Get[%T](%q): the parameter is declared as %T", def, name, p.Default))
	}
	return context.GetParamOr(ctx, name, def)
}

// SetDefaults puts every declared parameter with its default in ctx (root scope).
func SetDefaults(ctx *context.Context) {
	values := map[string]any{}
	for _, p := range All() {
		values[p.Name] = p.Default
	}
	ctx.SetParams(values)
}

// Apply overrides ctx's parameters from a "name=value;scope/name=value" string and returns the
// names set. A name that is not declared (nor already in ctx) is an error that suggests the
// closest known name and lists them all.
func Apply(ctx *context.Context, settings string) ([]string, error) {
	for _, kv := range strings.Split(settings, ";") {
		name, _, _ := strings.Cut(kv, "=")
		name = strings.TrimSpace(name)
		if name == "" || strings.HasPrefix(kv, "file:") {
			continue
		}
		base := name[strings.LastIndex(name, "/")+1:]
		if _, ok := Lookup(base); ok {
			continue
		}
		if _, ok := ctx.GetParam(base); ok {
			continue
		}
		return nil, Unknown(base)
	}
	names, err := commandline.ParseContextSettings(ctx, settings)
	if err != nil {
		return nil, err
	}
	return names, CheckRanges(ctx)
}

// CheckRanges refuses a context holding a declared parameter outside its Range, in any scope,
// with one line that says which, what it holds, and what it may hold.
func CheckRanges(ctx *context.Context) error {
	var bad []string
	ctx.EnumerateParams(func(scope, key string, value any) {
		p, ok := Lookup(key)
		if !ok || p.Range == "" {
			return
		}
		v, ok := number(value)
		if b, _ := parseRange(p.Range); ok && !b.contains(v) {
			name := key
			if scope != context.RootScope {
				name = scope + "/" + key
			}
			bad = append(bad, fmt.Sprintf("%s=%v must be %s (%s)", name, value, strings.TrimPrefix(p.Range, "in "), p.Help))
		}
	})
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("parameter out of range: %s", strings.Join(bad, "; "))
	}
	return nil
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// Unknown is the error for a parameter name nobody declared.
func Unknown(name string) error {
	var names []string
	for _, p := range All() {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	hint := ""
	if c := Closest(name, names); c != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", c)
	}
	return fmt.Errorf("parameter %q is not known%s; known: %s", name, hint, strings.Join(names, ", "))
}

// Closest returns the candidate nearest to name in edit distance, if it is near enough to be
// a plausible typo (at most a third of the name's length, at least 2 edits allowed), or else
// a candidate that is name with a method's prefix ("tau" → "byb_tau").
func Closest(name string, candidates []string) string {
	for _, c := range candidates {
		if strings.HasSuffix(c, "_"+name) && editDistance(name, c) > max(2, len(name)/3) {
			return c
		}
	}
	best, bestD := "", max(2, len(name)/3)+1
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Help lists the parameters of the given groups (all when none), one per line:
// "  name=default  help", grouped under their group's name.
func Help(groups ...string) string {
	want := map[string]bool{}
	for _, g := range groups {
		want[g] = true
	}
	var b strings.Builder
	last := ""
	for _, p := range All() {
		if len(want) > 0 && !want[p.Group] {
			continue
		}
		if p.Group != last {
			fmt.Fprintf(&b, "%s:\n", p.Group)
			last = p.Group
		}
		rng := ""
		if p.Range != "" {
			rng = "; " + p.Range
		}
		fmt.Fprintf(&b, "  %s=%v  %s%s\n", p.Name, p.Default, p.Help, rng)
	}
	return b.String()
}

// SetGroup puts the parameters of one group with their defaults in ctx.
func SetGroup(ctx *context.Context, group string) {
	values := map[string]any{}
	for _, p := range All() {
		if p.Group == group {
			values[p.Name] = p.Default
		}
	}
	ctx.SetParams(values)
}

// ShapeValues returns the value of every Shape parameter in ctx (root scope), by name.
func ShapeValues(ctx *context.Context) map[string]any {
	out := map[string]any{}
	for _, p := range All() {
		if p.Shape {
			if v, ok := ctx.GetParam(p.Name); ok {
				out[p.Name] = v
			}
		}
	}
	return out
}
