// Package sample picks the next token from a row of logits: greedy or
// random with temperature, top-k, top-p (nucleus), min-p and a
// repetition penalty, from a seeded generator so equal seeds give equal
// samples. It works on host float32 rows and knows nothing of devices.
//
// The steps run in the order transformers' logits processors do:
// repetition penalty, temperature, top-k, top-p, min-p, then a draw from
// what is left (llama.cpp applies its temperature after the cut-offs, so
// with a temperature other than 1 its top-p and min-p keep different
// sets).
package sample
