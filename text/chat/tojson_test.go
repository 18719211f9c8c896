package chat

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tojson writes what Python's json.dumps writes with transformers'
// defaults (ensure_ascii=False); the expected strings are Python 3.12's.
func TestToJSONIsPythonsJSONDumps(t *testing.T) {
	data := `{"messages": [], "v": {"b": [1, 1.0, 0.5, 1e-7, 1e20, 12.25, -0.0, true, null], "a": {}, "c": [], "s": "é\"\\\n\t\u0001😀 <&>"}}`
	for _, c := range []struct{ src, want string }{
		{`{{ v | tojson }}`, `{"b": [1, 1.0, 0.5, 1e-07, 1e+20, 12.25, -0.0, true, null], "a": {}, "c": [], "s": "é\"\\\n\t\u0001😀 <&>"}`},
		{`{{ v.b | tojson(indent=2) }}`, "[\n  1,\n  1.0,\n  0.5,\n  1e-07,\n  1e+20,\n  12.25,\n  -0.0,\n  true,\n  null\n]"},
		{`{{ v | tojson(indent=4) }}`, "{\n    \"b\": [\n        1,\n        1.0,\n        0.5,\n        1e-07,\n        1e+20,\n        12.25,\n        -0.0,\n        true,\n        null\n    ],\n    \"a\": {},\n    \"c\": [],\n    \"s\": \"é\\\"\\\\\\n\\t\\u0001😀 <&>\"\n}"},
		{`{{ v.s | tojson(ensure_ascii=true) }}`, `"\u00e9\"\\\n\t\u0001\ud83d\ude00 <&>"`},
		{`{{ v | tojson(sort_keys=true, separators=(',', ':')) }}`, `{"a":{},"b":[1,1.0,0.5,1e-07,1e+20,12.25,-0.0,true,null],"c":[],"s":"é\"\\\n\t\u0001😀 <&>"}`},
		{`{{ {'z': 1, 'y': [2]} | tojson(indent='\t') }}`, "{\n\t\"z\": 1,\n\t\"y\": [\n\t\t2\n\t]\n}"},
		// tojson inside string literals, comments and raw blocks is text.
		{`{# | tojson #}{{ "a | tojson" }}{% raw %}{{ x | tojson }}{% endraw %}`, `a | tojson{{ x | tojson }}`},
	} {
		tmpl, err := New(c.src, nil)
		require.NoError(t, err, c.src)
		got, err := tmpl.RenderJSON([]byte(data))
		require.NoError(t, err, c.src)
		assert.Equal(t, c.want, got, c.src)
	}
	for _, c := range []struct{ src, err string }{
		{`{{ nothing | tojson }}`, "undefined value is not JSON serializable"},
		{`{{ v | tojson(bogus=1) }}`, `unexpected keyword argument "bogus"`},
		{`{{ v | tojson(separators=1) }}`, "separators must be two strings"},
		{`{{ v | tojson(indent=[1]) }}`, "indent must be an integer or a string"},
	} {
		tmpl, err := New(c.src, nil)
		require.NoError(t, err, c.src)
		_, err = tmpl.RenderJSON([]byte(data))
		require.ErrorContains(t, err, c.err, c.src)
	}
}

// A JSON schema with an "items" key (any array parameter) still iterates
// with .items(): the engine would find the key before the method.
func TestItemsMethodOnSchemas(t *testing.T) {
	tmpl, err := New(`{% for k, v in tools[0].items() %}{{ k }}={{ v }};{% endfor %}|{{ tools[0].items() | list | length }}`, nil)
	require.NoError(t, err)
	got, err := tmpl.RenderJSON([]byte(`{"messages": [], "tools": [{"type": "array", "items": "x"}]}`))
	require.NoError(t, err)
	assert.Equal(t, "type=array;items=x;|2", got)
}

func TestRewriteFilters(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{{ x|tojson }}`, `{{ x|lbrx_tojson }}`},
		{"{{- x |\n tojson(indent=4) -}}", "{{- x |\n lbrx_tojson(indent=4) -}}"},
		{`{{ x | tojsonish }}{{ tojson }}`, `{{ x | tojsonish }}{{ tojson }}`},
		{`{% set y = 'a|tojson' ~ "b\"|tojson" | tojson %}`, `{% set y = 'a|tojson' ~ "b\"|tojson" | lbrx_tojson %}`},
		{`text | tojson {{ d.items() }}{{ d.items()[0] }}{{ f().items()|list }}`, `text | tojson {{ d|items }}{{ d.items()[0] }}{{ f()|items|list }}`},
		{`{{ unclosed | tojson`, `{{ unclosed | lbrx_tojson`},
		{`{ {x} {#`, `{ {x} {#`},
	} {
		assert.Equal(t, c.want, rewriteFilters(c.in), c.in)
	}
}
