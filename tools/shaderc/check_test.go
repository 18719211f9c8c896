package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/lbrx/lbrx/metal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEveryKernelHasACheck(t *testing.T) {
	r := registry()
	for _, k := range metal.Kernels() {
		assert.NotNil(t, r[k], "kernel %s has no check", k)
	}
	assert.Len(t, r, len(metal.Kernels()))
}

// copyShaders copies the named files of metal/shaders into a new directory,
// applying edit (old -> new, which must occur) to file target.
func copyShaders(t *testing.T, files []string, target, old, repl string) string {
	t.Helper()
	src, err := shaderDir()
	require.NoError(t, err)
	dir := t.TempDir()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(src, f))
		require.NoError(t, err)
		s := string(b)
		if f == target {
			require.Contains(t, s, old, "corruption target not found in %s", f)
			s = strings.Replace(s, old, repl, 1)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte(s), 0o600))
	}
	return dir
}

// TestCheckFailsOnCorruptedKernels proves the check catches wrong kernels:
// an unmodified copy passes, and copies with a barrier removed or an index
// changed fail on the corrupted kernel with a wrong-value report.
func TestCheckFailsOnCorruptedKernels(t *testing.T) {
	if _, err := exec.LookPath("g++"); err != nil {
		t.Skip("g++ not found (Debian package g++): the MSL check cannot run")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the MSL grid emulator is built and verified on Linux (CI); on macOS the Metal GPU tests run the kernels")
	}
	if testing.Short() {
		t.Skip("compiles the kernels several times; skipped with -short")
	}
	headers := []string{"lbrx_params.h", "lbrx_common.h", "lbrx_tile.h", "lbrx_reduce.h"}
	mm := append([]string{"matmul.metal"}, headers...)
	red := append([]string{"reduce.metal"}, headers...)
	qu := append([]string{"quant.metal"}, headers...)
	ew := append([]string{"elementwise.metal"}, headers...)
	tr := append([]string{"transformer.metal"}, headers...)
	cases := []struct {
		name, kernel, target, old, repl string
		files                           []string
		want                            string
	}{
		{"unmodified", "^matmul_f32$", "", "", "", mm, ""},
		{"tile barrier removed", "^matmul_f32$", "lbrx_tile.h",
			"threadgroup_barrier(mem_flags::mem_threadgroup);\n        for (uint kk = 0; kk < LBRX_TK; kk++)",
			"for (uint kk = 0; kk < LBRX_TK; kk++)", mm, "matmul_f32: case"},
		{"edge index off by one", "^matmul_f32$", "lbrx_tile.h",
			"if (r1 < M && c1 < N) c[r1 * ldc + c1]", "if (r1 < M && c1 <= N) c[r1 * ldc + c1]", mm, "matmul_f32: case"},
		{"simdgroup tile index", "^matmul_simd_f32$", "lbrx_tile.h",
			"bs + kk * LBRX_LD + sc * 16 + i * 8", "bs + kk * LBRX_LD + sc * 16 + i * 4", mm, "matmul_simd_f32: case"},
		{"reduction barrier removed", "^reduce_sum_f32$", "lbrx_reduce.h",
			"        scratch[sg] = v;\n    }\n    threadgroup_barrier(mem_flags::mem_threadgroup);",
			"        scratch[sg] = v;\n    }\n", red, "reduce_sum_f32: case"},
		{"attention: no rescale between key chunks", "^causal_attention_f32$", "transformer.metal",
			"acc[a] *= alpha;", "acc[a] *= 1.0f;", tr, "causal_attention_f32: case"},
		{"attention: partial outputs summed over one simdgroup too few", "^causal_attention_f32$", "transformer.metal",
			"for (uint r = 0; r < nsg; r++)", "for (uint r = 0; r + 1 < nsg; r++)", tr, "causal_attention_f32: case"},
		{"attention: barrier before combining the partial outputs removed", "^causal_attention_bf16$", "transformer.metal",
			"    threadgroup_barrier(mem_flags::mem_threadgroup);\n    device typename D::storage* o", "    device typename D::storage* o",
			tr, "causal_attention_bf16: case"},
		{"attention: barrier after staging the query removed", "^causal_attention_f16$", "transformer.metal",
			"    threadgroup_barrier(mem_flags::mem_threadgroup);\n    uint nsg", "    uint nsg", tr, "causal_attention_f16: case"},
		{"attention: GQA heads interleaved, not grouped", "^causal_attention_bf16$", "transformer.metal",
			"uint g = h / (p.hq / p.hkv);", "uint g = h % p.hkv;", tr, "causal_attention_bf16: case"},
		{"attention: sliding window one key too wide", "^causal_attention_f32$", "transformer.metal",
			"last - p.window + 1 : 0", "last - p.window : 0", tr, "causal_attention_f32: case"},
		{"attention: soft cap ignored", "^causal_attention_f16$", "transformer.metal",
			"s = p.softcap * tanh(s / p.softcap);", "s = s;", tr, "causal_attention_f16: case"},
		{"rms_norm: eps dropped", "^rms_norm_f32$", "transformer.metal",
			"sqrt(ss / float(p.cols) + p.eps)", "sqrt(ss / float(p.cols))", tr, "rms_norm_f32: case"},
		{"rope: position from the wrong axis", "^rope_f16$", "transformer.metal",
			"uint t = (vec / p.heads) % p.positions * hd + j;", "uint t = vec % p.positions * hd + j;", tr, "rope_f16: case"},
		{"concat: block stride ignored", "^concat_x16$", "transformer.metal",
			"(i / p.block) * p.dst_stride", "(i / p.block) * p.block", tr, "concat_x16: case"},
		{"shift out of range (UBSan)", "^qmm_affine8_f32$", "quant.metal",
			"(word >> ((k % per) * BITS))", "(word >> ((k % per + 1) * BITS))", qu, "shift exponent 32"},
		{"planner replay: transposed B read untransposed", "^replay: matmul, transposed B$", "lbrx_tile.h",
			"return D::load(trans ? p[n * ld + k] : p[k * ld + n]);", "return D::load(p[k * ld + n]);", mm,
			"replay: matmul, transposed B: "},
		{"writes its input", "^binary_add_f32$", "elementwise.metal",
			"out[i] = D::store(Op::f(D::load(a[ia]), D::load(b[ib])));",
			"out[i] = D::store(Op::f(D::load(a[ia]), D::load(b[ib])));\n    ((device typename D::storage*)a)[ia] = out[i];",
			ew, "wrote to buffer(0)"},
		{"Q4_0 nibble halves swapped", "^qmv_q4_0_f32$", "quant.metal",
			"float(int(byte & 15) - 8) * xb[j] + float(int(byte >> 4) - 8) * xb[j + 16]",
			"float(int(byte >> 4) - 8) * xb[j] + float(int(byte & 15) - 8) * xb[j + 16]", qu, "qmv_q4_0_f32: case"},
		{"Q3_K high scale bits from the wrong pair", "^qmv_q3_k_f32$", "quant.metal",
			"uint hi = (uint(b[104 + is % 4]) >> (2 * (is / 4))) & 3u;", "uint hi = (uint(b[104 + is % 4]) >> (2 * (is / 8))) & 3u;",
			qu, "qmv_q3_k_f32: case"},
		{"IQ4_NL codebook entry wrong", "^qmm_iq4_nl_f32$", "quant.metal",
			"53, 69, 89, 113}", "53, 69, 89, 103}", qu, "qmm_iq4_nl_f32: case"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyShaders(t, c.files, c.target, c.old, c.repl)
			err := runCheck(checkOptions{dir: dir, filter: regexp.MustCompile(c.kernel), seed: 1, opt: "-O0"})
			// The partial copy lacks most kernels of metal.Kernels(), so
			// the check always fails; what matters is whether the
			// selected kernel's check failed.
			require.Error(t, err)
			if c.want == "" {
				assert.NotRegexp(t, c.kernel[1:len(c.kernel)-1]+": ", err.Error())
				return
			}
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestParseKernelsAndWrapper(t *testing.T) {
	src := `static inline float f(float x) { return x; }
kernel void k1(device const float* a [[buffer(0)]], constant P& p [[ buffer(2) ]],
               threadgroup float* tg [[threadgroup(0)]], uint3 g [[threadgroup_position_in_grid]],
               uint lane [[thread_index_in_simdgroup]]) { }
kernel void k2(device float* o [[buffer(1)]], uint i [[thread_position_in_grid]]) {}`
	ks, err := parseKernels("x.metal", src)
	require.NoError(t, err)
	require.Len(t, ks, 2)
	assert.Equal(t, "k1", ks[0].Name)
	require.Len(t, ks[0].Params, 5)
	assert.Equal(t, kernelParam{Type: "constant P&", Name: "p", Attr: "buffer(2)"}, ks[0].Params[1])
	w, err := wrapper(ks[0])
	require.NoError(t, err)
	assert.Contains(t, w, "(device const float*)L.buf[0]")
	assert.Contains(t, w, "*(constant P*)L.buf[2]")
	assert.Contains(t, w, "(threadgroup float*)L.tg[0]")
	assert.Contains(t, w, "lbrx_pos<uint3>(C.tgid)")
	assert.Contains(t, w, "(uint)(C.lane)")
	assert.Contains(t, w, `Registrar lbrx_reg_k1("k1"`)

	_, err = parseKernels("y.metal", "kernel void bad(device float* o) {}")
	require.ErrorContains(t, err, "has no [[attribute]]")
	ks, err = parseKernels("z.metal", "kernel void odd(float v [[stage_in]]) {}")
	require.NoError(t, err)
	_, err = wrapper(ks[0])
	require.ErrorContains(t, err, "[[stage_in]]")
}

func TestMetalLimits(t *testing.T) {
	ok := metal.Launch{Groups: metal.Size{X: 1, Y: 1, Z: 1}, Threads: metal.Size{X: 16, Y: 16, Z: 1}, ThreadgroupMem: 4608}
	require.NoError(t, metalLimits(ok))
	big := ok
	big.Threads = metal.Size{X: 1025, Y: 1, Z: 1}
	require.ErrorContains(t, metalLimits(big), "1025 threads")
	odd := ok
	odd.ThreadgroupMem = 100
	require.ErrorContains(t, metalLimits(odd), "multiple of 16")
	huge := ok
	huge.ThreadgroupMem = 64 << 10
	require.ErrorContains(t, metalLimits(huge), "32 KiB")
}
