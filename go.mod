module github.com/lbrx/lbrx

go 1.26.0

require github.com/magefile/mage v1.17.2

tool github.com/magefile/mage
