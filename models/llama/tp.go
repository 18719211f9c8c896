package llama

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
	"github.com/lbrx/lbrx/quant"
)

// Parallel is a model split over several ranks by tensor parallelism (the
// Megatron layout, see planShards): each rank holds its shard on its own
// device and runs every layer on it, and the ranks meet in collectives
// (core.Communicator) twice per layer, after the attention's and the
// MLP's row-parallel output projections, plus once for the embedding and
// once for the logits. All ranks live in this process, one goroutine each
// per forward call.
type Parallel struct {
	// Config is the whole model's (each rank's own has its share of the
	// heads, intermediate size and vocabulary).
	Config Config
	ranks  []*Model
	comms  []core.Communicator
	plans  []shardPlan
	closer func() error
}

// ParallelCache holds a sequence's keys and values: each rank caches its
// own KV heads on its device.
type ParallelCache struct {
	ranks []*Cache
}

// Len returns the number of positions cached.
func (c *ParallelCache) Len() int { return c.ranks[0].n }

// Reset empties the cache for a new sequence.
func (c *ParallelCache) Reset() {
	for _, r := range c.ranks {
		r.Reset()
	}
}

// LoadParallel opens a model as Load does and splits it over the ranks of
// comms (comms[i] is rank i; its Device runs the rank). opts.Device is
// ignored.
func LoadParallel(path string, comms []core.Communicator, opts Options) (*Parallel, error) {
	cfg, tensors, closer, err := openTensors(path)
	if err != nil {
		return nil, err
	}
	p, err := NewParallel(cfg, tensors, comms, opts)
	if err != nil {
		_ = closer()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p.closer = closer
	return p, nil
}

// openTensors reads a model's config and maps its tensors, as Load does.
func openTensors(path string) (Config, map[string]*core.Array, func() error, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Config{}, nil, nil, err
	}
	dir := path
	if !st.IsDir() {
		if isGGUF(path) {
			f, err := gguf.Open(path)
			if err != nil {
				return Config{}, nil, nil, err
			}
			cfg, tensors, err := FromGGUF(f)
			if err != nil {
				_ = f.Close()
				return Config{}, nil, nil, fmt.Errorf("%s: %w", path, err)
			}
			return cfg, tensors, f.Close, nil
		}
		dir = filepath.Dir(path)
	}
	cfg, err := ReadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return Config{}, nil, nil, err
	}
	qm, err := quant.LoadModel(path)
	if err != nil {
		return Config{}, nil, nil, err
	}
	return cfg, qm.Tensors, qm.Close, nil
}

// NewParallel splits a model (New's arguments) over the ranks of comms,
// loading each rank's shard onto its device. The heads must split evenly
// over the ranks; KV heads must too, or divide the rank count (then
// ranks share copies of a KV head). The intermediate dimension is cut at
// the quantization groups of down_proj (not necessarily evenly), the
// vocabulary into equal parts but the last.
func NewParallel(cfg Config, tensors map[string]*core.Array, comms []core.Communicator, opts Options) (*Parallel, error) {
	n := len(comms)
	if n == 0 {
		return nil, errors.New("tensor parallelism: no ranks")
	}
	for i, c := range comms {
		if c == nil || c.Rank() != i || c.Size() != n {
			return nil, fmt.Errorf("tensor parallelism: communicator %d is not rank %d of %d", i, i, n)
		}
	}
	tensors, err := unfuse(cfg, tensors)
	if err != nil {
		return nil, err
	}
	plans, err := planShards(cfg, tensors, n)
	if err != nil {
		return nil, err
	}
	p := &Parallel{comms: comms, plans: plans, ranks: make([]*Model, n)}
	for r, plan := range plans {
		sc, st, err := plan.shard(cfg, tensors)
		if err != nil {
			return nil, err
		}
		ro := opts
		ro.Device = comms[r].Device()
		m, err := New(sc, st, ro)
		if err != nil {
			return nil, fmt.Errorf("rank %d on %s: %w", r, ro.Device.Name(), err)
		}
		if r > 0 {
			// A row-parallel projection's bias is added once: rank 0's
			// partial sum carries it into the all-reduce.
			for i := range m.layers {
				m.layers[i].o.b, m.layers[i].down.b = nil, nil
			}
		}
		p.ranks[r] = m
	}
	p.Config = p.ranks[0].Config
	p.Config.NumHeads, p.Config.NumKVHeads = cfg.NumHeads, cfg.NumKVHeads
	p.Config.IntermediateSize, p.Config.VocabSize = cfg.IntermediateSize, cfg.VocabSize
	p.Config.FusedQKV, p.Config.FusedGateUp = cfg.FusedQKV, cfg.FusedGateUp
	return p, nil
}

