package tokenizer

import (
	"errors"

	"github.com/lbrx/lbrx/core/gguf"
)

// FromGGUF builds the tokenizer stored in a GGUF file's metadata.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	return nil, errors.New("not yet")
}
