// Command chart draws the GFLOP/s-against-size chart of mage bench: it
// reads the JSON lines that `lbrx bench matmul --json`, gonum-sgemm and
// the OpenBLAS script print (each with an "impl" field added where
// missing) and writes a PNG with one line per implementation and thread
// count.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"os"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

type point struct {
	Impl    string  `json:"impl"`
	M       int     `json:"m"`
	Threads int     `json:"threads"`
	GFLOPS  float64 `json:"gflops"`
}

func main() {
	in := flag.String("in", "", "JSON lines of results")
	out := flag.String("out", "docs/bench.png", "PNG to write")
	title := flag.String("title", "float32 matrix multiply, n×n×n", "chart title")
	flag.Parse()
	if err := run(*in, *out, *title); err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}

func run(in, out, title string) error {
	f, err := os.Open(in) //nolint:gosec // the results file named on the command line
	if err != nil {
		return err
	}
	defer f.Close()
	series := map[string]map[int]float64{} // "impl, T threads" -> size -> best GFLOP/s
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		var p point
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return fmt.Errorf("%s line %d: %w", in, line, err)
		}
		name := fmt.Sprintf("%s, %d thread", p.Impl, p.Threads)
		if p.Threads != 1 {
			name += "s"
		}
		if series[name] == nil {
			series[name] = map[int]float64{}
		}
		series[name][p.M] = max(series[name][p.M], p.GFLOPS)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(series) == 0 {
		return fmt.Errorf("%s holds no results", in)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "n (log scale)"
	p.Y.Label.Text = "GFLOP/s"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	names := make([]string, 0, len(series))
	for n := range series {
		names = append(names, n)
	}
	sort.Strings(names)
	palette := []color.RGBA{{0xd6, 0x27, 0x28, 255}, {0x1f, 0x77, 0xb4, 255}, {0x2c, 0xa0, 0x2c, 255}, {0xff, 0x7f, 0x0e, 255}, {0x94, 0x67, 0xbd, 255}, {0x8c, 0x56, 0x4b, 255}}
	for i, name := range names {
		sizes := make([]int, 0, len(series[name]))
		for s := range series[name] {
			sizes = append(sizes, s)
		}
		sort.Ints(sizes)
		xy := make(plotter.XYs, len(sizes))
		for j, s := range sizes {
			xy[j] = plotter.XY{X: float64(s), Y: series[name][s]}
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		c := palette[i%len(palette)]
		l.Color, pts.Color = c, c
		l.Width = vg.Points(1.5)
		p.Add(l, pts)
		p.Legend.Add(name, l, pts)
	}
	return p.Save(8*vg.Inch, 5*vg.Inch, out)
}
