package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// Decoder decodes ids one at a time for streaming output. Add returns the
// text that the ids so far complete and never half of a UTF-8 character:
// while the decoded text ends in an unfinished byte sequence (a U+FFFD from
// the byte-level or byte-fallback decoder) it waits for the next id. Flush
// returns what is left. A Decoder is not safe for concurrent use.
type Decoder struct {
	t    *Tokenizer
	skip bool
	// window holds the ids that are decoded together: the ids of the last
	// chunk returned (context for decoders that look at the token before,
	// such as a leading-space strip) and those not returned yet.
	window []int
	// done is how many ids of window were already returned, and doneText
	// their decoded text.
	done     int
	doneText string
}

// NewDecoder returns a streaming decoder; skipSpecial drops special tokens
// as Decode does.
func (t *Tokenizer) NewDecoder(skipSpecial bool) *Decoder {
	return &Decoder{t: t, skip: skipSpecial}
}

// Add decodes one more id and returns the text it completes (often "").
func (d *Decoder) Add(id int) (string, error) {
	if id < 0 || id >= len(d.t.idToTok) {
		return "", d.t.errorf("token id %d out of range [0, %d)", id, len(d.t.idToTok))
	}
	if d.skip && d.t.IsSpecial(id) {
		return "", nil
	}
	d.window = append(d.window, id)
	full, _ := d.t.Decode(d.window, false)
	if strings.HasSuffix(full, "\uFFFD") {
		return "", nil // possibly an unfinished character: wait
	}
	out := d.newText(full)
	if out == "" && len(full) <= len(d.doneText) {
		return "", nil // nothing visible yet (a token that decodes to nothing, or a stripped space)
	}
	// The chunk just returned becomes the context for the next one.
	d.window = append(d.window[:0], d.window[d.done:]...)
	d.done = len(d.window)
	d.doneText, _ = d.t.Decode(d.window, false)
	return out, nil
}

// newText is what full adds to the text already returned: normally the
// part after it; if a decoder rewrote earlier text, the part after the
// longest common prefix (returned text cannot be taken back).
func (d *Decoder) newText(full string) string {
	if strings.HasPrefix(full, d.doneText) {
		return full[len(d.doneText):]
	}
	i := 0
	for i < len(full) && i < len(d.doneText) && full[i] == d.doneText[i] {
		i++
	}
	for i > 0 && !utf8.RuneStart(full[i]) {
		i--
	}
	return full[i:]
}

// Flush returns the text of the ids not returned yet, even an unfinished
// character (as U+FFFD), and resets the decoder.
func (d *Decoder) Flush() (string, error) {
	var out string
	if len(d.window) > d.done {
		full, err := d.t.Decode(d.window, false)
		if err != nil {
			return "", err
		}
		out = d.newText(full)
	}
	d.window, d.done, d.doneText = d.window[:0], 0, ""
	return out, nil
}
