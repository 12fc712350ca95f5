package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// fmtNanos prints ns with three significant digits and a unit.
func fmtNanos(ns float64) string {
	unit := []struct {
		div  float64
		name string
	}{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}, {1, "ns"}}
	for _, u := range unit {
		if ns >= u.div || u.div == 1 {
			v := ns / u.div
			switch {
			case v >= 100 || u.div == 1 && v == math.Trunc(v):
				return fmt.Sprintf("%.0f%s", v, u.name)
			case v >= 10:
				return fmt.Sprintf("%.1f%s", v, u.name)
			}
			return fmt.Sprintf("%.2f%s", v, u.name)
		}
	}
	return ""
}

func fmtRatio(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("×%.0f", r)
	case r >= 10:
		return fmt.Sprintf("×%.1f", r)
	}
	return fmt.Sprintf("×%.2f", r)
}

// pad right-aligns (width > 0) or left-aligns (width < 0) s in runes.
func pad(s string, width int) string {
	n := utf8.RuneCountInString(s)
	if width > 0 {
		return strings.Repeat(" ", max(0, width-n)) + s
	}
	return s + strings.Repeat(" ", max(0, -width-n))
}

func (r *benchReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "syncore bench: %s, heap %s, %v\n", r.Machine, heapModeText(r.Machine.HeapMode), time.Duration(r.ElapsedNanos).Round(10*time.Millisecond))
	if r.Machine.Emulated {
		fmt.Fprintln(w, "  (emulated: the figures are those of qemu-user, not of real hardware)")
	}
	fmt.Fprintf(w, "\npatch latency: median of one pcall retarget (write + barrier) with N busy worker threads,\n"+
		"and its ratio to a bare SYNC_CORE at the same N (%d samples each, global %d)\n\n", r.Samples, r.GlobalSamples)
	const nameW, cellW = 15, 17
	var b strings.Builder
	b.WriteString(pad("busy workers", -nameW))
	for _, n := range r.Workers {
		b.WriteString(pad(strconv.Itoa(n), cellW))
	}
	fmt.Fprintln(w, b.String())
	for _, row := range append([]benchRow{r.Bare}, r.Strategies...) {
		b.Reset()
		name := row.Name
		if name == "bare-synccore" {
			name = "bare SYNC_CORE"
		}
		b.WriteString(pad(name, -nameW))
		if !row.Available {
			fmt.Fprintf(w, "%s  unavailable: %s\n", b.String(), row.Reason)
			continue
		}
		for _, c := range row.Cells {
			var s string
			switch c.Status {
			case cellOK:
				s = fmtNanos(float64(c.Median))
				if c.Ratio > 0 {
					s = pad(s, 7) + " " + pad(fmtRatio(c.Ratio), 6)
				}
			default:
				s = c.Status
			}
			b.WriteString(pad(s, cellW))
		}
		fmt.Fprintln(w, b.String())
	}
	if len(r.Batches) > 0 {
		fmt.Fprintf(w, "\nbatch: one Batch.Commit of N pconst sites, barrier %s, no busy worker (median of %d;\n"+
			"vs bare: ratio to a bare SYNC_CORE issued after each batch)\n\n", r.BatchBarrier, r.Batches[0].Samples)
		fmt.Fprintf(w, "%8s %12s %12s %10s %10s\n", "sites", "per batch", "per site", "barriers", "vs bare")
		for _, bt := range r.Batches {
			ratio := "-"
			if bt.Ratio > 0 {
				ratio = fmtRatio(bt.Ratio)
			}
			fmt.Fprintf(w, "%8d %12s %12s %10.0f %s\n", bt.Sites, fmtNanos(float64(bt.MedianPerBatch)),
				fmtNanos(float64(bt.MedianPerSite)), bt.BarriersPer, pad(ratio, 10))
		}
	}
	if r.Plot != "" {
		fmt.Fprintf(w, "\nchart: %s\n", r.Plot)
	}
}
