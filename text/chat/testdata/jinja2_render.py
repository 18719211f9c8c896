"""Render chat templates with Jinja2 set up the way transformers sets it up.

A test oracle for text/chat (TestMatchesJinja2): usage
    python3 jinja2_render.py CONVERSATIONS.json TEMPLATE.jinja... > renders.json
prints {"<file name>": [{"text": ...} or {"error": ...}, ...]}, one entry per
conversation. Needs only the jinja2 package.
"""
import json
import os
import sys
from datetime import datetime

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.now().strftime(fmt)


class Generation(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %} renders its body (transformers
    uses it to mark assistant tokens)."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, jinja2.ext.loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

conversations = json.load(open(sys.argv[1], encoding="utf-8"))
out = {}
for path in sys.argv[2:]:
    renders = []
    try:
        template = env.from_string(open(path, encoding="utf-8").read())
    except Exception as e:  # noqa: BLE001 - every failure is a result
        renders = [{"error": "compile: %s" % e}] * len(conversations)
    else:
        for c in conversations:
            kwargs = {k: v for k, v in c.items() if k not in ("messages", "tools", "documents", "add_generation_prompt")}
            try:
                text = template.render(messages=c["messages"], tools=c.get("tools"), documents=c.get("documents"),
                                       add_generation_prompt=c.get("add_generation_prompt", False),
                                       bos_token="<s>", eos_token="</s>", **kwargs)
                renders.append({"text": text})
            except Exception as e:  # noqa: BLE001
                renders.append({"error": "%s: %s" % (type(e).__name__, e)})
    out[os.path.basename(path)] = renders
json.dump(out, sys.stdout, ensure_ascii=False)
