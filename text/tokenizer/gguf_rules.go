package tokenizer

import "strings"

// llama.cpp does not take a GGUF vocabulary's token types at their word:
// it recognises special tokens by their text, as below. lbrx follows it so
// that a GGUF tokenizes and stops as llama.cpp does.

// ggufEndTexts are the texts llama.cpp ends generation at (its EOG set),
// and marks as control tokens.
var ggufEndTexts = []string{
	"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
	"<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
	"<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
	"<｜end▁of▁sentence｜>", "[e~[",
}

// ggufFIMTexts are the fill-in-the-middle tokens llama.cpp finds by text
// and marks as control tokens.
var ggufFIMTexts = []string{
	"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>",
	"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>",
	"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>",
	"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
	"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>",
}

// ggufPlainTexts are tokens llama.cpp always renders and matches (gpt-oss's
// channel markers), whatever their type.
var ggufPlainTexts = []string{"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"}

// ggufTokenKinds returns each token's type after llama.cpp's overrides.
func ggufTokenKinds(toks []string, types []int) []int {
	kinds := make([]int, len(toks))
	if types != nil {
		copy(kinds, types)
	} else {
		for i := range kinds {
			kinds[i] = ggufNormal
		}
	}
	ids := make(map[string]int, len(ggufEndTexts)+len(ggufFIMTexts))
	for _, list := range [][]string{ggufEndTexts, ggufFIMTexts, ggufPlainTexts} {
		for _, s := range list {
			ids[s] = -1
		}
	}
	for id, s := range toks {
		if v, ok := ids[s]; ok && v < 0 {
			ids[s] = id
		}
	}
	for _, list := range [][]string{ggufEndTexts, ggufFIMTexts} {
		for _, s := range list {
			if id := ids[s]; id >= 0 {
				kinds[id] = ggufControl
			}
		}
	}
	for _, s := range ggufPlainTexts {
		if id := ids[s]; id >= 0 {
			kinds[id] = ggufUserDefined
		}
	}
	has := func(s string) bool { return ids[s] >= 0 }
	if end := ids["<|end|>"]; end >= 0 && ((has("<|return|>") && has("<|call|>")) || (has("<|calls|>") && has("<|flush|>"))) {
		kinds[end] = ggufUserDefined // a turn separator there, not an end
	}
	if s := ids["</s>"]; s >= 0 && has("<|tool_response>") {
		kinds[s] = ggufNormal
	}
	return kinds
}

// ggufEndOfGeneration returns the ids of the end-of-generation tokens
// llama.cpp finds by text, with its two exceptions.
func ggufEndOfGeneration(tokToID map[string]int) []int {
	has := func(s string) bool { _, ok := tokToID[s]; return ok }
	var out []int
	for _, s := range ggufEndTexts {
		id, ok := tokToID[s]
		if !ok {
			continue
		}
		if s == "<|end|>" && ((has("<|return|>") && has("<|call|>")) || (has("<|calls|>") && has("<|flush|>"))) {
			continue
		}
		if s == "</s>" && has("<|tool_response>") {
			continue
		}
		out = append(out, id)
	}
	return out
}

// ggufStripRules gives tokens the lstrip/rstrip attributes llama.cpp sets
// by model or pre-tokenizer name.
func ggufStripRules(added []AddedToken, name, pre string) {
	switch {
	case strings.HasPrefix(pre, "jina-v2-"):
		for i := range added {
			if added[i].Content == "<mask>" {
				added[i].LStrip = true
			}
		}
	case strings.Contains(name, "phi-3") || strings.Contains(name, "phi3"):
		for i := range added {
			switch added[i].Content {
			case "<unk>", "<s>", "<|endoftext|>":
			default:
				added[i].RStrip = true
			}
		}
	case strings.Contains(name, "modern-bert"):
		for i := range added {
			if added[i].Content == "[MASK]" {
				added[i].LStrip = true
			}
		}
	}
}
