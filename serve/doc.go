// Package serve is an OpenAI-compatible HTTP server for a Llama-family
// model (package llama) with continuous batching.
//
// Endpoints: POST /v1/chat/completions and POST /v1/completions (JSON or,
// with "stream": true, server-sent events), GET /v1/models, GET /health
// and GET /metrics (Prometheus text format).
//
// # Continuous batching
//
// One goroutine, the engine, owns the model. Requests wait in a bounded
// queue; at every token boundary the engine admits waiting requests while
// a slot is free and the KV-cache budget allows (the prompts admitted at
// one step prefill together, llama.Pool.PrefillBatch: their positions
// stacked into passes of a fixed number of rows, each row attending its
// own sequence), drops the sequences that finished or whose client
// went away, and runs one decode pass (llama.Pool.Decode) for every
// active sequence together: their new tokens stacked into one [B, hidden]
// activation, so each projection, quantized or not, runs once per step,
// and one paged attention op per layer attends every row over its own
// sequence. The sequences' keys and values live in one llama.Pool, a
// paged cache whose blocks of 16 positions a sequence takes when admitted
// (prompt + max_tokens, in whole blocks, counted against the budget) and
// gives back when it leaves; the decode pass is recorded once per width
// (one CUDA graph launch per step on CUDA) and replayed with the new
// tokens, positions and block tables as device data.
//
// Batch invariance: the decode pass always has MaxBatch rows, the free
// slots padded. The matmul kernels choose their algorithm by the number
// of rows, so a pass of varying width would change a sequence's logits in
// the last bits with the load; at one width they do not depend on the row
// or the other rows (llama's TestForwardBatchIsBatchInvariant), so a
// greedy request gets the same answer alone or among 31 others
// (llama's TestPoolDecodeMatchesForwardBatch checks the pool's pass
// against ForwardBatch's, bit for bit on the CPU). The cost:
// a lone sequence pays for MaxBatch rows (Config.VaryWidth turns padding
// off). Prefill passes have a fixed width too (llama.Pool.PrefillRows),
// so a prompt's logits do not depend on the prompts it joins with.
//
// Nothing in the engine is CPU-specific: the model's device runs every
// pass and only logits rows come back to the host for sampling.
package serve
