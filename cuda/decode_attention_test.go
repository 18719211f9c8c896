package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// decodeCase is one cached_attention shape of the block-per-row kernels:
// tq queries of hq heads, caches of capRows rows of hkv heads of d.
type decodeCase struct{ tq, hq, hkv, d, capRows int }

// decodePositions are the positions a decodeCase's query is tested at:
// one key, a few, a 256-thread block's worth of keys and one past it,
// ATT_CHUNK (1024) keys and one past it (a second chunk), capped to the
// cache.
var decodePositions = []int{0, 1, 6, 135, 255, 256, 1023, 1024, 1500}

// cached_attention's decode kernels (attend_vec, and attend with
// LBRX_CUDA_DECODE_ATTENTION=old) on the GPU against core's CPU kernel:
// f32, f16 and bf16 (attend_vec) and f64 (attend), head sizes 8 to 256
// with lane counts that are and are not powers of two (d/8 = 3, 10),
// query heads to a key/value head 1, 4 and 8, positions across a key
// group step and a chunk, several queries (tq 3, head 256: past the
// warp kernel), windows and soft caps. Strict: no CPU fallback.
func TestDecodeAttentionParity(t *testing.T) {
	dev := gpu(t)
	before := core.Fallbacks()
	defer func(v bool) { vecAttentionOff = v }(vecAttentionOff)
	r := rand.New(rand.NewPCG(31, 32))
	cases := []decodeCase{
		{1, 32, 8, 64, 1600}, {1, 8, 8, 128, 1600}, {1, 16, 2, 64, 1100}, {1, 4, 1, 256, 1100},
		{1, 4, 4, 24, 300}, {1, 8, 1, 80, 300}, {1, 2, 1, 8, 300}, {3, 4, 2, 256, 1030},
	}
	params := []core.AttentionParams{{Scale: 0.125}, {Scale: 0.9, Window: 100, SoftCap: 0.5}, {Scale: 0.9, Window: 1}}
	for _, dt := range []core.DType{core.F32, core.F16, core.BF16, core.F64} {
		for _, c := range cases {
			kh := hostArray(t, dt, core.Shape{c.capRows, c.hkv, c.d}, random(r, c.capRows*c.hkv*c.d, -1, 1, false))
			vh := hostArray(t, dt, core.Shape{c.capRows, c.hkv, c.d}, random(r, c.capRows*c.hkv*c.d, -1, 1, false))
			qh := hostArray(t, dt, core.Shape{c.tq, c.hq, c.d}, random(r, c.tq*c.hq*c.d, -1, 1, false))
			on := func(a *core.Array) *core.Array {
				g, err := a.To(dev)
				require.NoError(t, err)
				return g
			}
			kg, vg, qg := on(kh), on(vh), on(qh)
			vecAttentionOff = false
			assert.Equal(t, dt != core.F64 && attvBuilt, vecAttention(dt, c.d, qg, kg, vg), "attend_vec takes %v %+v", dt, c)
			ph, pg := posOn(t, core.CPU(), 0), posOn(t, dev, 0)
			for _, p := range decodePositions {
				if p+c.tq > c.capRows {
					continue
				}
				setPos(t, ph, p)
				setPos(t, pg, p)
				for _, ap := range params {
					want, err := core.CachedAttentionOp(qh, kh, vh, ph, ap)
					require.NoError(t, err)
					for _, old := range []bool{false, true} {
						vecAttentionOff = old
						got, err := core.CachedAttentionOp(qg, kg, vg, pg, ap)
						require.NoError(t, err)
						near(t, dt, values(t, want), values(t, got), 1,
							fmt.Sprintf("cached_attention %v %+v pos %d %+v old %v", dt, c, p, ap, old))
					}
				}
			}
		}
	}
	assert.Equal(t, before, core.Fallbacks(), "no op fell back to the CPU")
}

