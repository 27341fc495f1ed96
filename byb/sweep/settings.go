package sweep

import "strings"

// Merge adds a point's settings to base, a settings string a command already has (its own
// --set): a name both give takes the point's value, in base's place; the point's other names
// follow. Entries of base that are not name=value (GoMLX's "file:PATH") are kept as they are.
func Merge(base string, p Point) string {
	used := map[string]bool{}
	var out []string
	for _, e := range strings.Split(base, ";") {
		if strings.TrimSpace(e) == "" {
			continue
		}
		if v, ok := p.Value(entryName(e)); ok {
			e = entryName(e) + "=" + v
			used[entryName(e)] = true
		}
		out = append(out, e)
	}
	for _, s := range p {
		if !used[s.Name] {
			out = append(out, s.Name+"="+s.Value)
		}
	}
	return strings.Join(out, ";")
}

// Settings reads a settings string's name=value entries (the rest is skipped): the values a
// run was given, to read a point back from a run's recorded --set.
func Settings(s string) Point {
	var p Point
	for _, e := range strings.Split(s, ";") {
		if name, v, ok := strings.Cut(e, "="); ok && strings.TrimSpace(name) != "" {
			p = append(p, Setting{strings.TrimSpace(name), strings.TrimSpace(v)})
		}
	}
	return p
}

func entryName(e string) string {
	name, _, _ := strings.Cut(e, "=")
	return strings.TrimSpace(name)
}
