package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ardanlabs/jinja"
)

// maxDepth bounds JSON nesting so a hostile conversation cannot exhaust
// the stack.
const maxDepth = 256

// decodeJSON turns one JSON value into a template value, keeping object
// keys in the order they appear (Python dicts do, and tojson prints them
// in that order) and integers as integers (Python's json keeps 3 and 3.0
// apart).
func decodeJSON(b []byte) (jinja.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return jinja.Undefined(), err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return jinja.Undefined(), errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (jinja.Value, error) {
	if depth > maxDepth {
		return jinja.Undefined(), fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return jinja.Undefined(), err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return decodeObject(dec, depth)
		}
		if t == '[' {
			return decodeArray(dec, depth)
		}
		return jinja.Undefined(), fmt.Errorf("unexpected %q", t)
	case nil:
		return jinja.None(), nil
	case bool:
		return jinja.NewBool(t), nil
	case string:
		return jinja.NewString(t), nil
	case json.Number:
		return number(t)
	}
	return jinja.Undefined(), fmt.Errorf("unexpected JSON token %v", tok)
}

func decodeObject(dec *json.Decoder, depth int) (jinja.Value, error) {
	d := jinja.NewDict()
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return jinja.Undefined(), err
		}
		k, ok := kt.(string)
		if !ok {
			return jinja.Undefined(), fmt.Errorf("object key %v is not a string", kt)
		}
		v, err := decodeValue(dec, depth+1)
		if err != nil {
			return jinja.Undefined(), err
		}
		d.AsDict().Set(k, v)
	}
	_, err := dec.Token() // '}'
	return d, err
}

func decodeArray(dec *json.Decoder, depth int) (jinja.Value, error) {
	items := []jinja.Value{}
	for dec.More() {
		v, err := decodeValue(dec, depth+1)
		if err != nil {
			return jinja.Undefined(), err
		}
		items = append(items, v)
	}
	_, err := dec.Token() // ']'
	return jinja.NewList(items), err
}

// number keeps a JSON number written without a fraction or exponent as
// an integer, as Python's json does.
func number(n json.Number) (jinja.Value, error) {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return jinja.NewInt(i), nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return jinja.Undefined(), fmt.Errorf("number %s: %w", s, err)
	}
	return jinja.NewFloat(f), nil
}
