package llama

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Arch is one architecture the package runs: how its config.json is
// recognised and which features it has. Each lives in its own
// arch_<name>.go file that registers it; everything it describes is a
// Config field, so the forward pass has no per-architecture code.
type Arch struct {
	// Name is the Config.Arch value, transformers' model_type.
	Name string
	// ModelTypes are further model_type values read as this architecture.
	ModelTypes []string
	// Classes are the transformers classes ("Qwen2ForCausalLM") that
	// config.json's "architectures" may name.
	Classes []string
	// GGUF is the architecture's general.architecture in GGUF files.
	GGUF string
	// Act is the MLP activation when config.json names none.
	Act string
	// Features lists the optional config.json keys the architecture
	// implements (see features); any other such key set in a config is
	// an error naming it.
	Features []string
	// Setup fixes what the architecture always has (a norm form, biases,
	// the tensor layout) and reads its own keys, after the shared ones.
	Setup func(c *Config, r rawConfig) error
}

var archs = map[string]*Arch{}

// register adds an architecture; called from each arch_*.go's init.
func register(a *Arch) {
	for _, n := range append([]string{a.Name}, a.ModelTypes...) {
		if _, dup := archs[n]; dup {
			panic("llama: architecture " + n + " registered twice")
		}
		archs[n] = a
	}
}

// Architectures returns the names of the registered architectures.
func Architectures() []string {
	var out []string
	for n, a := range archs {
		if n == a.Name {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// ArchOfGGUF returns the architecture whose GGUF general.architecture is
// name, or nil.
func ArchOfGGUF(name string) *Arch {
	for n, a := range archs {
		if n == a.Name && a.GGUF == name {
			return a
		}
	}
	return nil
}

// Configure completes a Config filled by a reader other than ParseConfig
// (a GGUF file's metadata, say: the shared fields, SlidingWindow, the soft
// caps, AttnScale, LocalRope): it names the architecture, applies what the
// architecture always has (biases, norm forms, tensor layout) and its
// default sliding-layer pattern, and refuses features it lacks, as
// ParseConfig does for config.json.
func (a *Arch) Configure(c *Config) error {
	c.Arch = a.Name
	if c.HiddenAct == "" {
		c.HiddenAct = a.Act
	}
	if c.RotaryDim == 0 {
		c.RotaryDim = c.HeadDim
	}
	var r rawConfig
	if c.Sliding != nil {
		// Keep the reader's layer kinds: hand them over as layer_types.
		for _, s := range c.Sliding {
			t := "full_attention"
			if s {
				t = "sliding_attention"
			}
			r.LayerTypes = append(r.LayerTypes, t)
		}
		use := true
		r.UseSlidingWindow = &use
	}
	if a.Setup != nil {
		if err := a.Setup(c, r); err != nil {
			return err
		}
	}
	return a.check(r, c)
}

// archOf picks the architecture of a config: model_type, else the first
// class in architectures, else Llama (configs written before model_type).
func archOf(r rawConfig) (*Arch, error) {
	if r.ModelType != "" {
		a, ok := archs[r.ModelType]
		if !ok {
			return nil, fmt.Errorf("model_type %q is not supported (architectures: %s)", r.ModelType, strings.Join(Architectures(), ", "))
		}
		if len(r.Architectures) > 0 && len(a.Classes) > 0 && !slices.ContainsFunc(r.Architectures, func(c string) bool { return slices.Contains(a.Classes, c) }) {
			return nil, fmt.Errorf("architectures %v is not a %s causal language model (%s)", r.Architectures, a.Name, strings.Join(a.Classes, ", "))
		}
		return a, nil
	}
	for _, c := range r.Architectures {
		for n, a := range archs {
			if n == a.Name && slices.Contains(a.Classes, c) {
				return a, nil
			}
		}
	}
	if len(r.Architectures) > 0 {
		return nil, fmt.Errorf("architectures %v is not supported and model_type is absent", r.Architectures)
	}
	return archs["llama"], nil
}

// features maps each optional config.json key to whether a parsed config
// uses it.
var features = map[string]func(c *Config) bool{
	"attention_bias":          func(c *Config) bool { return c.AttentionBias },
	"mlp_bias":                func(c *Config) bool { return c.MLPBias },
	"sliding_window":          func(c *Config) bool { return c.SlidingWindow > 0 },
	"attn_logit_softcapping":  func(c *Config) bool { return c.AttnSoftCap > 0 },
	"final_logit_softcapping": func(c *Config) bool { return c.FinalSoftCap > 0 },
	"query_pre_attn_scalar":   func(c *Config) bool { return c.AttnScale > 0 },
	"partial_rotary_factor":   func(c *Config) bool { return c.RotaryDim != c.HeadDim },
	"rope_local_base_freq":    func(c *Config) bool { return c.LocalRope != nil },
}

// check refuses a config that uses an optional key a does not implement.
func (a *Arch) check(r rawConfig, c *Config) error {
	keys := make([]string, 0, len(features))
	for k := range features {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if features[k](c) && !slices.Contains(a.Features, k) {
			return fmt.Errorf("%s is set, but lbrx's %s architecture does not implement it", k, a.Name)
		}
	}
	if c.Sliding != nil {
		return nil // Setup applied the architecture's own pattern
	}
	return layerTypes(r, c, nil)
}
