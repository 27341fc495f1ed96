package tracking

import (
	"fmt"
	"os"
	"strconv"

	"gopkg.in/yaml.v3"
)

// MLflow's file store keeps each experiment's and each run's record in a meta.yaml of
// top-level scalars, written by PyYAML; yaml.v3 reads what PyYAML writes (quoted, escaped and
// folded scalars) and quotes what it writes wherever a string would read as another type.

// yamlValue is one scalar of a meta.yaml: a string, an int64, nil for null, or the empty list
// of a run's legacy "tags: []".
type yamlValue any

// writeMetaYAML writes m as a YAML mapping of scalars (keys sorted).
func writeMetaYAML(path string, m map[string]yamlValue) error {
	b, err := yaml.Marshal(m)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return writeFileAtomic(path, b)
}

// readMetaYAML reads the top-level scalars of a meta.yaml as strings; a null reads as "",
// nested values are skipped.
func readMetaYAML(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]string{}
	for k, v := range doc {
		switch x := v.(type) {
		case nil:
			out[k] = ""
		case string:
			out[k] = x
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case int, int64, uint64, bool:
			out[k] = fmt.Sprint(x)
		}
	}
	return out, nil
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
