module github.com/lbrx/lbrx/tools/shaderc

go 1.26

replace github.com/lbrx/lbrx/core => ../../core

replace github.com/lbrx/lbrx/metal => ../../metal
