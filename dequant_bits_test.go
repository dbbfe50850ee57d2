package lmhead

import (
	"math"
	"math/rand"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestDequantKernelBits checks every level's dequant kernels against their
// generic twins bit for bit: the float64 comparison of TestDequantize takes
// −0 for +0 and any NaN for any other, and this one does not. The blocks are
// random bytes, so scales are NaN (quiet and signalling), ±Inf, subnormal
// and ±0 at random, and some blocks get such scales forced. src starts at
// every address mod 4, dst at every float32 mod 4, and the float32s around
// dst[:n] must stay untouched.
func TestDequantKernelBits(t *testing.T) {
	special := []uint16{0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7d01, 0xfe3f, 0x0001, 0x83ff, 0x3c00, 0x7bff}
	r := rand.New(rand.NewSource(7))
	for _, l := range allLevels() {
		if l.isa == Generic || !cpuid.CPU.Supports(l.features...) {
			continue
		}
		for _, c := range []struct {
			f        Format
			got, ref func(dst []float32, src []byte)
			scales   []int // byte offsets of the block's halves that are scales
		}{
			{F16, l.kernels.dequantF16, genericKernels.dequantF16, nil},
			{BF16, l.kernels.dequantBF16, genericKernels.dequantBF16, nil},
			{Q8_0, l.kernels.dequantQ8_0, genericKernels.dequantQ8_0, []int{0}},
			{Q4_0, l.kernels.dequantQ4_0, genericKernels.dequantQ4_0, []int{0}},
			{Q4_K, l.kernels.dequantQ4_K, genericKernels.dequantQ4_K, []int{0, 2}},
			{Q6_K, l.kernels.dequantQ6_K, genericKernels.dequantQ6_K, []int{208}},
		} {
			bb, bs := c.f.BlockBytes(), c.f.BlockSize()
			counts := []int{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257}
			if bs > 1 {
				counts = []int{1, 2, 3, 4, 5, 9, 17, 33}
			}
			for _, blocks := range counts {
				for off := 0; off < 4; off++ {
					raw := make([]byte, off+blocks*bb)
					r.Read(raw)
					src := raw[off:]
					for b := 0; b < blocks; b++ {
						for _, s := range c.scales {
							if r.Intn(3) == 0 {
								h := special[r.Intn(len(special))]
								src[b*bb+s], src[b*bb+s+1] = byte(h), byte(h>>8)
							}
						}
					}
					if bs == 1 {
						for i := 0; i+1 < len(src); i += 2 {
							if r.Intn(8) == 0 {
								h := special[r.Intn(len(special))]
								src[i], src[i+1] = byte(h), byte(h>>8)
							}
						}
					}
					n := blocks * bs
					want := make([]float32, n)
					c.ref(want, src)
					const guard = 4
					buf := make([]float32, n+2*guard)
					for i := range buf {
						buf[i] = -3.5
					}
					dst := buf[guard-off%4 : guard-off%4+n]
					c.got(dst, src)
					for i := range want {
						if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%v %v %d blocks at %d: weight %d = %#08x, want %#08x",
								l.isa, c.f, blocks, off, i, math.Float32bits(dst[i]), math.Float32bits(want[i]))
						}
					}
					for i, v := range buf {
						in := i >= guard-off%4 && i < guard-off%4+n
						if !in && v != -3.5 {
							t.Fatalf("%v %v %d blocks at %d: wrote outside dst at %d", l.isa, c.f, blocks, off, i-(guard-off%4))
						}
					}
				}
			}
		}
	}
}
