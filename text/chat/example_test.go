package chat_test

import (
	"fmt"

	"github.com/lbrx/lbrx/text/chat"
)

func ExampleTemplate_Render() {
	tmpl, err := chat.New(`{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>{{ m.content | trim }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}`,
		map[string]string{"bos_token": "<s>"})
	if err != nil {
		fmt.Println(err)
		return
	}
	text, err := tmpl.Render(chat.Request{Messages: []chat.Message{{Role: "user", Content: " Hello! "}}, AddGenerationPrompt: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(text)
	// Output: <s><|user|>Hello!<|assistant|>
}

func ExampleTemplate_RenderJSON() {
	tmpl, err := chat.New(`{% for t in tools %}{{ t | tojson }}{% endfor %}`, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	text, err := tmpl.RenderJSON([]byte(`{"messages": [], "tools": [{"name": "f", "arguments": {"b": 1, "a": 2}}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(text)
	// Output: {"name": "f", "arguments": {"b": 1, "a": 2}}
}
