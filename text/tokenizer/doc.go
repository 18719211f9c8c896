// Package tokenizer turns text into token ids and back, as the model's own
// tokenizer does: Hugging Face tokenizer.json files (BPE models, byte-level
// or SentencePiece-style with byte fallback, with their normalizers,
// pre-tokenizers, post-processors, decoders and added tokens) and the
// vocabularies stored in GGUF files (tokenizer.ggml.*), which tokenize as
// llama.cpp does.
//
// Load picks the format from the path. Encode matches added tokens written
// literally in the text (as Hugging Face's add_special_tokens/split_special_tokens
// defaults do), Decode joins tokens through the decoder pipeline, and
// NewDecoder decodes a stream of ids one at a time without ever returning
// half of a UTF-8 character.
//
// The pre-tokenizer regular expressions that real tokenizers use (GPT-2,
// Llama 3, Qwen2) run on hand-written matchers that follow Oniguruma's
// semantics (Unicode \s, \p{L}, \p{N}, the \s+(?!\S) lookahead); any other
// pattern runs on github.com/dlclark/regexp2, a backtracking engine with
// lookaround. The hand-written matchers are tested against regexp2.
package tokenizer
