// Package chat renders a model's chat template: the Jinja program shipped
// as chat_template in tokenizer_config.json (or chat_template.jinja beside
// it, or tokenizer.chat_template in a GGUF file) that turns a conversation
// into the exact text the model was trained on.
//
// Rendering follows transformers' apply_chat_template: the template sees
// messages, tools and documents (None when absent), add_generation_prompt,
// the tokenizer's special tokens (bos_token, eos_token, ...), any extra
// keyword arguments, and the globals raise_exception and strftime_now;
// blocks are trimmed as with Jinja's trim_blocks and lstrip_blocks. The
// Jinja engine is github.com/ardanlabs/jinja, with transformers' tojson
// (Python's json.dumps) in place of its own. Conversations are decoded
// from JSON keeping the order of object keys, as Python's json does, so
// that tojson writes tool schemas in the order they were given.
package chat
