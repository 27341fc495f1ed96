// Package notebooks holds byb's GoNB (Go in Jupyter) notebooks and the test that executes
// them headless, so that they keep working as the code changes. The notebooks import the
// checkout they sit in (a module replace to ${GONB_DIR}/..), never a published byb.
//
// `just notebooks` opens them in Jupyter; `just notebooks-run` executes them in place,
// refreshing the outputs saved with them; `go test ./notebooks/...` executes each into a
// temporary copy and fails on any cell that did not run cleanly (see Problems).
package notebooks

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	// The notebooks import this package: it links every pretraining method (the baselines
	// register themselves) into their programs, as the byb binary does.
	_ "github.com/byb-dev/byb/methods"
)

// notebook is the part of the .ipynb format (nbformat 4) the check reads.
type notebook struct {
	Cells []struct {
		CellType       string `json:"cell_type"`
		ExecutionCount *int   `json:"execution_count"` // null: the cell never ran
		Outputs        []struct {
			OutputType string         `json:"output_type"`
			Name       string         `json:"name"` // stream: stdout or stderr
			Text       []string       `json:"text"`
			Data       map[string]any `json:"data"`
			EName      string         `json:"ename"`
			EValue     string         `json:"evalue"`
		} `json:"outputs"`
	} `json:"cells"`
}

// failure marks the stderr of a Go program that did not end well: a panic, a non-zero exit
// (GoNB prints "exit status N"), or a failed build step ("failed to run", from GoNB).
var failure = regexp.MustCompile(`panic: |exit status [1-9]|failed to run "`)

// Problems lists every code cell of an executed notebook that did not run cleanly: an error
// output (Jupyter's, or GoNB's for a compile error), a stderr or HTML output showing a panic,
// a non-zero exit or a failed build, or a cell that never ran.
// nbconvert alone exits 0 after a Go panic, which GoNB reports only as stderr text.
func Problems(ipynb []byte) ([]string, error) {
	var nb notebook
	if err := json.Unmarshal(ipynb, &nb); err != nil {
		return nil, fmt.Errorf("not a notebook: %w", err)
	}
	var problems []string
	code := 0
	for _, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		code++
		if c.ExecutionCount == nil {
			problems = append(problems, fmt.Sprintf("code cell %d: never ran", code))
		}
		var stderr strings.Builder
		for _, o := range c.Outputs {
			switch {
			case o.OutputType == "error":
				problems = append(problems, fmt.Sprintf("code cell %d: error %s: %s", code, o.EName, o.EValue))
			case o.OutputType == "stream" && o.Name == "stderr":
				stderr.WriteString(strings.Join(o.Text, ""))
			default:
				if html, ok := o.Data["text/html"]; ok {
					if s := joinText(html); failure.MatchString(s) {
						problems = append(problems, fmt.Sprintf("code cell %d: %s", code, excerpt(s)))
					}
				}
			}
		}
		if s := stderr.String(); failure.MatchString(s) {
			problems = append(problems, fmt.Sprintf("code cell %d: %s", code, excerpt(s)))
		}
	}
	if code == 0 {
		problems = append(problems, "no code cell")
	}
	return problems, nil
}

// joinText reads a notebook's multi-line string: a list of lines or one string.
func joinText(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		var b strings.Builder
		for _, l := range t {
			if s, ok := l.(string); ok {
				b.WriteString(s)
			}
		}
		return b.String()
	}
	return ""
}

// excerpt is the failure's neighbourhood, without HTML tags.
func excerpt(s string) string {
	s = regexp.MustCompile(`(?s)<style>.*?</style>|<[^>]+>`).ReplaceAllString(s, " ")
	s = strings.Join(strings.Fields(s), " ")
	if i := failure.FindStringIndex(s); i != nil {
		from, to := max(0, i[0]-200), min(len(s), i[1]+400)
		return s[from:to]
	}
	return s
}
