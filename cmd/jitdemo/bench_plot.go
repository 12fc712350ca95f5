package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// plotBench draws latency against busy workers, one line per row, and
// writes it to file as format ("png" or "svg").
func plotBench(r *benchReport, file, format string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("syncore: one patch (pcall retarget + barrier) vs busy workers\n%s; median of %d (global %d)",
		r.Machine, r.Samples, r.GlobalSamples)
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = "busy worker threads calling the patched code (log scale)"
	p.X.Scale = workerScale{}
	// The y label is drawn below, beside the axis: gonum places a rotated
	// label's glyph box at the arithmetic middle of the range, which on a
	// log scale leaves a wide empty band under the title.
	yLabel := "median latency per call (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = durationTicks{}
	var xt plot.ConstantTicks
	for _, n := range r.Workers {
		xt = append(xt, plot.Tick{Value: float64(n), Label: strconv.Itoa(n)})
	}
	p.X.Tick.Marker = xt
	p.Add(plotter.NewGrid())

	legend := plot.NewLegend()
	legend.TextStyle.Font.Size = vg.Points(11)
	lo, hi := math.Inf(1), 0.0
	rows := append([]benchRow{r.Bare}, r.Strategies...)
	for i, row := range rows {
		var xys plotter.XYs
		for _, c := range row.Cells {
			if c.Status == cellOK {
				y := math.Max(float64(c.Median), 1) // log scale
				xys = append(xys, plotter.XY{X: float64(c.Workers), Y: y})
				lo, hi = math.Min(lo, y), math.Max(hi, y)
			}
		}
		name := row.Name
		if i == 0 {
			name = "bare SYNC_CORE (reference)"
		}
		if len(xys) == 0 {
			legend.Add(name + ": unavailable")
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		col := plotutil.Color(i - 1)
		if i == 0 {
			col = color.Black
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		line.Color, line.Width = col, vg.Points(1.5)
		points.Color, points.Shape = col, plotutil.Shape(i)
		p.Add(line, points)
		label := name
		if i > 0 && !row.Serialising {
			label += " (not serialising)"
		}
		for _, c := range row.Cells {
			if c.Status == cellSkipped {
				label += fmt.Sprintf(" (≤ %d workers)", r.Workers[len(xys)-1])
				break
			}
		}
		legend.Add(label, line, points)
	}
	if hi > 0 {
		// Whole decades, so the axis starts and ends on a labelled tick.
		p.Y.Min = math.Pow(10, math.Floor(math.Log10(lo)))
		p.Y.Max = math.Pow(10, math.Ceil(math.Log10(hi)))
	}
	if len(r.Workers) > 0 {
		p.X.Min, p.X.Max = float64(r.Workers[0]), float64(r.Workers[len(r.Workers)-1])
	}
	if p.X.Min == p.X.Max {
		p.X.Max++
	}

	const width, height, legendW = 10 * vg.Inch, 5.5 * vg.Inch, 2.6 * vg.Inch
	c, err := draw.NewFormattedCanvas(width, height, format)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	sty := p.Y.Label.TextStyle
	labelW := sty.Height(yLabel) + vg.Points(4)
	sty.Rotation += math.Pi / 2
	dc.FillText(sty, vg.Point{X: dc.Min.X + labelW - sty.FontExtents().Descent, Y: dc.Center().Y}, yLabel)
	p.Draw(draw.Crop(dc, labelW, -legendW, 0, -vg.Points(6)))
	legend.Top, legend.Left = true, true
	legend.Padding = vg.Points(4)
	legend.YOffs = -vg.Points(50)
	legend.Draw(draw.Crop(dc, width-legendW+vg.Points(10), 0, 0, 0))

	return writeChart(c, file, format)
}

// writeChart writes the drawn canvas c to file as format ("png" or "svg"):
// to a temporary file in the same directory first, renamed into place, so
// that a failed write leaves no half chart behind.
func writeChart(c io.WriterTo, file, format string) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".jitdemo-chart-*."+format)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// durationTicks are log-scale ticks labelled as durations (the values are
// nanoseconds).
type durationTicks struct{}

func (durationTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.LogTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = tickNanos(ticks[i].Value)
		}
	}
	return ticks
}

// tickNanos prints a power of ten of nanoseconds: 100ns, 1µs, 10ms.
func tickNanos(ns float64) string {
	for _, u := range []struct {
		div  float64
		name string
	}{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}} {
		if ns >= u.div {
			return strconv.FormatFloat(ns/u.div, 'g', 3, 64) + u.name
		}
	}
	return strconv.FormatFloat(ns, 'g', 3, 64) + "ns"
}

// workerScale spaces worker counts 0, 1, 2, 4, … evenly: log2(1+n).
type workerScale struct{}

func (workerScale) Normalize(lo, hi, x float64) float64 {
	f := func(v float64) float64 { return math.Log2(1 + math.Max(v, 0)) }
	if f(hi) == f(lo) {
		return 0
	}
	return (f(x) - f(lo)) / (f(hi) - f(lo))
}
