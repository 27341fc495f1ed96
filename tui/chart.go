package tui

import (
	"math"
	"strconv"
	"strings"

	"github.com/byb-dev/byb/tracking"
	"github.com/charmbracelet/lipgloss"
)

// Braille cells carry 2×4 dots each, so a chart of w×h cells has 2w×4h pixels: four times
// the resolution of block characters, enough to see a loss curve's shape in 80 columns.
var brailleBits = [4][2]rune{{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}}

// series is one curve of a chart, drawn in style (a zero style: the terminal's colour).
type series struct {
	pts   []tracking.Point // sorted by step
	style lipgloss.Style
}

// chartOpts change how values are drawn.
type chartOpts struct {
	logY   bool    // y on a log scale; values ≤ 0 cannot be drawn there and are skipped
	smooth float64 // EMA weight in [0, 1): 0 draws the values as they are
}

// lineChart draws pts (sorted by step) width cells wide, a 10-cell y axis on the left
// included: height rows of plot, then one more line of step labels. NaN and infinite values
// are skipped.
func lineChart(pts []tracking.Point, width, height int) string {
	out, _ := multiChart([]series{{pts: pts}}, width, height, chartOpts{})
	return out
}

// plotted is a series reduced to the points a chart can draw, y already on the chart's scale.
type plotted struct {
	xs []int64
	ys []float64
}

// prepare drops the values a chart cannot draw, smooths the rest and maps y to the chart's
// scale; skipped counts the values ≤ 0 a log scale had to leave out.
func prepare(ss []series, opts chartOpts) (ps []plotted, skipped int) {
	ps = make([]plotted, len(ss))
	for i, s := range ss {
		for _, p := range s.pts {
			v := p.Value
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			if opts.logY && v <= 0 {
				skipped++
				continue
			}
			ps[i].xs = append(ps[i].xs, p.Step)
			ps[i].ys = append(ps[i].ys, v)
		}
		ema(ps[i].ys, opts.smooth)
		if opts.logY {
			for j, v := range ps[i].ys {
				ps[i].ys[j] = math.Log10(v)
			}
		}
	}
	return ps, skipped
}

// ema smooths ys in place with TensorBoard's debiased exponential moving average: weight w on
// the past, divided by 1-w^n so that the first points are not pulled towards 0. Smoothing
// positive values keeps them positive, so it can precede a log scale.
func ema(ys []float64, w float64) {
	if w <= 0 {
		return
	}
	last := 0.0
	for i, v := range ys {
		last = last*w + (1-w)*v
		ys[i] = last / (1 - math.Pow(w, float64(i+1)))
	}
}

// multiChart draws several series over a shared step axis and a shared y range, each in its
// style: a cell where two curves cross takes the colour of the last one drawn there. It
// returns the chart and the number of values the log scale skipped.
func multiChart(ss []series, width, height int, opts chartOpts) (string, int) {
	const axisW = 10
	pw := width - axisW
	if pw < 4 || height < 2 {
		return "", 0
	}
	ps, skipped := prepare(ss, opts)
	minX, maxX := int64(math.MaxInt64), int64(math.MinInt64)
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, p := range ps {
		for i := range p.xs {
			minX, maxX = min(minX, p.xs[i]), max(maxX, p.xs[i])
			minY, maxY = math.Min(minY, p.ys[i]), math.Max(maxY, p.ys[i])
		}
	}
	if minX > maxX {
		return dimStyle.Render("(no finite values to plot)"), skipped
	}
	if maxY == minY {
		maxY, minY = maxY+0.5, minY-0.5
	}
	W, H := pw*2, height*4
	grid := make([][]rune, height)
	owner := make([][]int, height) // the series that drew last in each cell, -1 for none
	for i := range grid {
		grid[i] = make([]rune, pw)
		owner[i] = make([]int, pw)
		for j := range owner[i] {
			owner[i][j] = -1
		}
	}
	for si, p := range ps {
		set := func(x, y int) {
			if x >= 0 && x < W && y >= 0 && y < H {
				grid[y/4][x/2] |= brailleBits[y%4][x%2]
				owner[y/4][x/2] = si
			}
		}
		px := func(i int) (int, int) {
			x := 0
			if maxX > minX {
				x = int(float64(p.xs[i]-minX) / float64(maxX-minX) * float64(W-1))
			}
			y := H - 1 - int((p.ys[i]-minY)/(maxY-minY)*float64(H-1)+0.5)
			return x, y
		}
		if len(p.xs) == 0 {
			continue
		}
		x0, y0 := px(0)
		set(x0, y0)
		for i := 1; i < len(p.xs); i++ {
			x1, y1 := px(i)
			line(x0, y0, x1, y1, set)
			x0, y0 = x1, y1
		}
	}
	label := func(y float64) string {
		if opts.logY {
			y = math.Pow(10, y)
		}
		// Three significant digits where five do not fit the axis: "0.00726", not "0.00726…".
		if l := tracking.FormatValue(y); len(l) <= axisW-2 {
			return l
		}
		return strconv.FormatFloat(y, 'g', 3, 64)
	}
	var b strings.Builder
	for r := 0; r < height; r++ {
		l := ""
		switch r {
		case 0:
			l = label(maxY)
		case height - 1:
			l = label(minY)
		case (height - 1) / 2:
			l = label((maxY + minY) / 2)
		}
		b.WriteString(padCell(l, axisW-2, true) + " ┤")
		b.WriteString(colorRow(grid[r], owner[r], ss))
		b.WriteByte('\n')
	}
	left := "step " + itoa64(minX)
	right := itoa64(maxX)
	gap := max(1, pw-len(left)-len(right))
	b.WriteString(strings.Repeat(" ", axisW) + left + strings.Repeat(" ", gap) + right)
	return b.String(), skipped
}

// colorRow renders one row of braille cells, each stretch of cells drawn by the same series in
// that series' style (one escape sequence per stretch, not per cell).
func colorRow(cells []rune, owner []int, ss []series) string {
	var b strings.Builder
	for i := 0; i < len(cells); {
		j := i
		var run strings.Builder
		for j < len(cells) && owner[j] == owner[i] {
			run.WriteRune(0x2800 + cells[j])
			j++
		}
		if o := owner[i]; o >= 0 {
			b.WriteString(ss[o].style.Render(run.String()))
		} else {
			b.WriteString(run.String())
		}
		i = j
	}
	return b.String()
}

// line draws a segment with Bresenham's algorithm.
func line(x0, y0, x1, y1 int, set func(x, y int)) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	err := dx + dy
	for {
		set(x0, y0)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
