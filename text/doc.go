// Package text is lbrx's text layer: tokenizers (package
// text/tokenizer: Hugging Face tokenizer.json and GGUF vocabularies) and
// chat templates (package text/chat). It depends on core only to read GGUF
// metadata, never on a device.
package text
