package core

import (
	"fmt"
	"strings"
)

// Attrs are an op's typed parameters. Op.Param, a single float64, is
// kept for backends written against it; core fills both, so a backend may
// read either. Attrs let a recorded graph be checked, printed and fused
// without knowing what each op's float means.
type Attrs interface {
	// String prints the parameters as name=value pairs.
	String() string
}

// NormAttrs are rms_norm's parameters.
type NormAttrs struct {
	Eps float64 // added to the mean square
}

func (p NormAttrs) String() string { return fmt.Sprintf("eps=%g", p.Eps) }

// AttentionAttrs are causal_attention's and cached_attention's: the
// scale, sliding window and soft cap of AttentionParams.
type AttentionAttrs AttentionParams

func (p AttentionAttrs) String() string {
	s := fmt.Sprintf("scale=%g", p.Scale)
	if p.Window > 0 {
		s += fmt.Sprintf(" window=%d", p.Window)
	}
	if p.SoftCap > 0 {
		s += fmt.Sprintf(" softcap=%g", p.SoftCap)
	}
	return s
}

// VarAttrs are var's parameters.
type VarAttrs struct {
	DDOF float64 // delta degrees of freedom: the divisor is N - DDOF
}

func (p VarAttrs) String() string { return fmt.Sprintf("ddof=%g", p.DDOF) }

// String prints op as one line: name, operands with shapes and dtypes,
// output, axes and parameters; for graph listings and error messages.
func (op *Op) String() string {
	var b strings.Builder
	b.WriteString(op.Name)
	b.WriteByte('(')
	for i, a := range op.Inputs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(operand(a))
	}
	b.WriteString(") -> ")
	b.WriteString(operand(op.Out))
	if len(op.Axes) > 0 {
		fmt.Fprintf(&b, " axes=%v", op.Axes)
	}
	if op.Attrs != nil {
		b.WriteString(" {" + op.Attrs.String() + "}")
	}
	return b.String()
}

func operand(a *Array) string {
	if a == nil {
		return "nil"
	}
	return fmt.Sprintf("%v %v", a.shape, a.dtype)
}
