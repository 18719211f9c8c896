module github.com/lbrx/lbrx/text

go 1.26.0
