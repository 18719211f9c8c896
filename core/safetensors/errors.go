package safetensors

import (
	"errors"
	"fmt"
)

// ErrFormat is wrapped by every *FormatError, for errors.Is.
var ErrFormat = errors.New("invalid safetensors file")

// FormatError reports a file that breaks a rule of the format. Rule names
// the reference reader's error where there is one (HeaderTooLarge,
// InvalidOffset, TensorInvalidInfo, ...) followed by the details.
type FormatError struct {
	File   string
	Tensor string // empty when the problem is not tied to one tensor
	Rule   string
}

func (e *FormatError) Error() string {
	if e.Tensor != "" {
		return fmt.Sprintf("safetensors %s: tensor %q: %s", e.File, e.Tensor, e.Rule)
	}
	return fmt.Sprintf("safetensors %s: %s", e.File, e.Rule)
}

// Unwrap makes errors.Is(err, ErrFormat) true.
func (e *FormatError) Unwrap() error { return ErrFormat }

func formatErr(file, tensor, format string, a ...any) error {
	return &FormatError{File: file, Tensor: tensor, Rule: fmt.Sprintf(format, a...)}
}
