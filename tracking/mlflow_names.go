package tracking

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// MLflow's file store keeps each param, metric and tag in a file named by its key, and refuses
// to read a run with a key it would not have accepted for writing: only letters, digits, "_",
// "-", ".", " ", ":" and "/" (a "/" makes folders), with no empty, "." or ".." part. byb's own
// keys (test_auroc, train/loss, pretrain.byb_loss) pass as they are; a tag a user typed in the
// TUI may not, and is renamed rather than making the whole run unreadable.

// mlflowKeyOK reports whether MLflow reads key as it is.
func mlflowKeyOK(key string) bool { return key != "" && mlflowKey(key) == key }

// mlflowKey is key with every character MLflow refuses replaced by "_", and every empty, "."
// or ".." part of its path replaced by "_" or "__".
func mlflowKey(key string) string {
	if key == "" {
		return "_"
	}
	clean := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-. :/", r) {
			return r
		}
		return '_'
	}, key)
	parts := strings.Split(clean, "/")
	for i, p := range parts {
		switch p {
		case "", ".":
			parts[i] = "_"
		case "..":
			parts[i] = "__"
		}
	}
	return strings.Join(parts, "/")
}

// keyNames gives each key of one kind (params, metrics or tags) of one run the file name
// MLflow reads it by: the key itself when MLflow takes it, else mlflowKey's, kept apart from
// every other name ("a#" becomes "a__2" beside a key "a_"); and a name that another needs as
// a folder ("a" beside "a/b") gets a suffix too. The keys MLflow takes as they are come first,
// so that they are never the ones renamed. renamed collects key → name for the report.
func keyNames(keys []string, renamed map[string]string) map[string]string {
	sorted := append([]string(nil), keys...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if a, b := mlflowKeyOK(sorted[i]), mlflowKeyOK(sorted[j]); a != b {
			return a
		}
		return sorted[i] < sorted[j]
	})
	folders := map[string]bool{} // every folder the names need
	for _, k := range sorted {
		name := mlflowKey(k)
		for i := strings.LastIndexByte(name, '/'); i > 0; i = strings.LastIndexByte(name[:i], '/') {
			folders[name[:i]] = true
		}
	}
	names, used := map[string]string{}, map[string]bool{}
	for _, k := range sorted {
		if _, done := names[k]; done {
			continue
		}
		base := mlflowKey(k)
		name := base
		for i := 2; used[name] || folders[name]; i++ {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		names[k], used[name] = name, true
		if name != k {
			renamed[k] = name
		}
	}
	return names
}
