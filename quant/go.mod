module github.com/lbrx/lbrx/quant

go 1.26

replace github.com/lbrx/lbrx/core => ../core
