module github.com/lbrx/lbrx/integration

go 1.26

replace github.com/lbrx/lbrx/core => ../core

replace (
	github.com/lbrx/lbrx/cuda => ../cuda
	github.com/lbrx/lbrx/metal => ../metal
	github.com/lbrx/lbrx/quant => ../quant
)
