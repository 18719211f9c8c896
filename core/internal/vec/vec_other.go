//go:build !amd64 || noasm

package vec

// Without assembly every function runs its Go reference; the stubs below
// are never reached because body returns 0.
var useAsm = false

func unreachable() { panic("vec: assembly body called without assembly") }

func expAVX512(int, *float32, *float32)                        { unreachable() }
func siluAVX512(int, *float32, *float32)                       { unreachable() }
func geluAVX512(int, *float32, *float32)                       { unreachable() }
func expSubSumAVX512(int, *float32, *float32, float32) float32 { unreachable(); return 0 }
func maxAVX512(int, *float32) float32                          { unreachable(); return 0 }
func scaleAVX512(int, *float32, float32)                       { unreachable() }
func addAVX512(int, *float32, *float32, *float32)              { unreachable() }
func mulAVX512(int, *float32, *float32, *float32)              { unreachable() }
func f32ToF16AVX512(int, *uint16, *float32)                    { unreachable() }
func f16ToF32AVX512(int, *float32, *uint16)                    { unreachable() }
func f32ToBF16AVX512(int, *uint16, *float32)                   { unreachable() }
func bf16ToF32AVX512(int, *float32, *uint16)                   { unreachable() }
