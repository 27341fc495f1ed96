package params

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Set is a configuration: the declared parameters a run sets, each with a value of its
// declared type, optionally under an absolute scope ("/head/ft_hidden"). The CLI parses a
// --set text into one once (Parse); packages then pass Sets and combine them with With and
// Then, never by joining text, so a value's spelling cannot change what a run does or how it
// is cached.
//
// The zero Set sets nothing (every default). Sets are values: With and Then return new ones.
type Set struct {
	entries []setEntry // in the order first set; setting a path again replaces its value in place
}

type setEntry struct {
	path  string // "name" or "/scope/name"
	value any    // of the declared type of name
}

// Parse reads a "name=value;/scope/name=value;..." text (GoMLX's settings syntax, file:PATH
// entries included): every name must be declared, every value must parse as its declared type
// and lie in its range. A name given twice keeps the later value.
func Parse(text string) (Set, error) {
	ctx := context.New()
	SetDefaults(ctx)
	paths, err := Apply(ctx, text)
	if err != nil {
		return Set{}, err
	}
	var s Set
	for _, path := range paths {
		scope, name := context.SplitScope(path)
		in := ctx
		if scope != "" {
			in = ctx.InAbsPath(scope)
		}
		v, _ := in.GetParam(name)
		s = s.With(path, v)
	}
	return s, nil
}

// MustParse is Parse for settings written in byb's own code (a table's budget, a protocol):
// a text that does not parse is a programming error and panics.
func MustParse(text string) Set {
	s, err := Parse(text)
	if err != nil {
		panic(fmt.Sprintf("params.MustParse(%q): %v", text, err))
	}
	return s
}

// With returns s with path ("name" or "/scope/name") set to value. value must have the
// declared type of name (an int is taken for a float64 parameter); an undeclared name or
// another type is a programming error and panics.
func (s Set) With(path string, value any) Set {
	value, err := typed(path, value, false)
	if err != nil {
		panic("params.Set.With: " + err.Error())
	}
	out := Set{entries: make([]setEntry, 0, len(s.entries)+1)}
	replaced := false
	for _, e := range s.entries {
		if e.path == path {
			e.value, replaced = value, true
		}
		out.entries = append(out.entries, e)
	}
	if !replaced {
		out.entries = append(out.entries, setEntry{path, value})
	}
	return out
}

// Then returns s with over's values on top: where both set a path, over's value wins.
func (s Set) Then(over Set) Set {
	for _, e := range over.entries {
		s = s.With(e.path, e.value)
	}
	return s
}

// Without returns s without the given paths (their defaults, or what a context already
// holds, apply again).
func (s Set) Without(paths ...string) Set {
	var out Set
	for _, e := range s.entries {
		drop := false
		for _, p := range paths {
			drop = drop || e.path == p
		}
		if !drop {
			out.entries = append(out.entries, e)
		}
	}
	return out
}

// Lookup returns the value s sets path to, if it sets it.
func (s Set) Lookup(path string) (any, bool) {
	for _, e := range s.entries {
		if e.path == path {
			return e.value, true
		}
	}
	return nil, false
}

// Empty reports whether s sets nothing.
func (s Set) Empty() bool { return len(s.entries) == 0 }

// Apply sets s's values in ctx and checks every parameter of ctx against its range.
func (s Set) Apply(ctx *context.Context) error {
	s.setIn(ctx)
	return CheckRanges(ctx)
}

// setIn puts s's values in ctx, each in its scope.
func (s Set) setIn(ctx *context.Context) {
	for _, e := range s.entries {
		scope, name := context.SplitScope(e.path)
		in := ctx
		if scope != "" {
			in = ctx.InAbsPath(scope)
		}
		in.SetParam(name, e.value)
	}
}

// String is s as settings text, "name=value;..." in the order the values were first set:
// what a user reads (a run's recorded settings, a table's legend), and what Parse reads back
// to an equal Set.
func (s Set) String() string {
	parts := make([]string, len(s.entries))
	for i, e := range s.entries {
		parts[i] = fmt.Sprintf("%s=%v", e.path, e.value)
	}
	return strings.Join(parts, ";")
}

// Canonical is the one encoding of the configuration s stands for: every declared parameter
// with the value s gives it, its default otherwise, then the scoped values s sets, each sorted
// by name, as "name=value;...". Two Sets that configure alike (a default spelt out or not,
// values set in another order) encode alike, and a changed default changes it: cache keys and
// run-directory names are made from it.
func (s Set) Canonical() string {
	ctx := context.New()
	SetDefaults(ctx)
	s.setIn(ctx)
	var root, scoped []string
	ctx.EnumerateParams(func(scope, key string, value any) {
		if scope == context.RootScope {
			if _, ok := Lookup(key); ok {
				root = append(root, fmt.Sprintf("%s=%v", key, value))
			}
			return
		}
		scoped = append(scoped, fmt.Sprintf("%s/%s=%v", scope, key, value))
	})
	sort.Strings(root)
	sort.Strings(scoped)
	return strings.Join(append(root, scoped...), ";")
}

// WithRead returns s with path set to v, a value read back from a document (a run's
// config.json): JSON gives every number as a float64, which an int parameter takes when it is
// whole. A value of another kind than the declaration is an error that names path.
func (s Set) WithRead(path string, v any) (Set, error) {
	v, err := typed(path, v, true)
	if err != nil {
		return s, err
	}
	return s.With(path, v), nil
}

// typed returns v as the declared type of path's parameter: an int is taken for a float64
// parameter, and with fromJSON a whole float64 for an int one (JSON gives every number as a
// float64); another type, or an undeclared name, is an error.
func typed(path string, v any, fromJSON bool) (any, error) {
	_, name := context.SplitScope(path)
	p, ok := Lookup(name)
	if !ok {
		return nil, Unknown(name)
	}
	switch x := v.(type) {
	case int:
		if _, isFloat := p.Default.(float64); isFloat {
			v = float64(x)
		}
	case float64:
		if _, isInt := p.Default.(int); isInt && fromJSON && x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			v = int(x)
		}
	}
	if reflect.TypeOf(v) != reflect.TypeOf(p.Default) {
		return nil, fmt.Errorf("%s=%v: a %T, but the parameter is a %T", path, v, v, p.Default)
	}
	return v, nil
}

// MarshalText writes s as its String, so that a Set in a JSON document (a benchmark's
// configuration, handed to the process that runs it) reads as the settings a user would type.
func (s Set) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a Set written by MarshalText.
func (s *Set) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*s = p
	return nil
}
