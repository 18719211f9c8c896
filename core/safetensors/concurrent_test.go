package safetensors

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
)

// TestConcurrentLoads loads every tensor of a model from many goroutines
// at once, in both load modes (run with -race): the lazy open of the
// source and the positioned reads must be safe.
func TestConcurrentLoads(t *testing.T) {
	p := testfiles.Path(t, "safetensors", "tiny-llama", "model.safetensors")
	for _, mode := range []core.LoadMode{core.LoadReadAt, core.LoadAuto} {
		ref, err := Open(p, WithLoadMode(core.LoadReadAt))
		require.NoError(t, err)
		want := map[string][]float32{}
		for _, n := range ref.Names() {
			want[n] = values[float32](t, ref, n)
		}
		require.NoError(t, ref.Close())

		f, err := Open(p, WithLoadMode(mode))
		require.NoError(t, err)
		names := f.Names()
		var wg sync.WaitGroup
		errs := make(chan error, 8*len(names))
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range names {
					n := names[(i+g*5)%len(names)]
					x, err := Tensor[float32](f, n)
					if err != nil {
						errs <- err
						return
					}
					v, err := x.Values()
					if err != nil {
						errs <- err
						return
					}
					if len(v) != len(want[n]) || (len(v) > 0 && v[len(v)-1] != want[n][len(v)-1]) {
						t.Errorf("%s: wrong values", n)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.NoError(t, f.Close())
	}
}
