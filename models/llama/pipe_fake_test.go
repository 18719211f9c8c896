package llama

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// laterDevice is a device that reads back behind its queue
// (core.LaterReader) but has no kernels: its ops run through core's CPU
// fallback, which cannot be recorded, so a generation on it takes the
// pipeline's way out (errNoPipe) to the loop without it.
type laterDevice struct{ reads int }

type laterStorage struct {
	d *laterDevice
	b []byte
}

func (s *laterStorage) Device() core.Device { return s.d }
func (s *laterStorage) Len() int            { return len(s.b) }

func (*laterDevice) Name() string        { return "later:0" }
func (*laterDevice) Kind() string        { return "later" }
func (*laterDevice) Priority() int       { return -1 }
func (*laterDevice) Status() core.Status { return core.Status{Available: true} }
func (*laterDevice) Sync() error         { return nil }
func (d *laterDevice) Alloc(n int) (core.Storage, error) {
	return &laterStorage{d: d, b: make([]byte, n)}, nil
}

func (d *laterDevice) CopyFromHost(dst core.Storage, off int, src []byte) error {
	s, ok := dst.(*laterStorage)
	if !ok || off+len(src) > len(s.b) {
		return fmt.Errorf("later: bad copy")
	}
	copy(s.b[off:], src)
	return nil
}

func (d *laterDevice) CopyToHost(dst []byte, src core.Storage, off int) error {
	s, ok := src.(*laterStorage)
	if !ok || off+len(dst) > len(s.b) {
		return fmt.Errorf("later: bad copy")
	}
	copy(dst, s.b[off:])
	return nil
}

func (d *laterDevice) CopyToHostLater(dst []byte, src core.Storage, off int) (core.Pending, error) {
	d.reads++
	return done{}, d.CopyToHost(dst, src, off)
}

type done struct{}

func (done) Wait() error { return nil }

// On a device that reads back behind its queue but cannot record the
// step, greedy generation falls back to the unpipelined loop (no
// pipelined step runs) and gives its tokens.
func TestPipelineFallsBackWhereTheStepCannotBeRecorded(t *testing.T) {
	dev := &laterDevice{}
	require.True(t, core.ReadsLater(dev))
	setPipeline(t, true)
	pipelineEverywhere = false
	prompt := []int{3, 14, 15, 92, 65}
	gen := func(dev core.Device) []int {
		m, _ := randomModel(stepConfig, 4, 32, dev)
		require.Equal(t, decodePipeline, m.usePipe(GenerateOptions{MaxTokens: 6}, must(NewSampler(Sampling{}))))
		var out []int
		_, err := m.Generate(prompt, GenerateOptions{MaxTokens: 6, IgnoreEOS: true}, func(id int) bool {
			out = append(out, id)
			return true
		})
		require.NoError(t, err)
		return out
	}
	steps := pipeSteps.Load()
	got := gen(dev)
	assert.Equal(t, steps, pipeSteps.Load(), "no pipelined step ran")
	assert.Zero(t, dev.reads)
	setPipeline(t, false)
	assert.Equal(t, gen(&laterDevice{}), got, "the tokens of the loop without the pipeline")
}
