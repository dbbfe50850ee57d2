package peers

import (
	"flag"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/viterin/vek/vek32"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/softmax"
)

// TestMain announces the lmhead level in use as a configuration line of the
// benchmark output ("lmhead-isa: avx512"), so that saved results say which
// kernels the lmhead column measured.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		fmt.Printf("lmhead-isa: %v\n", lmhead.Active())
	}
	os.Exit(m.Run())
}

// shapes are those of the lmhead root benchmarks (bench_test.go): three real
// LM heads that stream W from DRAM and two that fit this machine's L2 and L3.
var shapes = []struct {
	name       string
	rows, cols int
}{
	{"gpt2", 50257, 768},
	{"llama2-7b", 32000, 4096},
	{"llama3.2-1b", 128256, 2048},
	{"l2", 1024, 192}, // 768 KiB
	{"l3", 8192, 512}, // 16 MiB
}

// gemvImpl is one way to compute dst = W·x for a row-major W.
type gemvImpl struct {
	name string
	gemv func(dst, w, x []float32)
}

// impls are the contenders, lmhead first: benchstat takes the first column
// as the baseline.
var impls = []gemvImpl{
	{"lmhead", lmhead.Gemv},
	{"vek", vekGemv},
	{"gonum", gonumGemv},
	{"naive", naiveGemv},
}

// vekGemv calls vek's SIMD dot product once per row: vek has no
// matrix-vector product.
func vekGemv(dst, w, x []float32) {
	n := len(x)
	for i := range dst {
		dst[i] = vek32.Dot(w[i*n:(i+1)*n], x)
	}
}

// gonumGemv is BLAS Sgemv (y = 1·A·x + 0·y) through gonum's pure-Go
// implementation.
func gonumGemv(dst, w, x []float32) {
	a := blas32.General{Rows: len(dst), Cols: len(x), Stride: len(x), Data: w}
	blas32.Gemv(blas.NoTrans, 1, a, blas32.Vector{N: len(x), Inc: 1, Data: x}, 0, blas32.Vector{N: len(dst), Inc: 1, Data: dst})
}

// naiveGemv is what a Go programmer writes first: one row at a time, one
// accumulator.
func naiveGemv(dst, w, x []float32) {
	n := len(x)
	for i := range dst {
		var s float32
		for j, xj := range x {
			s += w[i*n+j] * xj
		}
		dst[i] = s
	}
}

// fill returns n values in [-1, 1) from a fixed linear congruential
// sequence: fast enough for the 1 GiB of the largest shape and the same on
// every run.
func fill(n int, seed uint32) []float32 {
	w := make([]float32, n)
	s := seed
	for i := range w {
		s = s*1664525 + 1013904223
		w[i] = float32(int32(s>>8)-1<<23) / (1 << 23)
	}
	return w
}

// BenchmarkGemv runs every shape through every implementation. W is built
// once per shape, when the first of its sub-benchmarks that the -bench
// pattern selects starts, and shared, so every implementation streams the
// same memory; MB/s counts the weight bytes.
func BenchmarkGemv(b *testing.B) {
	for _, s := range shapes {
		var w, x, dst []float32
		prepare := func() {
			if w != nil {
				return
			}
			w, x, dst = fill(s.rows*s.cols, 1), fill(s.cols, 2), make([]float32, s.rows)
			// One untimed pass of every contender: measured here, the
			// first implementation to stream freshly filled memory ran
			// up to 1.5× slower than the same code a moment later, which
			// would bias the comparison against whichever came first.
			for _, im := range impls {
				im.gemv(dst, w, x)
			}
		}
		for _, im := range impls {
			b.Run(im.name+"/"+s.name, func(b *testing.B) {
				prepare()
				b.SetBytes(int64(s.rows * s.cols * 4))
				for b.Loop() {
					im.gemv(dst, w, x)
				}
			})
		}
	}
}

// softmaxSizes are the vocabularies of the softmax package's benchmarks
// (Llama 2, GPT-2, Llama 3, Gemma).
var softmaxSizes = []int{32000, 50257, 128256, 262144}

// softmaxTemperature is the τ of the softmax package's benchmarks.
const softmaxTemperature = 0.8

type softmaxImpl struct {
	name    string
	softmax func(dst, x []float32)
}

var softmaxImpls = []softmaxImpl{
	{"lmhead", func(dst, x []float32) { softmax.Softmax(dst, x, softmaxTemperature) }},
	{"naive", naiveSoftmax},
}

// naiveSoftmax is the textbook Go softmax, as the softmax package's own
// baseline writes it: the maximum, then float64 math.Exp of each shifted
// logit over τ with a float64 sum, then a division.
func naiveSoftmax(dst, x []float32) {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	var sum float64
	for i, v := range x {
		e := math.Exp(float64(v-m) / softmaxTemperature)
		dst[i] = float32(e)
		sum += e
	}
	for i := range dst {
		dst[i] = float32(float64(dst[i]) / sum)
	}
}

// logits returns n values spread over [-16, 16), the range of real
// next-token logits.
func logits(n int) []float32 {
	x := fill(n, 5)
	for i := range x {
		x[i] *= 16
	}
	return x
}

// BenchmarkSoftmax runs softmax at τ = 0.8 over vocabulary-sized logits.
// MB/s counts the logit bytes read.
func BenchmarkSoftmax(b *testing.B) {
	for _, n := range softmaxSizes {
		x, dst := logits(n), make([]float32, n)
		for _, im := range softmaxImpls {
			b.Run(fmt.Sprintf("%s/%d", im.name, n), func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for b.Loop() {
					im.softmax(dst, x)
				}
			})
		}
	}
}

func TestSoftmaxAgree(t *testing.T) {
	x := logits(5000)
	want, got := make([]float32, len(x)), make([]float32, len(x))
	naiveSoftmax(want, x)
	for _, im := range softmaxImpls {
		im.softmax(got, x)
		for i := range got {
			// Both are within a few float32 ulps of the exact value;
			// 1e-5 relative is far above that and far below any bug.
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*float64(want[i])+1e-38 {
				t.Fatalf("%s: p[%d] = %v, naive %v", im.name, i, got[i], want[i])
			}
		}
	}
}

// TestGemvAgree checks that every contender computes the same product (to
// the Dot error bound against a float64 reference), so that the benchmarks
// compare equal work.
func TestGemvAgree(t *testing.T) {
	const rows, cols = 37, 515
	w, x := fill(rows*cols, 3), fill(cols, 4)
	for _, im := range impls {
		dst := make([]float32, rows)
		im.gemv(dst, w, x)
		for i := range dst {
			var ref, abs float64
			for j := range x {
				p := float64(w[i*cols+j]) * float64(x[j])
				ref += p
				abs += math.Abs(p)
			}
			bound := (cols + 8) * 0x1p-24 * abs
			if math.Abs(float64(dst[i])-ref) > bound {
				t.Fatalf("%s: dst[%d] = %v, want %v ± %v", im.name, i, dst[i], ref, bound)
			}
		}
	}
}
