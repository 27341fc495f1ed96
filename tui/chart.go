package tui

import (
	"math"
	"strings"

	"github.com/byb-dev/byb/tracking"
)

// Braille cells carry 2×4 dots each, so a chart of w×h cells has 2w×4h pixels: four times
// the resolution of block characters, enough to see a loss curve's shape in 80 columns.
var brailleBits = [4][2]rune{{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}}

// lineChart draws pts (sorted by step) width cells wide, a 10-cell y axis on the left
// included: height rows of plot, then one more line of step labels. NaN and infinite values
// are skipped.
func lineChart(pts []tracking.Point, width, height int) string {
	const axisW = 10
	pw := width - axisW
	if pw < 4 || height < 2 {
		return ""
	}
	var xs []int64
	var ys []float64
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
			continue
		}
		xs = append(xs, p.Step)
		ys = append(ys, p.Value)
		minY, maxY = math.Min(minY, p.Value), math.Max(maxY, p.Value)
	}
	if len(xs) == 0 {
		return dimStyle.Render("(no finite values to plot)")
	}
	if maxY == minY {
		maxY, minY = maxY+0.5, minY-0.5
	}
	minX, maxX := xs[0], xs[len(xs)-1]
	W, H := pw*2, height*4
	grid := make([][]rune, height)
	for i := range grid {
		grid[i] = make([]rune, pw)
	}
	set := func(x, y int) {
		if x >= 0 && x < W && y >= 0 && y < H {
			grid[y/4][x/2] |= brailleBits[y%4][x%2]
		}
	}
	px := func(i int) (int, int) {
		x := 0
		if maxX > minX {
			x = int(float64(xs[i]-minX) / float64(maxX-minX) * float64(W-1))
		}
		y := H - 1 - int((ys[i]-minY)/(maxY-minY)*float64(H-1)+0.5)
		return x, y
	}
	x0, y0 := px(0)
	set(x0, y0)
	for i := 1; i < len(xs); i++ {
		x1, y1 := px(i)
		line(x0, y0, x1, y1, set)
		x0, y0 = x1, y1
	}
	var b strings.Builder
	for r := 0; r < height; r++ {
		label := ""
		switch r {
		case 0:
			label = tracking.FormatValue(maxY)
		case height - 1:
			label = tracking.FormatValue(minY)
		case (height - 1) / 2:
			label = tracking.FormatValue((maxY + minY) / 2)
		}
		b.WriteString(padCell(label, axisW-2, true) + " ┤")
		for _, c := range grid[r] {
			b.WriteRune(0x2800 + c)
		}
		b.WriteByte('\n')
	}
	left := "step " + itoa64(minX)
	right := itoa64(maxX)
	gap := max(1, pw-len(left)-len(right))
	b.WriteString(strings.Repeat(" ", axisW) + left + strings.Repeat(" ", gap) + right)
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
