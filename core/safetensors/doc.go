// Package safetensors reads and writes Hugging Face safetensors files:
// single files and sharded model directories (model.safetensors.index.json).
//
// Open parses and validates only the header; tensor bytes are touched when
// a tensor is loaded, and then only its own pages. By default the file is
// memory-mapped and Array returns a view of the mapping (no copy) when the
// tensor's offset is aligned to its element size; misaligned tensors (files
// from older writers, MLX) are copied. WithLoadMode(core.LoadReadAt) reads
// each tensor with pread into heap memory instead.
//
// Validation follows the reference reader (huggingface/safetensors
// read_metadata and validate; see docs/FORMATS.md section 1): header size
// limit, UTF-8 JSON object with optional whitespace padding, string-valued
// __metadata__, known dtypes, shape x dtype size without overflow and equal
// to the byte range, contiguous offsets with no holes or overlaps, no
// trailing bytes. Unlike the reference, duplicate names are rejected
// explicitly instead of letting the last one win. Every error is a
// *FormatError naming the file, the tensor and the rule.
//
// Writer writes tensors in the order the reference writer does (largest
// dtype alignment first, then by name) after a space-padded header, and
// streams each tensor's bytes from its storage, so writing a model needs no
// second copy of it in memory.
package safetensors
