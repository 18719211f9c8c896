package gguf

import (
	"errors"
	"fmt"
)

// ErrFormat is wrapped by every *FormatError, for errors.Is.
var ErrFormat = errors.New("invalid GGUF file")

// FormatError reports a file that breaks a rule of the format: the file,
// the metadata key or tensor involved (if any) and the rule.
type FormatError struct {
	File   string
	Key    string // metadata key, when the problem is in one
	Tensor string // tensor name, when the problem is in one
	Rule   string
}

func (e *FormatError) Error() string {
	switch {
	case e.Tensor != "":
		return fmt.Sprintf("gguf %s: tensor %q: %s", e.File, e.Tensor, e.Rule)
	case e.Key != "":
		return fmt.Sprintf("gguf %s: key %q: %s", e.File, e.Key, e.Rule)
	}
	return fmt.Sprintf("gguf %s: %s", e.File, e.Rule)
}

// Unwrap makes errors.Is(err, ErrFormat) true.
func (e *FormatError) Unwrap() error { return ErrFormat }