// A recorded f16 and bf16 decode attention (one CUDA graph; attend_vec,
// then attend) replays at new positions, across a chunk, with the query
// and a cache row rewritten between replays: each replay equals the CPU's.
func TestDecodeAttentionReplay(t *testing.T) {
	dev := gpu(t)
	before := core.Fallbacks()
	defer func(v bool) { vecAttentionOff = v }(vecAttentionOff)
	r := rand.New(rand.NewPCG(33, 34))
	const capRows, hq, hkv, d = 1200, 32, 8, 64
	for _, dt := range []core.DType{core.F16, core.BF16} {
		for _, old := range []bool{false, true} {
			vecAttentionOff = old
			kh := hostArray(t, dt, core.Shape{capRows, hkv, d}, random(r, capRows*hkv*d, -1, 1, false))
			vh := hostArray(t, dt, core.Shape{capRows, hkv, d}, random(r, capRows*hkv*d, -1, 1, false))
			qh := hostArray(t, dt, core.Shape{1, hq, d}, random(r, hq*d, -1, 1, false))
			on := func(a *core.Array) *core.Array {
				g, err := a.To(dev)
				require.NoError(t, err)
				return g
			}
			kg, vg, qg := on(kh), on(vh), on(qh)
			require.Equal(t, !old && attvBuilt, vecAttention(dt, d, qg, kg, vg))
			ph, pg := posOn(t, core.CPU(), 3), posOn(t, dev, 3)
			ap := core.AttentionParams{Scale: 0.5}
			var out *core.Array
			g, err := core.Record(dev, func() error {
				var err error
				out, err = core.CachedAttentionOp(qg, kg, vg, pg, ap)
				return err
			})
			require.NoError(t, err)
			for _, p := range []int{3, 0, 136, 1023, 1024, 1199, 17} {
				x := random(r, hq*d, -1, 1, false)
				require.NoError(t, dev.CopyFromHost(qg.Storage(), 0, encode(dt, x)))
				copy(qh.Storage().(*core.Heap).Bytes(), encode(dt, x))
				row := random(r, hkv*d, -1, 1, false)
				require.NoError(t, dev.CopyFromHost(kg.Storage(), p*hkv*d*dt.Size(), encode(dt, row)))
				copy(kh.Storage().(*core.Heap).Bytes()[p*hkv*d*dt.Size():], encode(dt, row))
				setPos(t, ph, p)
				setPos(t, pg, p)
				require.NoError(t, g.Replay())
				want, err := core.CachedAttentionOp(qh, kh, vh, ph, ap)
				require.NoError(t, err)
				near(t, dt, values(t, want), values(t, out), 1, fmt.Sprintf("replay %v pos %d old %v", dt, p, old))
			}
			require.NoError(t, g.Close())
		}
	}
	assert.Equal(t, before, core.Fallbacks(), "no op fell back to the CPU")
}

// BenchmarkCachedAttention: one decode query (32 heads of 64 over 8
// key/value heads, the 1B-shaped Llama of bench/cuda) attending pos+1
// cached rows, attend_vec (new) against attend (old,
// LBRX_CUDA_DECODE_ATTENTION=old), per dtype and position. The ops are
// captured in one CUDA graph and replayed (timeGraph), each over its own
// caches, enough copies to read ~96 MB a replay, past L2, as a step's
// layers do with the weights in between; us/op is one layer's attention,
// GB/s counts the key and value rows read.
func BenchmarkCachedAttention(b *testing.B) {
	dev := gpu(b)
	const hq, hkv, d = 32, 8, 64
	for _, dt := range []core.DType{core.F16, core.F32, core.BF16} {
		for _, pos := range []int{8, 136, 1024, 2047} {
			b.Run(fmt.Sprintf("%v/pos=%d", dt, pos), func(b *testing.B) {
				rows := pos + 1
				bytes := 2 * rows * hkv * d * dt.Size()
				copies := min(256, (96<<20+bytes-1)/bytes)
				q := filled(b, dev, dt, core.Shape{1, hq, d}, -1, 1, false)
				p := posOn(b, dev, pos)
				out, err := core.Empty(dev, dt, core.Shape{1, hq, d})
				require.NoError(b, err)
				arrays := []*core.Array{q, out}
				var ops []*core.Op
				for range copies {
					k := filled(b, dev, dt, core.Shape{rows, hkv, d}, -1, 1, false)
					v := filled(b, dev, dt, core.Shape{rows, hkv, d}, -1, 1, false)
					arrays = append(arrays, k, v)
					ops = append(ops, &core.Op{Name: "cached_attention", Inputs: []*core.Array{q, k, v, p}, Out: out, Param: 0.125})
				}
				defer func() {
					for _, a := range arrays {
						a.Storage().(*Storage).Release()
					}
				}()
				for _, kernel := range []string{"new", "old"} {
					b.Run(kernel, func(b *testing.B) {
						if kernel == "new" && !attvBuilt {
							b.Skip("LBRX_CUDA_DECODE_ATTENTION=old: transformer.cu built without attend_vec")
						}
						defer func(v bool) { vecAttentionOff = v }(vecAttentionOff)
						vecAttentionOff = kernel == "old"
						timeGraph(b, dev, ops)
						b.ReportMetric(float64(bytes)*float64(b.N*len(ops))/b.Elapsed().Seconds()/1e9, "GB/s")
						b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N*len(ops)), "us/op")
					})
				}
			})
		}
	}
}
