module github.com/lbrx/lbrx/quant/_generate

go 1.26.0
