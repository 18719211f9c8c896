package quant

import (
	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
)

// blockDecoders are assembly decoders of whole runs of ggml blocks into
// float32 (block_decode_amd64.go), giving exactly the values of
// core/gguf's reference decoder (the tests hold them to it bit for bit).
// The panel kernel of prefill decodes every weight block once per call,
// and the reference decoder's per-block loop was 40% of a 64-token
// Q4_0 prefill.
var blockDecoders = map[core.Scheme]func(src []byte, dst []float32){}

// decodeBlocks decodes len(dst)/BlockValues(s) blocks of src into dst
// with the scheme's assembly decoder where there is one, else with
// core/gguf's reference decoder; typ is the scheme's ggml type.
func decodeBlocks(s core.Scheme, typ gguf.Type, src []byte, dst []float32) {
	if d := blockDecoders[s]; d != nil {
		d(src, dst)
		return
	}
	// Cannot fail: the callers pass the scheme's type and matching sizes.
	_ = gguf.Dequantize(typ, src, dst)
}
