package llama

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
	"github.com/lbrx/lbrx/quant"
)

// TestGGUFHalfWeightsInPlace: a float32 model on the CPU multiplies by
// the weights of an F16/BF16 GGUF file in place. Every linear weight is
// a one-value-block view (quant.HalfBlocks) of the file's mapping, the
// embedding table stays half (the rows looked up are cast), and nothing
// is widened; with the activation dtype of the file the weights are its
// plain arrays as before. TestGGUFModelsMatchReferences (integration)
// checks the logits of both files against their references.
func TestGGUFHalfWeightsInPlace(t *testing.T) {
	for _, c := range []struct {
		file   string
		dt     core.DType
		scheme core.Scheme
	}{
		{"small-llama-f16.gguf", core.F16, core.SchemeF16},
		{"small-llama-bf16.gguf", core.BF16, core.SchemeBF16},
	} {
		t.Run(c.file, func(t *testing.T) {
			path := testfiles.Path(t, "gguf-models", "small-llama", c.file)
			m := load(t, path, Options{})
			require.Equal(t, core.F32, m.DType())
			ws := []*core.Array{m.lmHead.w}
			for _, b := range m.layers {
				ws = append(ws, b.q.w, b.k.w, b.v.w, b.o.w, b.gate.w, b.up.w, b.down.w)
			}
			if !quant.HalfVectorized() {
				// No vector kernel for halves on this CPU/build: the
				// loader widens, as on other devices.
				t.Logf("no vector F16/BF16 row kernels here: the weights are widened")
				require.Nil(t, m.layers[0].q.w.Quant())
				require.Equal(t, core.F32, m.layers[0].q.w.DType())
				return
			}
			for _, w := range ws {
				q := w.Quant()
				require.NotNil(t, q, "%s was widened", w.Name())
				require.Equal(t, c.scheme, q.Scheme, w.Name())
				_, mapped := w.Storage().(*core.Mapped)
				require.True(t, mapped, "%s is not a view of the file's mapping", w.Name())
			}
			require.Equal(t, c.dt, m.embed.DType(), "the embedding table was cast")
			_, mapped := m.embed.Storage().(*core.Mapped)
			require.True(t, mapped, "the embedding table is not a view of the file's mapping")
			logits, err := m.Forward([]int{1, 2, 3}, nil)
			require.NoError(t, err)
			require.Equal(t, core.F32, logits.DType())

			half := load(t, path, Options{DType: c.dt})
			require.Nil(t, half.layers[0].q.w.Quant())
			require.Equal(t, c.dt, half.layers[0].q.w.DType())
		})
	}
}

// hostOnlyDevice is a device without kernels over host memory that the
// CPU cannot address as its own: ops on it run through core's counted
// CPU fallback. It stands for a GPU without the half-weight kernel.
type hostOnlyDevice struct{}

type hostOnlyStorage struct{ b []byte }

func (*hostOnlyStorage) Device() core.Device { return hostOnlyDevice{} }
func (s *hostOnlyStorage) Len() int          { return len(s.b) }

func (hostOnlyDevice) Name() string        { return "hostonly:0" }
func (hostOnlyDevice) Kind() string        { return "hostonly" }
func (hostOnlyDevice) Priority() int       { return -1 }
func (hostOnlyDevice) Status() core.Status { return core.Status{Available: true} }
func (hostOnlyDevice) Sync() error         { return nil }
func (hostOnlyDevice) Alloc(n int) (core.Storage, error) {
	return &hostOnlyStorage{b: make([]byte, n)}, nil
}

func (hostOnlyDevice) CopyFromHost(dst core.Storage, off int, src []byte) error {
	s, ok := dst.(*hostOnlyStorage)
	if !ok || off < 0 || off+len(src) > len(s.b) {
		return errors.New("hostonly: bad copy")
	}
	copy(s.b[off:], src)
	return nil
}

func (hostOnlyDevice) CopyToHost(dst []byte, src core.Storage, off int) error {
	s, ok := src.(*hostOnlyStorage)
	if !ok || off < 0 || off+len(dst) > len(s.b) {
		return errors.New("hostonly: bad copy")
	}
	copy(dst, s.b[off:])
	return nil
}

// TestGGUFHalfWeightsWidenedElsewhere: on a device that is not the CPU
// the loader keeps today's behaviour, F16 weights widened to the float32
// activation dtype (plain arrays that any backend's matmul takes), and
// the model still runs.
func TestGGUFHalfWeightsWidenedElsewhere(t *testing.T) {
	m := load(t, testfiles.Path(t, "gguf-models", "small-llama", "small-llama-f16.gguf"), Options{Device: hostOnlyDevice{}})
	w := m.layers[0].q.w
	require.Nil(t, w.Quant())
	require.Equal(t, core.F32, w.DType())
	require.Equal(t, "hostonly:0", w.Device().Name())
	logits, err := m.Forward([]int{1, 2, 3}, nil)
	require.NoError(t, err)
	require.Equal(t, core.F32, logits.DType())
}
