package notebooks

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// The notebooks show plots as inline PNG images (HTML <img> with a data URI): they render
// offline, need no CDN and stay in the saved notebook. These helpers make that HTML, so that
// the byb module itself does not depend on GoNB (the notebooks hand the HTML to gonbui).

// PlotHTML renders p as a w × h PNG in an <img> tag.
func PlotHTML(p *plot.Plot, w, h vg.Length) (string, error) {
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return "", err
	}
	return imgTag(buf.Bytes()), nil
}

// PNGFileHTML is the <img> tag of a PNG file (a chart an experiment wrote).
func PNGFileHTML(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG")) {
		return "", fmt.Errorf("%s is not a PNG file", path)
	}
	return imgTag(b), nil
}

func imgTag(png []byte) string {
	return `<img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(png) + `">`
}
