package llama

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbrx/lbrx/core"
)

// BenchmarkGGUFDecodeOps is BenchmarkGGUFDecode's recorded step with a
// clock around every op: it reports the ms per token (and GB/s of input)
// of each op name and output shape (products and the rest) and of the
// host work around the replay (the input upload, reading the logits
// back), so that a profile of where a
// token's time goes, and which of it the second thread cannot share,
// comes from the same code path the speed benchmark times. Set
// LBRX_BENCH_OPS_TABLE=1 to print the table.
func BenchmarkGGUFDecodeOps(b *testing.B) {
	m := benchGGUF(b)
	tg := benchEnvInt(b, "LBRX_BENCH_TG", 128)
	c := m.NewCache()
	if err := m.Reserve(c, tg); err != nil {
		b.Fatal(err)
	}
	if _, err := m.forward([]int{1}, c, true); err != nil {
		b.Fatal(err)
	}
	step, err := m.newStep(c, false)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = step.close() })
	if _, _, err := step.run(2); err != nil {
		b.Fatal(err)
	}
	c.Reset()
	ops := step.g.Ops()
	// Ops are grouped by name and output shape; bytes counts what each
	// reads from its inputs (for a product: the weight), for GB/s.
	keys := make([]string, len(ops))
	spent := map[string]time.Duration{}
	count := map[string]int{}
	bytes := map[string]int{}
	for i, op := range ops {
		keys[i] = fmt.Sprintf("%s %v", op.Name, op.Out.Shape())
		count[keys[i]]++
		for _, in := range op.Inputs {
			bytes[keys[i]] += in.Shape().NumElements() * in.DType().Size()
		}
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if c.Len() >= tg {
			c.Reset()
		}
		t0 := time.Now()
		if err := step.upload((i*31 + 7) % m.Config.VocabSize); err != nil {
			b.Fatal(err)
		}
		spent["(upload)"] += time.Since(t0)
		for j, op := range ops {
			t := time.Now()
			if err := core.Run(op); err != nil {
				b.Fatal(err)
			}
			spent[keys[j]] += time.Since(t)
		}
		c.n++
		t0 = time.Now()
		if _, err := hostF32(step.logits); err != nil {
			b.Fatal(err)
		}
		spent["(logits to host)"] += time.Since(t0)
	}
	total := time.Since(start)
	names := make([]string, 0, len(spent))
	for n := range spent {
		names = append(names, n)
	}
	slices.SortFunc(names, func(x, y string) int { return int(spent[y] - spent[x]) })
	perTok := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(b.N) }
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "threads %d, %d tokens, %.3f ms/token in all\n", core.CPUThreads(), b.N, perTok(total))
	var small, products time.Duration
	var productBytes int
	for _, n := range names {
		gbps := float64(bytes[n]) * float64(b.N) / spent[n].Seconds() / 1e9
		fmt.Fprintf(&tbl, "  %-44s %3d per token %8.3f ms/token %5.1f%% %6.1f GB/s\n", n, count[n], perTok(spent[n]), 100*spent[n].Seconds()/total.Seconds(), gbps)
		if strings.HasPrefix(n, "quantized_matmul") {
			products += spent[n]
			productBytes += bytes[n]
		} else {
			small += spent[n]
		}
	}
	fmt.Fprintf(&tbl, "  quantized products: %.3f ms/token, %.1f MB/token, %.1f GB/s\n", perTok(products), float64(productBytes)/1e6, float64(productBytes)*float64(b.N)/products.Seconds()/1e9)
	fmt.Fprintf(&tbl, "  everything but the quantized products: %.3f ms/token\n", perTok(small))
	if os.Getenv("LBRX_BENCH_OPS_TABLE") == "1" {
		fmt.Print(tbl.String())
	}
	b.ReportMetric(perTok(small), "ms-serial/tok")
	b.ReportMetric(float64(b.N)/total.Seconds(), "tok/s")
}
