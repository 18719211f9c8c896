module github.com/lbrx/lbrx/serve

go 1.26.0

replace (
	github.com/lbrx/lbrx/core => ../core
	github.com/lbrx/lbrx/cuda => ../cuda
	github.com/lbrx/lbrx/metal => ../metal
	github.com/lbrx/lbrx/models => ../models
	github.com/lbrx/lbrx/quant => ../quant
	github.com/lbrx/lbrx/text => ../text
)

require (
	github.com/lbrx/lbrx/core v0.0.0-00010101000000-000000000000
	github.com/lbrx/lbrx/cuda v0.0.0-00010101000000-000000000000
	github.com/lbrx/lbrx/metal v0.0.0-00010101000000-000000000000
	github.com/lbrx/lbrx/models v0.0.0-00010101000000-000000000000
	github.com/lbrx/lbrx/text v0.0.0-00010101000000-000000000000
	github.com/openai/openai-go/v3 v3.102.0
	github.com/prometheus/client_golang v1.23.2
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/ardanlabs/jinja v1.8.0 // indirect
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/coder/websocket v1.8.15 // indirect
	github.com/dlclark/regexp2/v2 v2.13.0 // indirect
	github.com/ebitengine/purego v0.11.3 // indirect
	github.com/kr/text v0.2.0 // indirect
	github.com/kylelemons/godebug v1.1.0 // indirect
	github.com/lbrx/lbrx/quant v0.0.0-00010101000000-000000000000 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/prometheus/client_model v0.6.2 // indirect
	github.com/prometheus/common v0.66.1 // indirect
	github.com/prometheus/procfs v0.16.1 // indirect
	github.com/tidwall/gjson v1.20.1 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.2.1 // indirect
	github.com/tidwall/sjson v1.2.5 // indirect
	github.com/x448/float16 v0.8.4 // indirect
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
	google.golang.org/protobuf v1.36.8 // indirect
)
