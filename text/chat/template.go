package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/ardanlabs/jinja"
)

// Template is a compiled chat template with the special tokens it is
// rendered with. It is safe for concurrent use.
type Template struct {
	// named holds the compiled templates by name; a template file with a
	// single template names it "default".
	named   map[string]*jinja.Template
	sources map[string]string
	tokens  map[string]string
}

// Message is one turn of a conversation. Templates read role and content;
// richer messages (tool calls, content parts) go through RenderJSON.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Request is what Render passes to the template besides the special
// tokens.
type Request struct {
	Messages            []Message
	AddGenerationPrompt bool
}

// DefaultName is the name of the template used unless the request
// carries tools and a "tool_use" template exists (transformers' rule for
// tokenizers that ship several named templates).
const DefaultName = "default"

const toolUseName = "tool_use"

// New compiles a single template source. tokens are the special tokens
// the template sees by name (bos_token, eos_token, ...).
func New(source string, tokens map[string]string) (*Template, error) {
	return NewNamed(map[string]string{DefaultName: source}, tokens)
}

// NewNamed compiles a set of named templates (tokenizer_config.json's
// list form, or GGUF's tokenizer.chat_template.NAME keys). It needs a
// "default" template unless there is exactly one.
func NewNamed(sources map[string]string, tokens map[string]string) (*Template, error) {
	if len(sources) == 0 {
		return nil, errors.New("chat template: no template")
	}
	t := &Template{named: map[string]*jinja.Template{}, sources: maps.Clone(sources), tokens: maps.Clone(tokens)}
	if _, ok := sources[DefaultName]; !ok {
		if len(sources) != 1 {
			return nil, fmt.Errorf("chat template: %d named templates (%v) and none called %q", len(sources), slices.Sorted(maps.Keys(sources)), DefaultName)
		}
		for _, src := range sources {
			t.sources = map[string]string{DefaultName: src}
		}
	}
	for name, src := range t.sources {
		c, err := jinja.Compile(rewriteFilters(src))
		if err != nil {
			return nil, fmt.Errorf("chat template %q: %w", name, err)
		}
		t.named[name] = c
	}
	return t, nil
}

// Source returns the default template's text.
func (t *Template) Source() string { return t.sources[DefaultName] }

// Names returns the names of the templates, sorted.
func (t *Template) Names() []string { return slices.Sorted(maps.Keys(t.named)) }

// Tokens returns the special tokens the template is rendered with.
func (t *Template) Tokens() map[string]string { return maps.Clone(t.tokens) }

// Render renders a plain conversation.
func (t *Template) Render(r Request) (string, error) {
	if r.Messages == nil {
		r.Messages = []Message{}
	}
	b, err := json.Marshal(struct {
		Messages            []Message `json:"messages"`
		AddGenerationPrompt bool      `json:"add_generation_prompt"`
	}{r.Messages, r.AddGenerationPrompt})
	if err != nil {
		return "", err
	}
	return t.RenderJSON(b)
}

// RenderJSON renders a request given as one JSON object: "messages" (a
// list), optional "add_generation_prompt", "tools" and "documents", and
// any other key, passed to the template as a variable of that name (like
// apply_chat_template's keyword arguments). Special tokens are set first,
// so a key of the request may override one.
func (t *Template) RenderJSON(req []byte) (string, error) {
	v, err := decodeJSON(req)
	if err != nil {
		return "", fmt.Errorf("chat request: %w", err)
	}
	if !v.IsDict() {
		return "", errors.New("chat request: not a JSON object")
	}
	d := v.AsDict()
	msgs, ok := d.Get("messages")
	if !ok || !msgs.IsList() {
		return "", errors.New(`chat request: "messages" is missing or not a list`)
	}
	vars := make(map[string]jinja.Value, len(t.tokens)+len(d.Keys)+3)
	for k, s := range t.tokens {
		vars[k] = jinja.NewString(s)
	}
	// transformers always passes these three; absent ones are None, so
	// "tools is defined" holds and "tools is not none" does not.
	vars["tools"] = jinja.None()
	vars["documents"] = jinja.None()
	vars["add_generation_prompt"] = jinja.NewBool(false)
	for _, k := range d.Keys {
		vars[k] = d.Data[k]
	}
	vars[toJSONFilter] = toJSONValue
	name := DefaultName
	if tools := vars["tools"]; tools.IsTruthy() {
		if _, ok := t.named[toolUseName]; ok {
			name = toolUseName
		}
	}
	out, err := t.named[name].RenderValues(vars)
	if err != nil {
		return "", fmt.Errorf("chat template: %w", err)
	}
	return out, nil
}
