package experiments

import (
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// barRow is one bar series of a grouped-bar chart: a row of a table.
type barRow struct{ Key, Label string }

// table2PNG draws one data set's Table 2 as grouped bars (groupedBarsPNG).
func table2PNG(path, preset string, tasks []string, res map[string]map[string]*cellResult) error {
	return groupedBarsPNG(path, table2Spec.title+" · "+preset+" (mean ± std over seeds)", table2Spec.barRows(), tasks, res)
}

// groupedBarsPNG draws a table of AUROC cells as grouped bars: one group per task, one bar
// per row with its mean over seeds and an error bar of ± one standard deviation, one color
// per row, the legend outside the bars. Rows without any value are left out.
func groupedBarsPNG(path, title string, rows []barRow, tasks []string, res map[string]map[string]*cellResult) error {
	return barsPNG(path, title, "test AUROC", 1, rows, tasks, res)
}

// GroupedBarsPNG is the tables' chart for any caller (the notebooks): values[row][task] are
// a cell's per-seed AUROCs, rows the bars' order and legend.
func GroupedBarsPNG(path, title string, rows, tasks []string, values map[string]map[string][]float64) error {
	bars := make([]barRow, len(rows))
	res := map[string]map[string]*cellResult{}
	for i, r := range rows {
		bars[i] = barRow{Key: r, Label: r}
		res[r] = map[string]*cellResult{}
		for t, v := range values[r] {
			res[r][t] = &cellResult{values: v}
		}
	}
	return groupedBarsPNG(path, title, bars, tasks, res)
}

// barsPNG is groupedBarsPNG with another y axis: its label, and its top (0: fitted to the
// bars).
func barsPNG(path, title, yLabel string, yMax float64, rows []barRow, tasks []string, res map[string]map[string]*cellResult) error {
	if len(rows) == 0 || len(tasks) == 0 {
		return fmt.Errorf("bar chart %s: nothing to draw (%d rows, %d tasks)", path, len(rows), len(tasks))
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = yLabel
	p.Y.Min = 0
	if yMax > 0 {
		p.Y.Max = yMax
	}
	p.NominalX(tasks...)
	// The legend goes to the right of the plot, not over it: ten rows' labels would hide the
	// first group's bars.
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.Padding = vg.Millimeter

	var shown []barRow
	for _, row := range rows {
		for _, t := range tasks {
			if r := res[row.Key][t]; r != nil && len(r.values) > 0 {
				shown = append(shown, row)
				break
			}
		}
	}
	if len(shown) == 0 {
		return fmt.Errorf("%s: no cell has a value to plot", title)
	}
	// A group spans 0.8 of a task's unit on the x axis; the canvas widens with the bars, and a
	// bar's width in points is its share of the unit as drawn (about 0.85 of the canvas is
	// plot area).
	canvas := vg.Length(max(160, 6*len(tasks)*len(shown))) * vg.Millimeter
	step := 0.8 / float64(len(shown))
	width := vg.Length(step) * canvas * 0.85 / vg.Length(len(tasks))
	for i, row := range shown {
		means := make(plotter.Values, len(tasks))
		errs := make(plotter.YErrors, len(tasks))
		for j, t := range tasks {
			if r := res[row.Key][t]; r != nil && len(r.values) > 0 {
				means[j], errs[j].Low = meanStd(r.values)
				errs[j].High = errs[j].Low
			}
		}
		bars, err := plotter.NewBarChart(means, width)
		if err != nil {
			return err
		}
		// Center the group on its task: bars side by side, shifted from the middle.
		dx := step * (float64(i) - float64(len(shown)-1)/2)
		bars.XMin = dx
		bars.Color = barColors[i%len(barColors)]
		bars.LineStyle.Width = 0
		p.Add(bars)
		legend.Add(row.Label, bars)

		// Error bars only where there is a spread: a single measurement's would be a
		// zero-height bar that reads as "no variance".
		var xys plotter.XYs
		var spread plotter.YErrors
		for j, t := range tasks {
			if r := res[row.Key][t]; r != nil && len(r.values) > 1 {
				xys = append(xys, plotter.XY{X: float64(j) + dx, Y: means[j]})
				spread = append(spread, errs[j])
			}
		}
		if len(xys) == 0 {
			continue
		}
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYer
			plotter.YErrorer
		}{xys, spread})
		if err != nil {
			return err
		}
		eb.LineStyle.Color = color.Black
		p.Add(eb)
	}
	labels := make([]string, len(shown))
	for i, row := range shown {
		labels[i] = row.Label
	}
	return saveWithLegend(p, &legend, labels, canvas, 110*vg.Millimeter, path)
}

// saveWithLegend writes p as a PNG of the given plot size with legend in a strip to its
// right, as wide as its longest label.
func saveWithLegend(p *plot.Plot, legend *plot.Legend, labels []string, width, height vg.Length, path string) error {
	strip := 5 * vg.Millimeter
	for _, l := range labels {
		strip = max(strip, legend.TextStyle.Width(l)+legend.ThumbnailWidth+10*vg.Millimeter)
	}
	img := vgimg.NewWith(vgimg.UseWH(width+strip, height), vgimg.UseDPI(96))
	dc := draw.New(img)
	p.Draw(draw.Crop(dc, 0, -strip, 0, 0))
	legend.Draw(draw.Crop(dc, width+2*vg.Millimeter, 0, 0, -8*vg.Millimeter))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// barColors are twelve distinct colours (Tableau 10 and two darker ones), so that a table's
// rows do not share one: plotutil's palette has seven, Table 2 has twelve rows.
var barColors = []color.Color{
	color.RGBA{R: 0x4e, G: 0x79, B: 0xa7, A: 0xff}, color.RGBA{R: 0xf2, G: 0x8e, B: 0x2b, A: 0xff},
	color.RGBA{R: 0xe1, G: 0x57, B: 0x59, A: 0xff}, color.RGBA{R: 0x76, G: 0xb7, B: 0xb2, A: 0xff},
	color.RGBA{R: 0x59, G: 0xa1, B: 0x4f, A: 0xff}, color.RGBA{R: 0xed, G: 0xc9, B: 0x48, A: 0xff},
	color.RGBA{R: 0xb0, G: 0x7a, B: 0xa1, A: 0xff}, color.RGBA{R: 0xff, G: 0x9d, B: 0xa7, A: 0xff},
	color.RGBA{R: 0x9c, G: 0x75, B: 0x5f, A: 0xff}, color.RGBA{R: 0xba, G: 0xb0, B: 0xac, A: 0xff},
	color.RGBA{R: 0x1f, G: 0x3b, B: 0x63, A: 0xff}, color.RGBA{R: 0x2f, G: 0x6b, B: 0x3a, A: 0xff},
}
