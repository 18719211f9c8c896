module github.com/lbrx/lbrx/cuda

go 1.26.0

require github.com/lbrx/lbrx/core v0.0.0-00010101000000-000000000000

require go.yaml.in/yaml/v3 v3.0.5 // indirect

require (
	github.com/ebitengine/purego v0.11.3
	github.com/lbrx/lbrx/quant v0.0.0-00010101000000-000000000000
	github.com/stretchr/testify v1.12.1
	github.com/x448/float16 v0.8.4
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/lbrx/lbrx/core => ../core

replace github.com/lbrx/lbrx/quant => ../quant