// Ranks returns the number of ranks.
func (p *Parallel) Ranks() int { return len(p.ranks) }

// Device returns rank 0's device, where Forward's logits are.
func (p *Parallel) Device() core.Device { return p.ranks[0].dev }

// DType returns the activation dtype.
func (p *Parallel) DType() core.DType { return p.ranks[0].dtype }

// Close releases the files LoadParallel maps; the communicators are the
// caller's to close.
func (p *Parallel) Close() error {
	if p.closer == nil {
		return nil
	}
	return p.closer()
}

// NewCache returns an empty cache for p.
func (p *Parallel) NewCache() *ParallelCache {
	c := &ParallelCache{ranks: make([]*Cache, len(p.ranks))}
	for r, m := range p.ranks {
		c.ranks[r] = m.NewCache()
	}
	return c
}

// Forward is Model.Forward over the ranks: the logits [len(ids),
// VocabSize] are rank 0's copy, on its device. A nil cache runs the ids
// as a whole prompt. On error, or when ctx ends, the cache is left as it
// was.
func (p *Parallel) Forward(ctx context.Context, ids []int, c *ParallelCache) (*core.Array, error) {
	return p.forward(ctx, ids, c, false)
}

// aborter is a communicator that can give up on collectives its peers
// will never join (cuda.NCCL: ncclCommAbort).
type aborter interface{ Abort() error }

// abort tears down the communicators that support it after a rank failed:
// the other ranks' device streams may hold collectives waiting for the
// failed rank. Later calls fail (a LocalGroup is broken by the
// cancellation already).
func (p *Parallel) abort() {
	for _, c := range p.comms {
		if a, ok := c.(aborter); ok {
			_ = a.Abort()
		}
	}
}

// rankStep is one rank's result of a forward call.
type rankStep struct {
	logits *core.Array
	err    error
}

func (p *Parallel) forward(ctx context.Context, ids []int, c *ParallelCache, lastOnly bool) (*core.Array, error) {
	if len(ids) == 0 {
		return nil, errors.New("llama: no token ids")
	}
	if err := checkTokenIDs(ids, p.Config.VocabSize); err != nil {
		return nil, err
	}
	if c == nil {
		c = p.NewCache()
	}
	if len(c.ranks) != len(p.ranks) {
		return nil, fmt.Errorf("llama: cache has %d ranks, the model %d", len(c.ranks), len(p.ranks))
	}
	// A rank that fails cancels the others, which would otherwise wait
	// in their next collective for it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	steps := make([]rankStep, len(p.ranks))
	var wg sync.WaitGroup
	for r := range p.ranks {
		wg.Go(func() {
			s := &steps[r]
			s.logits, s.err = p.rankForward(ctx, r, ids, c.ranks[r], lastOnly)
			if s.err != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	// The first error in rank order that is not a consequence of another
	// rank's cancellation.
	var first error
	for r, s := range steps {
		if s.err == nil {
			continue
		}
		err := fmt.Errorf("rank %d (%s): %w", r, p.comms[r].Device().Name(), s.err)
		if first == nil || (errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled)) {
			first = err
		}
	}
	if first != nil {
		p.abort()
		return nil, first
	}
	// The new keys and values sit past Len until here (written in place
	// into each rank's preallocated cache), so a failed call leaves the
	// cache as it was.
	for _, rc := range c.ranks {
		rc.n += len(ids)
	}
	return steps[0].logits, nil
}
