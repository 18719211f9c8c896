package tokenizer

import (
	"fmt"
	"strings"
)

// model encodes one pre-tokenized word.
type model interface {
	encode(w string, dst []int) ([]int, error)
}

// Tokenizer converts between text and token ids. It is safe for concurrent
// use.
type Tokenizer struct {
	source string // the file it was loaded from, for error messages

	norm normalizer   // nil: none
	pre  preTokenizer // nil: the segment is one word
	// words is set when pre amounts to one hand-written split: Encode then
	// walks the words without building a list of pieces.
	words *wordSplitter
	model model
	post  postProcessor // nil: adds nothing
	dec   decoder       // nil: tokens joined with spaces

	added     *addedMatcher // matched in the raw text
	addedNorm *addedMatcher // matched in the normalized text
	// the same without special tokens (EncodeOptions.SplitSpecial)
	addedPlain, addedNormPlain *addedMatcher
	addedByID                  map[int]AddedToken

	idToTok []string
	tokToID map[string]int

	cfg Config
	bos int // -1: none
	eos []int
}

// Config is what a tokenizer's configuration says beyond the vocabulary.
type Config struct {
	// ChatTemplate is the Jinja chat template (tokenizer_config.json
	// chat_template — the "default" one when it is a named list — or GGUF
	// tokenizer.chat_template); empty when there is none.
	ChatTemplate string
	// ChatTemplates holds every named template of a named list.
	ChatTemplates map[string]string
	// BOSToken and EOSToken are the token strings (bos_token, eos_token).
	BOSToken, EOSToken string
	// AddBOS and AddEOS say whether encoding with special tokens adds them.
	AddBOS, AddEOS bool
}

// Config returns the tokenizer's configuration.
func (t *Tokenizer) Config() Config { return t.cfg }

// BOS returns the beginning-of-sequence token, if the tokenizer has one.
func (t *Tokenizer) BOS() (int, bool) { return t.bos, t.bos >= 0 }

// EOS returns the tokens that end generation (the configured EOS token and,
// for GGUF vocabularies, end-of-turn tokens).
func (t *Tokenizer) EOS() []int { return append([]int(nil), t.eos...) }

// VocabSize is one more than the largest token id.
func (t *Tokenizer) VocabSize() int { return len(t.idToTok) }

// TokenID returns the id of a token string (as Tokens prints it).
func (t *Tokenizer) TokenID(tok string) (int, bool) {
	id, ok := t.tokToID[tok]
	return id, ok
}

// Tokens returns the token strings of ids ("" for an id out of range).
func (t *Tokenizer) Tokens(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if id >= 0 && id < len(t.idToTok) {
			out[i] = t.idToTok[id]
		}
	}
	return out
}

// IsSpecial reports whether id is a special added token (one Decode with
// skipSpecial drops).
func (t *Tokenizer) IsSpecial(id int) bool {
	a, ok := t.addedByID[id]
	return ok && a.Special
}

// Encode turns text into token ids. Added tokens written in the text (such
// as "<|im_start|>") become their ids, as Hugging Face's tokenizers do by
// default; addSpecial applies the post-processor (a BOS token, ...) as
// add_special_tokens=True does.
func (t *Tokenizer) Encode(text string, addSpecial bool) ([]int, error) {
	return t.EncodeWith(text, EncodeOptions{AddSpecial: addSpecial})
}

// EncodeOptions tunes EncodeWith.
type EncodeOptions struct {
	// AddSpecial applies the post-processor.
	AddSpecial bool
	// SplitSpecial treats the text of special tokens as plain text
	// (transformers' split_special_tokens=True, llama.cpp's
	// parse_special=false): only non-special added tokens are matched.
	SplitSpecial bool
}

// EncodeWith is Encode with options.
func (t *Tokenizer) EncodeWith(text string, o EncodeOptions) ([]int, error) {
	added, addedNorm := t.added, t.addedNorm
	if o.SplitSpecial {
		added, addedNorm = t.addedPlain, t.addedNormPlain
	}
	ids := make([]int, 0, len(text)/3+4)
	var pieces []piece
	var err error
	for _, seg := range added.split(text, true, nil) {
		if seg.id >= 0 {
			ids = append(ids, seg.id)
			continue
		}
		s := seg.text
		if t.norm != nil {
			if s, err = t.norm.normalize(s); err != nil {
				return nil, t.errorf("normalizing: %w", err)
			}
		}
		for _, ns := range addedNorm.split(s, seg.start, nil) {
			if ns.id >= 0 {
				ids = append(ids, ns.id)
				continue
			}
			if t.words != nil {
				w := ns.text
				for i := 0; i < len(w); {
					n := t.words.matchAt(w, i)
					if ids, err = t.model.encode(w[i:i+n], ids); err != nil {
						return nil, t.errorf("%w", err)
					}
					i += n
				}
				continue
			}
			pieces = append(pieces[:0], piece{s: ns.text, start: ns.start})
			if t.pre != nil {
				if pieces, err = t.pre.split(pieces, nil); err != nil {
					return nil, t.errorf("pre-tokenizing: %w", err)
				}
			}
			for _, p := range pieces {
				if ids, err = t.model.encode(p.s, ids); err != nil {
					return nil, t.errorf("%w", err)
				}
			}
		}
	}
	if o.AddSpecial && t.post != nil {
		ids = t.post.process(ids)
	}
	return ids, nil
}

// setAdded builds the added-token matchers and the id index.
func (t *Tokenizer) setAdded(toks []AddedToken) {
	var raw, norm, rawPlain, normPlain []AddedToken
	t.addedByID = make(map[int]AddedToken, len(toks))
	for _, a := range toks {
		t.addedByID[a.ID] = a
		if a.Normalized {
			norm = append(norm, a)
			if !a.Special {
				normPlain = append(normPlain, a)
			}
		} else {
			raw = append(raw, a)
			if !a.Special {
				rawPlain = append(rawPlain, a)
			}
		}
	}
	t.added, t.addedNorm = newAddedMatcher(raw), newAddedMatcher(norm)
	t.addedPlain, t.addedNormPlain = newAddedMatcher(rawPlain), newAddedMatcher(normPlain)
}

// Decode turns ids into text through the decoder pipeline; skipSpecial
// drops special added tokens first.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) (string, error) {
	toks := make([]string, 0, len(ids))
	for _, id := range ids {
		if id < 0 || id >= len(t.idToTok) {
			return "", t.errorf("token id %d out of range [0, %d)", id, len(t.idToTok))
		}
		if skipSpecial && t.IsSpecial(id) {
			continue
		}
		toks = append(toks, t.idToTok[id])
	}
	return t.decodeTokens(toks), nil
}

func (t *Tokenizer) decodeTokens(toks []string) string {
	if t.dec == nil {
		return strings.Join(toks, " ")
	}
	return strings.Join(t.dec.decode(toks), "")
}

func (t *Tokenizer) errorf(format string, a ...any) error {
	return fmt.Errorf("tokenizer %s: "+format, append([]any{t.source}, a...)...)
}
