package main

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/syncore/syncore/litmus"
)

// plotLitmus draws every outcome of every result as a horizontal bar of
// its count (log scale), grouped by test: red where the outcome satisfies
// the test's condition, dark red where the running ISA forbids it, blue
// otherwise. It writes the chart to file as format ("png" or "svg").
func plotLitmus(results []*litmus.Result, file, format string) error {
	type bar struct {
		label     string
		count     int
		satisfies bool
		forbidden bool
	}
	var bars []bar
	machine := ""
	for _, r := range results {
		if machine == "" {
			machine = r.Arch
			if r.Emulated {
				machine += " (emulated)"
			}
		}
		forbidden := r.Expect != nil && r.Expect.Verdict == litmus.Forbidden
		for _, o := range r.Outcomes {
			bars = append(bars, bar{label: r.Test + ": " + o.Key, count: o.Count, satisfies: o.Satisfies, forbidden: forbidden})
		}
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("syncore litmus: outcomes per test, %s\n(red: the condition's outcome; dark red: one the ISA forbids)", machine)
	p.X.Label.Text = "iterations (log scale)"
	n := len(bars)
	var top float64
	for i, b := range bars {
		v := math.Log10(float64(b.count) + 1)
		top = math.Max(top, v)
		bc, err := plotter.NewBarChart(plotter.Values{v}, vg.Points(7))
		if err != nil {
			return err
		}
		bc.Horizontal = true
		bc.XMin = float64(n - 1 - i) // the first test at the top
		bc.LineStyle.Width = 0
		switch {
		case b.satisfies && b.forbidden:
			bc.Color = color.RGBA{R: 139, A: 255}
		case b.satisfies:
			bc.Color = color.RGBA{R: 230, G: 70, B: 60, A: 255}
		default:
			bc.Color = color.RGBA{R: 70, G: 110, B: 180, A: 255}
		}
		p.Add(bc)
	}
	var yt plot.ConstantTicks
	for i, b := range bars {
		yt = append(yt, plot.Tick{Value: float64(n - 1 - i), Label: b.label})
	}
	p.Y.Tick.Marker = yt
	p.Y.Tick.Label.Font.Size = vg.Points(7)
	var xt plot.ConstantTicks
	for e := 0; float64(e) <= math.Ceil(top); e++ {
		xt = append(xt, plot.Tick{Value: float64(e), Label: strings.TrimSuffix(fmt.Sprintf("%g", math.Pow(10, float64(e))), ".0")})
	}
	p.X.Tick.Marker = xt
	p.X.Min, p.X.Max = 0, math.Ceil(top)
	p.Add(plotter.NewGrid())

	height := vg.Length(n)*vg.Points(10) + 1.5*vg.Inch
	c, err := draw.NewFormattedCanvas(10*vg.Inch, height, format)
	if err != nil {
		return err
	}
	p.Draw(draw.New(c))
	return writeChart(c, file, format)
}
