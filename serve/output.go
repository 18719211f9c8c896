package serve

import (
	"context"
	"strings"

	"github.com/lbrx/lbrx/text/tokenizer"
)

// output turns a job's tokens into text: streaming detokenization, stop
// strings (the text ends before the first one, which is held back while
// it may still be forming) and the token count.
type output struct {
	dec       *tokenizer.Decoder
	stops     []string
	text      strings.Builder // text released so far
	pending   string          // decoded text held back
	generated int
}

func newOutput(t *tokenizer.Tokenizer, stops []string) *output {
	return &output{dec: t.NewDecoder(true), stops: stops}
}

// add takes one event and returns the text it releases and, when the
// generation ends with it, the finish reason (stop when a stop string
// appeared: the caller then cancels the job).
func (o *output) add(ev event) (delta, finish string, err error) {
	if ev.err != nil {
		return "", "", ev.err
	}
	o.generated++
	if !ev.eos {
		piece, err := o.dec.Add(ev.id)
		if err != nil {
			return "", "", err
		}
		o.pending += piece
	}
	if ev.finish != "" {
		rest, err := o.dec.Flush()
		if err != nil {
			return "", "", err
		}
		o.pending += rest
	}
	if i := o.firstStop(); i >= 0 {
		delta, finish = o.pending[:i], finishStop
		o.pending = ""
	} else if ev.finish != "" {
		delta, finish = o.pending, ev.finish
		o.pending = ""
	} else {
		keep := o.stopPrefix()
		delta = o.pending[:len(o.pending)-keep]
		o.pending = o.pending[len(o.pending)-keep:]
	}
	o.text.WriteString(delta)
	return delta, finish, nil
}

// firstStop returns where the earliest stop string starts in pending, or
// -1. Text before pending never holds the start of one (stopPrefix).
func (o *output) firstStop() int {
	first := -1
	for _, s := range o.stops {
		if i := strings.Index(o.pending, s); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	return first
}

// stopPrefix returns the length of the longest end of pending that some
// stop string begins with.
func (o *output) stopPrefix() int {
	best := 0
	for _, s := range o.stops {
		for n := min(len(s)-1, len(o.pending)); n > best; n-- {
			if strings.HasSuffix(o.pending, s[:n]) {
				best = n
				break
			}
		}
	}
	return best
}

// collect reads j's events to the end and returns the finish reason.
func (o *output) collect(ctx context.Context, j *job, cancel func()) (string, error) {
	for {
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case ev := <-j.events:
			_, finish, err := o.add(ev)
			if err != nil {
				return "", err
			}
			if finish != "" {
				cancel() // frees the slot at once when a stop string ended it
				return finish, nil
			}
		}
	}
}
