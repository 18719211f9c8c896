package tokenizer

// Byte-level BPE (GPT-2 and its descendants) maps every byte to a printable
// rune before the model sees it: printable Latin-1 bytes map to themselves,
// the other 68 to U+0100 onwards in byte order. lbrx runs byte-level models
// on raw bytes instead (the vocabulary is translated once at load), so the
// table is needed only to translate token strings.
var (
	byteToRune [256]rune
	runeToByte = map[rune]byte{}
)

func init() {
	n := rune(0)
	for b := range 256 {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = 256 + n
			n++
		}
		runeToByte[byteToRune[b]] = byte(b)
	}
}

// byteLevelDecode turns a byte-level token string back into its bytes; ok
// is false when a rune is outside the byte alphabet (an added token such as
// "<|begin_of_text|>" that was never byte-encoded).
func byteLevelDecode(s string) (b []byte, ok bool) {
	b = make([]byte, 0, len(s))
	for _, r := range s {
		c, found := runeToByte[r]
		if !found {
			return nil, false
		}
		b = append(b, c)
	}
	return b, true
}
