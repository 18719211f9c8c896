// Package models is the root of lbrx's model implementations: complete
// networks built from core's and quant's ops, loaded from the files their
// authors publish. Each architecture is a package of its own (llama).
package models
