package tracking

import (
	"os"
	"path/filepath"
	"testing"
)

// meta.yaml files as MLflow writes them (PyYAML's dump, default_flow_style=False,
// allow_unicode=True), each with the name it holds: PyYAML quotes, escapes and folds long
// names, and the export reads existing experiments' names to put byb's runs beside them.
var pyyamlNames = []struct{ yaml, name string }{
	{"name: a very long experiment name that goes on and on well past the eighty columns\n  PyYAML folds at, to see\n",
		"a very long experiment name that goes on and on well past the eighty columns PyYAML folds at, to see"},
	{"name: 'it''s: \"quoted\" # not a comment'\n", `it's: "quoted" # not a comment`},
	{"name: '123'\n", "123"},
	{"name: 'null'\n", "null"},
	{"name: ünïcode ✓\n", "ünïcode ✓"},
	{"name: \"bell\\aand\\ttab\"\n", "bell\aand\ttab"},
	{"name: '  leading'\n", "  leading"},
	{"name: 'line\n\n  break'\n", "line\nbreak"},
	{"name: \"a long name with a bell \\a in it that PyYAML has to double quote and fold over\\\n  \\ lines because it is long\"\n",
		"a long name with a bell \a in it that PyYAML has to double quote and fold over lines because it is long"},
	{"name: \"tab\\tand  two  spaces that go on for a long while past the folding column of\\\n  \\ eighty chars\"\n",
		"tab\tand  two  spaces that go on for a long while past the folding column of eighty chars"},
}

func TestMetaYAMLReadsWhatPyYAMLWrites(t *testing.T) {
	dir := t.TempDir()
	for i, tc := range pyyamlNames {
		path := filepath.Join(dir, "meta.yaml")
		body := "artifact_location: file:///tmp/mlruns/7\nexperiment_id: '7'\nlifecycle_stage: active\n" + tc.yaml + "tags: []\nworkspace: default\n"
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := readMetaYAML(path)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if m["name"] != tc.name || m["experiment_id"] != "7" || m["lifecycle_stage"] != "active" || m["workspace"] != "default" {
			t.Errorf("%d: read %q, want name %q:\n%s", i, m, tc.name, body)
		}
	}
}

// What writeMetaYAML writes reads back the same, whatever the text: quotes, colons, words YAML
// would take for other types, control characters, newlines.
func TestMetaYAMLRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.yaml")
	want := map[string]yamlValue{"name": "a: \"b\" 'c' # d\n\te\x07 ✓", "experiment_id": "1", "yes": "null", "start_time": int64(1796649957084),
		"end_time": nil, "tags": []string{}}
	if err := writeMetaYAML(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := readMetaYAML(path)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"name": want["name"].(string), "experiment_id": "1", "yes": "null", "start_time": "1796649957084", "end_time": ""} {
		if got[k] != v {
			t.Errorf("%s: read %q, want %q", k, got[k], v)
		}
	}
	if _, err := os.Stat(path + ".byb-tmp"); !os.IsNotExist(err) {
		t.Errorf("the temporary file is left behind (%v)", err)
	}
}
