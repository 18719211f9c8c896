package llama

import (
	"fmt"
	"maps"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/quant"
)

// unfuse returns tensors with each fused projection (Config.FusedQKV,
// FusedGateUp) split into the separate ones the forward pass reads:
// qkv_proj's rows are q, k, v and gate_up_proj's are gate, up, in that
// order. The parts are views of the fused tensor (row slices, quantized
// or not), so nothing is copied; the caller's map is left alone.
func unfuse(cfg Config, tensors map[string]*core.Array) (map[string]*core.Array, error) {
	if !cfg.FusedQKV && !cfg.FusedGateUp {
		return tensors, nil
	}
	out := maps.Clone(tensors)
	qd, kv := cfg.NumHeads*cfg.HeadDim, cfg.NumKVHeads*cfg.HeadDim
	for i := range cfg.NumLayers {
		p := fmt.Sprintf("model.layers.%d.", i)
		if cfg.FusedQKV {
			if err := split(out, p+"self_attn.qkv_proj", []string{p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj"}, []int{qd, kv, kv}); err != nil {
				return nil, err
			}
		}
		if cfg.FusedGateUp {
			if err := split(out, p+"mlp.gate_up_proj", []string{p + "mlp.gate_proj", p + "mlp.up_proj"}, []int{cfg.IntermediateSize, cfg.IntermediateSize}); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// split cuts fused's .weight (and .bias, when present) into parts of the
// given row counts, stored under each part's name.
func split(tensors map[string]*core.Array, fused string, parts []string, rows []int) error {
	total := 0
	for _, r := range rows {
		total += r
	}
	for _, suffix := range []string{".weight", ".bias"} {
		a, ok := tensors[fused+suffix]
		if !ok {
			if suffix == ".bias" {
				continue
			}
			return fmt.Errorf("tensor %q is missing", fused+suffix)
		}
		shape := a.Shape()
		if q := a.Quant(); q != nil {
			shape = q.Shape
		}
		if len(shape) == 0 || shape[0] != total || (suffix == ".weight") != (len(shape) == 2) {
			return fmt.Errorf("tensor %q has shape %v, config.json implies %d rows (%v)", fused+suffix, shape, total, rows)
		}
		start := 0
		for i, r := range rows {
			var part *core.Array
			var err error
			if a.Quant() != nil {
				part, err = quant.SliceRows(a, start, start+r)
			} else {
				part, err = a.Slice(0, start, start+r, 1)
			}
			if err != nil {
				return fmt.Errorf("tensor %q rows [%d, %d): %w", fused+suffix, start, start+r, err)
			}
			meta := part.Metadata()
			meta.Name = parts[i] + suffix
			if part, err = part.WithMetadata(meta); err != nil {
				return err
			}
			tensors[parts[i]+suffix] = part
			start += r
		}
	}
	return nil
}
