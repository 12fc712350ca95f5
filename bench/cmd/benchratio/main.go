// Command benchratio reads `go test -bench` output (any -count) and prints,
// for every benchmark case, the median of each implementation and its ratio
// to every other implementation of the same case.
//
// A benchmark name is Benchmark<What>/<case…>/<implementation>: the last
// element is the implementation, the rest names the case. A cell of the
// ratio matrix is the row's median divided by the column's: below 1 the row
// is faster (or cheaper).
//
//	benchratio [file ...]   (standard input when no file is named)
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

type result struct {
	impl    string
	metrics map[string][]float64 // unit → values, one per run
	units   []string             // in order of first appearance
}

type group struct {
	name  string
	impls []*result
}

// procSuffix is the -GOMAXPROCS suffix go test appends to a name.
var procSuffix = regexp.MustCompile(`-\d+$`)

func main() {
	var in []io.Reader
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchratio:", err)
			os.Exit(1)
		}
		defer f.Close()
		in = append(in, f)
	}
	if len(in) == 0 {
		in = append(in, os.Stdin)
	}
	groups, err := parse(io.MultiReader(in...))
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
	if len(groups) == 0 {
		fmt.Fprintln(os.Stderr, "benchratio: no benchmark results in the input")
		os.Exit(1)
	}
	write(os.Stdout, groups)
}

func parse(r io.Reader) ([]*group, error) {
	var groups []*group
	byName := map[string]*group{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// BenchmarkX-2  N  v unit  v unit …
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		i := strings.LastIndexByte(name, '/')
		if i < 0 {
			continue
		}
		gname, impl := name[:i], name[i+1:]
		g := byName[gname]
		if g == nil {
			g = &group{name: gname}
			byName[gname] = g
			groups = append(groups, g)
		}
		var res *result
		for _, r := range g.impls {
			if r.impl == impl {
				res = r
			}
		}
		if res == nil {
			res = &result{impl: impl, metrics: map[string][]float64{}}
			g.impls = append(g.impls, res)
		}
		for k := 2; k+1 < len(f); k += 2 {
			v, err := strconv.ParseFloat(f[k], 64)
			if err != nil {
				continue
			}
			unit := f[k+1]
			if _, ok := res.metrics[unit]; !ok {
				res.units = append(res.units, unit)
			}
			res.metrics[unit] = append(res.metrics[unit], v)
		}
	}
	return groups, sc.Err()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// fmtNs prints nanoseconds with three significant digits and a unit.
func fmtNs(ns float64) string {
	for _, u := range []struct {
		div  float64
		name string
	}{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}, {1, "ns"}} {
		if ns >= u.div || u.div == 1 {
			return sig3(ns/u.div) + u.name
		}
	}
	return ""
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func fmtRatio(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("×%.0f", r)
	case r >= 10:
		return fmt.Sprintf("×%.1f", r)
	case r >= 0.1:
		return fmt.Sprintf("×%.2f", r)
	}
	return fmt.Sprintf("×%.3f", r)
}

// fmtMetric prints a custom metric: large rates with an SI prefix.
func fmtMetric(v float64, unit string) string {
	switch {
	case v >= 1e9:
		return sig3(v/1e9) + " G " + unit
	case v >= 1e6:
		return sig3(v/1e6) + " M " + unit
	case v >= 1e4:
		return sig3(v/1e3) + " k " + unit
	}
	return sig3(v) + " " + unit
}

func write(w io.Writer, groups []*group) {
	fmt.Fprintln(w, "median per implementation; a ratio cell is the row's median ÷ the column's (below ×1: the row is faster)")
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s\n", g.name)
		implW := 4
		for _, r := range g.impls {
			implW = max(implW, len(r.impl))
		}
		hdr := fmt.Sprintf("  %-*s %10s  %4s", implW, "", "median", "runs")
		if len(g.impls) > 1 {
			for _, c := range g.impls {
				hdr += fmt.Sprintf(" %*s", max(9, len(c.impl)+3), "vs "+c.impl)
			}
		}
		fmt.Fprintln(w, hdr)
		for _, r := range g.impls {
			ns, ok := r.metrics["ns/op"]
			if !ok {
				continue
			}
			m := median(ns)
			line := fmt.Sprintf("  %-*s %10s  %4d", implW, r.impl, fmtNs(m), len(ns))
			if len(g.impls) > 1 {
				for _, c := range g.impls {
					cell := "-"
					if cns, ok := c.metrics["ns/op"]; ok && median(cns) > 0 {
						cell = fmtRatio(m / median(cns))
					}
					line += fmt.Sprintf(" %*s", max(9, len(c.impl)+3), cell)
				}
			}
			var extra []string
			for _, u := range r.units {
				switch u {
				case "ns/op", "B/op", "allocs/op":
					continue
				}
				extra = append(extra, fmtMetric(median(r.metrics[u]), u))
			}
			if len(extra) > 0 {
				line += "   " + strings.Join(extra, ", ")
			}
			fmt.Fprintln(w, line)
		}
	}
}
