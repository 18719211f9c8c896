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

// line is one implementation at one thread count.
type line struct {
	impl    string
	threads int
	best    map[int]float64 // size -> best GFLOP/s
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
	series := map[string]*line{} // "impl, T threads" -> best GFLOP/s per size
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var p point
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return fmt.Errorf("%s line %d: %w", in, n, err)
		}
		name := fmt.Sprintf("%s, %d thread", p.Impl, p.Threads)
		if p.Threads != 1 {
			name += "s"
		}
		if series[name] == nil {
			series[name] = &line{impl: p.Impl, threads: p.Threads, best: map[int]float64{}}
		}
		series[name].best[p.M] = max(series[name].best[p.M], p.GFLOPS)
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
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.Padding = vg.Points(2)
	p.Add(plotter.NewGrid())
	names := make([]string, 0, len(series))
	for n := range series {
		names = append(names, n)
	}
	sort.Strings(names)
	// One colour per implementation; one thread dashed, more solid.
	colours := map[string]color.RGBA{
		"lbrx":     {0xd6, 0x27, 0x28, 255},
		"openblas": {0x1f, 0x77, 0xb4, 255},
		"gonum":    {0x2c, 0xa0, 0x2c, 255},
	}
	var ticks []plot.Tick
	seen := map[int]bool{}
	for _, name := range names {
		sizes := make([]int, 0, len(series[name].best))
		for s := range series[name].best {
			sizes = append(sizes, s)
		}
		sort.Ints(sizes)
		xy := make(plotter.XYs, len(sizes))
		for j, s := range sizes {
			xy[j] = plotter.XY{X: float64(s), Y: series[name].best[s]}
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		impl := series[name].impl
		c, ok := colours[impl]
		if !ok {
			c = color.RGBA{0x80, 0x80, 0x80, 255}
		}
		l.Color, pts.Color = c, c
		l.Width = vg.Points(1.5)
		if series[name].threads == 1 {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		for _, sz := range sizes {
			if !seen[sz] {
				seen[sz] = true
				ticks = append(ticks, plot.Tick{Value: float64(sz), Label: fmt.Sprint(sz)})
			}
		}
		p.Add(l, pts)
		p.Legend.Add(name, l, pts)
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	// Head room above the highest point keeps the legend off the data.
	p.Y.Min = 0
	p.Y.Max *= 1.45
	return p.Save(8*vg.Inch, 5*vg.Inch, out)
}
