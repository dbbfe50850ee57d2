//go:build !purego

package lmhead

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// asmSets returns the amd64 kernel sets this CPU can run, by name.
func asmSets() map[string]kernelSet {
	out := map[string]kernelSet{}
	for _, l := range archLevels {
		if cpuid.CPU.Supports(l.features...) {
			out[l.isa.String()] = l.kernels
		}
	}
	return out
}

// TestArgmaxGroupBoundaries puts the single maximum (and, separately, a
// repeated maximum and a NaN) at every position of lengths around the
// argmax kernels' group of 4 vectors, where the group number, the last
// partial group and the scan of the winning group meet.
func TestArgmaxGroupBoundaries(t *testing.T) {
	for name, k := range asmSets() {
		for n := 1; n <= 200; n++ {
			for p := 0; p < n; p++ {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(i % 5)
				}
				x[p] = 10
				if g := k.argmax(x); g != p {
					t.Fatalf("%s n=%d: max at %d, got %d", name, n, p, g)
				}
				if q := p + (n-p)/2; q > p {
					x[q] = 10 // a later equal maximum must not win
					if g := k.argmax(x); g != p {
						t.Fatalf("%s n=%d: max at %d and %d, got %d", name, n, p, q, g)
					}
				}
				x[p] = float32(math.NaN())
				if g := k.argmax(x); g != p {
					t.Fatalf("%s n=%d: NaN at %d, got %d", name, n, p, g)
				}
			}
		}
	}
}

// TestSumAccuracyLarge holds the sums of scaleExpSum and maxSum to 1e-7
// relative at n = 2²⁴ on logits ~ N(0, 4²), in random
// and ascending order: scaleExpSum against the float64 sum of its own
// float32 terms (the accumulation alone), maxSum against the float64
// formula Σ e^(x - m) (its terms' float32 exps, which largely average out,
// and its rescaling). Measured on Zen 4 at 2²⁴: about 1e-8 and 3e-8.
func TestSumAccuracyLarge(t *testing.T) {
	if testing.Short() || os.Getenv("LMHEAD_EMULATED") != "" {
		t.Skip("2²⁴ elements: too slow for -short and emulators")
	}
	n := 1 << 24
	r := rand.New(rand.NewPCG(7, 8))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 4)
	}
	asc := slices.Clone(x)
	slices.Sort(asc)
	dst := make([]float32, n)
	const rel = 1e-7
	for name, k := range asmSets() {
		sum := k.scaleExpSum(dst, x, 1, k.max(x))
		var own float64
		for _, v := range dst {
			own += float64(v)
		}
		if e := math.Abs(sum-own) / own; e > rel {
			t.Errorf("%s scaleExpSum n=%d: sum %v, Σ float64(dst) %v: relative error %.3g > %g", name, n, sum, own, e, rel)
		}
		for order, y := range map[string][]float32{"random": x, "ascending": asc} {
			m, sum := k.maxSum(y, 1)
			var ref float64
			for _, v := range y {
				ref += math.Exp(float64(v) - float64(m))
			}
			if e := math.Abs(sum-ref) / ref; e > rel {
				t.Errorf("%s maxSum %s n=%d: sum %v, formula %v: relative error %.3g > %g", name, order, n, sum, ref, e, rel)
			}
		}
	}
}

// TestMXCSRRestored checks that the kernels that run with MXCSR.FTZ set
// (exp, scaleExpSum, maxSum) restore the caller's MXCSR on every path:
// afterwards Go's own float32 arithmetic must still produce denormals.
func TestMXCSRRestored(t *testing.T) {
	tiny := []float32{0x1p-126, 0.5}
	denormal := func() bool { return tiny[0]*tiny[1] != 0 }
	if !denormal() {
		t.Fatal("denormals flushed before any kernel ran")
	}
	inputs := map[string][]float32{
		"plain":      {1, -2, 3, 0.5, -100, 7, 8, 9, 10, -1, 0, 2, 3, 4, 5, 6, 7, 1}, // a tail on both levels
		"full range": {100, 89, -200, float32(math.Inf(1)), 1},                       // AVX2's out-of-line full-range path
		"all -Inf":   {float32(math.Inf(-1)), float32(math.Inf(-1))},                 // maxSum's second pass
		"huge":       {3e38, -3e38, 1.5e38},
	}
	for name, k := range asmSets() {
		for what, x := range inputs {
			dst := make([]float32, len(x))
			k.exp(dst, x)
			if !denormal() {
				t.Fatalf("%s exp %s: MXCSR left with FTZ", name, what)
			}
			k.scaleExpSum(dst, x, 1, 0)
			if !denormal() {
				t.Fatalf("%s scaleExpSum %s: MXCSR left with FTZ", name, what)
			}
			for _, s := range []float32{1, 6.1e18} {
				k.maxSum(x, s)
				if !denormal() {
					t.Fatalf("%s maxSum %s s=%v: MXCSR left with FTZ", name, what, s)
				}
			}
		}
	}
}

// BenchmarkSoftmaxAsm calls the amd64 kernels directly, without the
// exported wrappers, on softmax-like logits: an L1-resident size (the
// kernels' compute rate) and the Llama 3 vocabulary (L2-resident).
// Softmax3 is the in-cache softmax's three passes (max, scaleExpSum,
// in-place scaleShift). MB/s counts 4 bytes per element, so
// elements/ns = MB/s / 4000.
func BenchmarkSoftmaxAsm(b *testing.B) {
	for _, n := range []int{4096, 128256} {
		x := make([]float32, n)
		for i := range x {
			// deterministic, spread like N(0, 4²) logits
			x[i] = float32(4 * math.Sin(float64(i)*0.7071) * math.Sqrt2)
		}
		dst := make([]float32, n)
		for name, k := range asmSets() {
			kernels := []struct {
				name string
				run  func()
			}{
				{"Exp", func() { k.exp(dst, x) }},
				{"Max", func() { k.max(x) }},
				{"Argmax", func() { k.argmax(x) }},
				{"ScaleExpSum", func() { k.scaleExpSum(dst, x, 0.8, 12) }},
				{"MaxSum", func() { k.maxSum(x, 0.8) }},
				{"ExpMul", func() { k.expMul(dst, x, 0.8, 12, 1e-3) }},
				{"ScaleShift", func() { k.scaleShift(dst, dst, 0.8, 0) }},
				{"Softmax3", func() {
					m := k.max(x)
					sum := k.scaleExpSum(dst, x, 0.8, 0.8*m)
					k.scaleShift(dst, dst, float32(1/sum), 0)
				}},
			}
			for _, kk := range kernels {
				b.Run(fmt.Sprintf("%s/%s/%d", kk.name, name, n), func(b *testing.B) {
					b.SetBytes(int64(4 * n))
					for i := 0; i < b.N; i++ {
						kk.run()
					}
				})
			}
		}
	}
}
