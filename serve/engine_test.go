package serve

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/models/sample"
)

// The engine's decode pass is recorded after its first steps and replays
// from then on, on whatever device the suite runs (LBRX_DEVICE): a pass
// that went op by op for good (a device lacking a kernel for one of its
// ops, say) fails here. Padded, the pass is MaxBatch rows wide whatever
// runs; unpadded, as wide as the running sequences.
func TestEngineRecordsItsDecodePass(t *testing.T) {
	for _, vary := range []bool{false, true} {
		s, _ := testServer(t, Config{MaxBatch: 4, VaryWidth: vary})
		sm, err := sample.New(sample.Options{})
		require.NoError(t, err)
		j := newJob(context.Background(), []int{1, 2, 3}, 6, sm)
		j.ignoreEOS = true
		require.Nil(t, s.eng.submit(j))
		n := 0
		for ev := range j.events {
			require.NoError(t, ev.err)
			n++
			if ev.finish != "" {
				break
			}
		}
		require.Equal(t, 6, n)
		width := 4
		if vary {
			width = 1
		}
		assert.True(t, s.eng.pool.Recorded(width), "vary %v: the %d-row pass replays", vary, width)
	}
}
