package serve

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/models/sample"
)

// On the caller's model (LBRX_BENCH_MODEL, as for BenchmarkEngine;
// skipped without one), an engine with VaryWidth decodes each of 8
// greedy sequences to the same tokens among the other 7 (passes up to 8
// rows wide) as alone (passes of one row): the model's kernels give a
// row the same bits at every width (on CUDA, 4-bit affine weights' one-
// and several-row integer kernels, issue 18), so padding is not needed
// for batch invariance there.
func TestVaryWidthMatchesAloneOnBenchModel(t *testing.T) {
	p := os.Getenv("LBRX_BENCH_MODEL")
	if p == "" {
		t.Skip("LBRX_BENCH_MODEL names no model")
	}
	s := benchEngine(t, benchModel{filepath.Base(p), []string{p}, 512}, Config{MaxBatch: 8, VaryWidth: true})
	const clients, tokens = 8, 48
	run := func(ks ...int) map[int][]int {
		jobs := map[int]*job{}
		for _, k := range ks {
			prompt := []int{100 + k}
			for i := range 16 {
				prompt = append(prompt, 1+i*5)
			}
			sm, err := sample.New(sample.Options{})
			require.NoError(t, err)
			jobs[k] = newJob(context.Background(), prompt, tokens, sm)
			jobs[k].ignoreEOS = true
			require.Nil(t, s.eng.submit(jobs[k]))
		}
		out := map[int][]int{}
		for k, j := range jobs {
			for ev := range j.events {
				require.NoError(t, ev.err)
				out[k] = append(out[k], ev.id)
				if ev.finish != "" {
					break
				}
			}
		}
		return out
	}
	all := make([]int, clients)
	for k := range all {
		all[k] = k
	}
	together := run(all...)
	for k := range clients {
		alone := run(k)
		require.Len(t, alone[k], tokens, "sequence %d alone", k)
		require.Equal(t, alone[k], together[k], "sequence %d: alone and among %d", k, clients)
	}
}
