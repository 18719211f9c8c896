module github.com/lbrx/lbrx/tools/lbrx

go 1.26.0

require (
	github.com/lbrx/lbrx/core v0.0.0-00010101000000-000000000000
	github.com/lbrx/lbrx/text v0.0.0-00010101000000-000000000000
)

replace github.com/lbrx/lbrx/core => ../../core

require (
	github.com/lbrx/lbrx/cuda v0.0.0-00010101000000-000000000000
	github.com/lbrx/lbrx/metal v0.0.0-00010101000000-000000000000
	github.com/stretchr/testify v1.12.1
	github.com/x448/float16 v0.8.4
)

require github.com/ardanlabs/jinja v1.8.0 // indirect

require (
	github.com/ebitengine/purego v0.11.3 // indirect
	github.com/lbrx/lbrx/models v0.0.0-00010101000000-000000000000
	github.com/lbrx/lbrx/quant v0.0.0-00010101000000-000000000000
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	github.com/schollz/progressbar/v3 v3.19.1
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.44.0
)

replace (
	github.com/lbrx/lbrx/cuda => ../../cuda
	github.com/lbrx/lbrx/metal => ../../metal
	github.com/lbrx/lbrx/quant => ../../quant
)

replace github.com/lbrx/lbrx/models => ../../models

require (
	github.com/dlclark/regexp2/v2 v2.13.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

replace github.com/lbrx/lbrx/text => ../../text
