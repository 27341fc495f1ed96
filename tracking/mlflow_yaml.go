package tracking

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MLflow's file store keeps each experiment's and each run's record in a meta.yaml of
// top-level scalars, written by PyYAML. byb writes and reads just that much YAML here rather
// than taking a YAML library as a dependency: the export needs flat maps of strings, integers
// and nulls, nothing nested.

// yamlValue is one scalar of a meta.yaml: a string, an int64, or nil for null.
type yamlValue any

// writeMetaYAML writes m as a YAML mapping of scalars, keys sorted as PyYAML sorts them.
// Strings are double-quoted with JSON's escapes, which are YAML's too, so that any text (an
// experiment named "1", "null" or "a: b") reads back as the same string.
func writeMetaYAML(path string, m map[string]yamlValue) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		b.WriteString(k + ": ")
		switch v := m[k].(type) {
		case nil:
			b.WriteString("null")
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case int:
			b.WriteString(strconv.Itoa(v))
		case string:
			b.WriteString(yamlQuote(v))
		case []string: // only ever empty: the legacy "tags: []" of a run's meta.yaml
			if len(v) != 0 {
				return fmt.Errorf("writing %s: %s: a non-empty list", path, k)
			}
			b.WriteString("[]")
		default:
			return fmt.Errorf("writing %s: %s: unsupported value %T", path, k, v)
		}
		b.WriteByte('\n')
	}
	return writeFileAtomic(path, b.Bytes())
}

// yamlQuote double-quotes s for YAML. JSON's string escapes are a subset of YAML's
// double-quoted ones; "/" is left alone (YAML 1.1, which PyYAML reads, has no "\/").
func yamlQuote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// readMetaYAML reads the top-level scalars of a meta.yaml written by MLflow (PyYAML) or by
// writeMetaYAML, as strings: plain, single- and double-quoted scalars, folded over several
// lines as PyYAML folds long ones. A null reads as "". Nested values are skipped.
func readMetaYAML(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" || line[0] == ' ' || line[0] == '#' || line[0] == '-' || strings.HasPrefix(line, "---") {
			continue
		}
		key, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		// The value goes on over the lines indented below the key.
		parts := []string{strings.TrimSpace(rest)}
		for i+1 < len(lines) && (strings.HasPrefix(lines[i+1], " ") || lines[i+1] == "" && i+2 < len(lines) && strings.HasPrefix(lines[i+2], " ")) {
			i++
			parts = append(parts, strings.TrimSpace(lines[i]))
		}
		v, err := yamlScalar(parts)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, key, err)
		}
		out[strings.TrimSpace(key)] = v
	}
	return out, nil
}

// yamlScalar decodes a scalar given as its lines (the first after "key: ", the others with
// their indentation removed).
func yamlScalar(parts []string) (string, error) {
	first := parts[0]
	switch {
	case strings.HasPrefix(first, `"`):
		return yamlDoubleQuoted(parts)
	case strings.HasPrefix(first, "'"):
		s := strings.TrimSuffix(strings.TrimPrefix(yamlFold(parts, false), "'"), "'")
		return strings.ReplaceAll(s, "''", "'"), nil
	case first == "" && len(parts) == 1, first == "null", first == "~":
		return "", nil
	case first == "" || first[0] == '[' || first[0] == '{' || first[0] == '|' || first[0] == '>':
		return "", nil // a nested or block value: not one byb reads
	}
	return yamlFold(parts, false), nil
}

// yamlFold joins a scalar's lines as YAML folds them: a line break is a space, an empty line
// a newline. With escapes (double-quoted), a line ending in "\" joins the next without space.
func yamlFold(parts []string, escapes bool) string {
	var b strings.Builder
	for i, p := range parts {
		switch {
		case i == 0:
		case p == "":
			b.WriteByte('\n')
			continue
		case parts[i-1] == "":
		case escapes && strings.HasSuffix(parts[i-1], `\`) && !strings.HasSuffix(parts[i-1], `\\`):
		default:
			b.WriteByte(' ')
		}
		if escapes && i < len(parts)-1 && strings.HasSuffix(p, `\`) && !strings.HasSuffix(p, `\\`) {
			p = strings.TrimSuffix(p, `\`)
		}
		b.WriteString(p)
	}
	return b.String()
}

// yamlEscapes are YAML's one-character escapes of double-quoted scalars.
var yamlEscapes = map[byte]string{'0': "\x00", 'a': "\a", 'b': "\b", 't': "\t", '\t': "\t", 'n': "\n", 'v': "\v", 'f': "\f",
	'r': "\r", 'e': "\x1b", ' ': " ", '"': `"`, '/': "/", '\\': `\`, 'N': "\u0085", '_': "\u00a0", 'L': "\u2028", 'P': "\u2029"}

func yamlDoubleQuoted(parts []string) (string, error) {
	s := yamlFold(parts, true)
	if len(s) < 2 || !strings.HasSuffix(s, `"`) {
		return "", fmt.Errorf("unterminated double-quoted string %q", s)
	}
	s = s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("a string ends in a lone backslash")
		}
		i++
		if e, ok := yamlEscapes[s[i]]; ok {
			b.WriteString(e)
			continue
		}
		width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[i]]
		if width == 0 {
			return "", fmt.Errorf("unknown escape \\%c", s[i])
		}
		if i+1+width > len(s) {
			return "", fmt.Errorf("escape \\%c is cut short", s[i])
		}
		r, err := strconv.ParseUint(s[i+1:i+1+width], 16, 32)
		if err != nil {
			return "", fmt.Errorf("escape \\%c%s: %w", s[i], s[i+1:i+1+width], err)
		}
		if !utf8.ValidRune(rune(r)) {
			return "", fmt.Errorf("escape \\%c%s is not a character", s[i], s[i+1:i+1+width])
		}
		b.WriteRune(rune(r))
		i += width
	}
	return b.String(), nil
}

// writeFileAtomic writes data to path through a temporary file renamed over it, so that a
// reader (MLflow's UI, open beside a re-export) sees the old file or the new one, never half.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".byb-tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
