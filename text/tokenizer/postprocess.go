package tokenizer

// postProcessor adds the special tokens of add_special_tokens=true.
type postProcessor interface {
	process(ids []int) []int
}

// template is TemplateProcessing's single-sequence template: ids before
// and after the sequence.
type template struct{ before, after []int }

func (t template) process(ids []int) []int {
	out := make([]int, 0, len(t.before)+len(ids)+len(t.after))
	out = append(out, t.before...)
	out = append(out, ids...)
	return append(out, t.after...)
}

type postSequence []postProcessor

func (q postSequence) process(ids []int) []int {
	for _, p := range q {
		ids = p.process(ids)
	}
	return ids
}

// noPost is a processor that adds nothing (ByteLevel: offsets only).
type noPost struct{}

func (noPost) process(ids []int) []int { return ids }
