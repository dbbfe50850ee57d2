package softmax_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
	"github.com/lmhead/lmhead/softmax"
)

var (
	inf = float32(math.Inf(1))
	nan = float32(math.NaN())
)

// ref is the float64 softmax family of x/τ, for finite x (at least one
// element above -Inf).
type ref struct {
	p, logp []float64
	lse     float64
	dev     []float64 // |x[i] − max|/τ, which sets each p[i]'s bound
}

func reference(x []float32, temperature float32) ref {
	t := float64(temperature)
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var sum float64
	for _, v := range x {
		sum += math.Exp((float64(v) - m) / t)
	}
	r := ref{p: make([]float64, len(x)), logp: make([]float64, len(x)), dev: make([]float64, len(x))}
	ls := math.Log(sum)
	for i, v := range x {
		d := (float64(v) - m) / t
		r.p[i] = math.Exp(d) / sum
		r.logp[i] = d - ls
		r.dev[i] = math.Abs(d)
	}
	r.lse = m/t + ls
	return r
}

// pBound is the bound on each probability: (|x[i]−max|/τ + 4)·2⁻²³
// relative, plus 2⁻¹²⁶ absolute for the flush of exponentials below 2⁻¹²⁶
// to zero (and the denormal rounding of products below it).
func pBound(p, dev float64) float64 {
	if p == 0 {
		return 0 // x[i] = -Inf: exactly 0
	}
	return (dev+4)*0x1p-23*p + 0x1p-126
}

// ulp32 is the spacing of float32 at |v|.
func ulp32(v float64) float64 {
	f := float32(math.Abs(v))
	if math.IsInf(float64(f), 0) {
		return 0x1p104 // beyond float32: the ulp of MaxFloat32
	}
	return float64(math.Nextafter32(f, inf)) - float64(f)
}

// logBound is the bound on each log-probability and log-sum-exp:
// 4 ulp of the result plus 1e-6.
func logBound(v float64) float64 {
	if math.IsInf(v, 0) {
		return 0 // x[i] = -Inf: exactly -Inf
	}
	return 4*ulp32(v) + 1e-6
}

// checkSoftmax runs Softmax, LogSoftmax and LogSumExp on x and checks
// every output against the float64 reference, and dst's guards.
func checkSoftmax(t *testing.T, x []float32, temperature float32, what string) {
	t.Helper()
	const guard = -3.5
	n := len(x)
	r := reference(x, temperature)
	off := (n*3 + 5) % 16
	dst, whole := tu.Offset(n, off, guard)

	softmax.Softmax(dst, x, temperature)
	var sum float64
	for i := range x {
		if b := pBound(r.p[i], r.dev[i]); !tu.Close(dst[i], r.p[i], b) {
			t.Fatalf("Softmax %s τ=%v: p[%d]=%v, want %v ± %v (x=%v, |x−max|/τ=%.3g, rel err %.3g·2⁻²³)",
				what, temperature, i, dst[i], r.p[i], b, x[i], r.dev[i], math.Abs(float64(dst[i])-r.p[i])/r.p[i]/0x1p-23)
		}
		sum += float64(dst[i])
	}
	if n > 0 {
		require.InDeltaf(t, 1, sum, 1e-6, "Softmax %s τ=%v: Σp", what, temperature)
	}
	if i := tu.Untouched(whole, off, n, guard); i >= 0 {
		t.Fatalf("Softmax %s: wrote outside dst at backing index %d", what, i)
	}

	softmax.LogSoftmax(dst, x, temperature)
	for i := range x {
		if b := logBound(r.logp[i]); !tu.Close(dst[i], r.logp[i], b) {
			t.Fatalf("LogSoftmax %s τ=%v: [%d]=%v, want %v ± %v (x=%v)", what, temperature, i, dst[i], r.logp[i], b, x[i])
		}
	}
	if i := tu.Untouched(whole, off, n, guard); i >= 0 {
		t.Fatalf("LogSoftmax %s: wrote outside dst at backing index %d", what, i)
	}

	if got := softmax.LogSumExp(x, temperature); !tu.Close(got, r.lse, logBound(r.lse)) {
		t.Fatalf("LogSumExp %s τ=%v: %v, want %v ± %v", what, temperature, got, r.lse, logBound(r.lse))
	}
}

// generators make logits of several shapes: LM-like, narrow, wide (many
// exponentials flushed to zero), far from zero (the shift must be exact
// enough), huge magnitudes with a matching τ, ties, one dominant logit.
var generators = []struct {
	name string
	gen  func(r *rand.Rand, x []float32) (temperature float32)
}{
	{"normal σ=4", func(r *rand.Rand, x []float32) float32 {
		for i := range x {
			x[i] = float32(r.NormFloat64() * 4)
		}
		return []float32{1, 0.7, 1.3, 0.05, 20}[r.IntN(5)]
	}},
	{"uniform", func(r *rand.Rand, x []float32) float32 {
		tu.Fill(r, x)
		return float32(0.1 + 3*r.Float64())
	}},
	{"wide", func(r *rand.Rand, x []float32) float32 {
		for i := range x {
			x[i] = float32(r.Float64()*400 - 200)
		}
		return float32(0.5 + r.Float64())
	}},
	{"offset 1000", func(r *rand.Rand, x []float32) float32 {
		for i := range x {
			x[i] = float32(1000 + r.NormFloat64()*3)
		}
		return float32(0.6 + r.Float64())
	}},
	{"huge", func(r *rand.Rand, x []float32) float32 {
		k := r.IntN(200) - 100
		for i := range x {
			x[i] = float32(math.Ldexp(r.NormFloat64()*4, k))
		}
		return float32(math.Ldexp(0.5+r.Float64(), k))
	}},
	{"huge shift", func(r *rand.Rand, x []float32) float32 {
		// |max|/τ ≈ 10⁷, beyond hugeShift; spacing 1024/τ ≈ 1.
		base := float32(1e10)
		if r.IntN(2) == 0 {
			base = -base
		}
		for i := range x {
			x[i] = base + float32(r.IntN(40))*1024
		}
		return float32(800 + 400*r.Float64())
	}},
	{"tiny τ", func(r *rand.Rand, x []float32) float32 {
		for i := range x {
			x[i] = float32(3000 + r.NormFloat64()*1e-3)
		}
		return float32(1e-4 * (0.5 + r.Float64()))
	}},
	{"huge negative outliers", func(r *rand.Rand, x []float32) float32 {
		// Moderate logits with some at -1e10 up front: an online sum
		// meets a huge running maximum first, whose term carries the
		// rounding of s·x (hundreds, with an inexact s).
		for i := range x {
			x[i] = float32(r.NormFloat64() * 4)
			if i < 40 && r.IntN(2) == 0 {
				x[i] = -1e10 * float32(1+r.Float64())
			}
		}
		return float32(0.6 + 0.2*r.Float64())
	}},
	{"ties", func(r *rand.Rand, x []float32) float32 {
		for i := range x {
			x[i] = float32(r.IntN(3))
		}
		return 1
	}},
	{"one dominant", func(r *rand.Rand, x []float32) float32 {
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		if len(x) > 0 {
			x[r.IntN(len(x))] = 60
		}
		return 1
	}},
}

// TestSoftmax checks the three functions at every length 0..300 and some
// large ones, every offset, every generator, on every ISA.
func TestSoftmax(t *testing.T) {
	var ns []int
	for n := 0; n <= 300; n++ {
		ns = append(ns, n)
	}
	ns = append(ns, 1000, 4099, 8195)
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(41)
		for _, n := range ns {
			for off := 0; off < 16; off++ {
				if (tu.Short() || n > 300) && off%5 != 0 {
					continue
				}
				x, _ := tu.Offset(n, off, 0)
				for _, g := range generators {
					temperature := g.gen(r, x)
					checkSoftmax(t, x, temperature, fmt.Sprintf("%s n=%d off=%d", g.name, n, off))
				}
			}
		}
	})
}

// checkAlgorithms runs both Softmax algorithms directly on x.
func checkAlgorithms(t *testing.T, x []float32, temperature float32, what string) {
	t.Helper()
	re := reference(x, temperature)
	dst := make([]float32, len(x))
	for _, alg := range []struct {
		name string
		f    func(dst, x []float32, s float32)
	}{{"three-pass", softmax.ThreePass}, {"two-pass", softmax.TwoPass}} {
		alg.f(dst, x, 1/temperature)
		for i := range x {
			if b := pBound(re.p[i], re.dev[i]); !tu.Close(dst[i], re.p[i], b) {
				t.Fatalf("%s %s τ=%v: p[%d]=%v, want %v ± %v", alg.name, what, temperature, i, dst[i], re.p[i], b)
			}
		}
	}
}

// TestSoftmaxAlgorithms runs both algorithms at sizes on either side of the
// crossover, and Softmax itself across it.
func TestSoftmaxAlgorithms(t *testing.T) {
	ns := []int{1, 17, 1000, 8195}
	if !tu.Short() {
		// Softmax switches algorithm here on AVX-512.
		ns = append(ns, softmax.ThreePassMaxAVX512, softmax.ThreePassMaxAVX512+1)
	} else {
		t.Logf("-short or emulated: the sizes at the AVX-512 crossover (%d) are left out", softmax.ThreePassMaxAVX512)
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(42)
		for _, n := range ns {
			x := make([]float32, n)
			for k, g := range generators {
				if n > 10000 && k%3 != 0 {
					continue // a third of the generators at the big sizes
				}
				temperature := g.gen(r, x)
				what := fmt.Sprintf("%s n=%d", g.name, n)
				checkSoftmax(t, x, temperature, what)
				checkAlgorithms(t, x, temperature, what)
			}
		}
	})
}

// TestSoftmaxSumsToOne checks |Σp − 1| ≤ 1e-6 up to n = 2²⁴ for both
// algorithms. Not under -short: a 16M softmax on every ISA takes seconds.
func TestSoftmaxSumsToOne(t *testing.T) {
	if tu.Short() {
		t.Skip("2²⁴-element softmaxes take seconds on the generic level and minutes under emulation; run without -short")
	}
	const n = 1 << 24
	x := make([]float32, n)
	r := tu.Rand(43)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 2)
	}
	dst := make([]float32, n)
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		for name, alg := range map[string]func(dst, x []float32, s float32){"three-pass": softmax.ThreePass, "two-pass": softmax.TwoPass} {
			for _, temperature := range []float32{1, 0.6} {
				alg(dst, x, 1/temperature)
				var sum float64
				for _, v := range dst {
					sum += float64(v)
				}
				require.InDeltaf(t, 1, sum, 1e-6, "%s τ=%v: Σp over 2²⁴ elements", name, temperature)
			}
		}
	})
}

// specials are inputs with special values and what PyTorch gives for them:
// softmax(x/τ), log_softmax and logsumexp.
func specials(n int) []struct {
	name   string
	x      []float32
	allNaN bool    // Softmax and LogSoftmax are NaN everywhere
	lse    float32 // LogSumExp, when not computed from the finite rest
	useLSE bool
} {
	base := func() []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(i%5) - 2
		}
		return x
	}
	// with sets x[i] = v for each pair (i, v), i < 0 counting from the
	// end; later pairs win where indices coincide (small n).
	with := func(pairs ...float32) []float32 {
		x := base()
		for k := 0; k < len(pairs); k += 2 {
			x[(int(pairs[k])+n)%n] = pairs[k+1]
		}
		return x
	}
	negInf := float32(math.Inf(-1))
	allNegInf := make([]float32, n)
	for i := range allNegInf {
		allNegInf[i] = negInf
	}
	return []struct {
		name   string
		x      []float32
		allNaN bool
		lse    float32
		useLSE bool
	}{
		{"nan first", with(0, nan), true, nan, true},
		{"nan last", with(-1, nan), true, nan, true},
		{"+inf middle", with(float32(n/2), inf), true, inf, true},
		{"+inf and nan", with(0, inf, -1, nan), true, nan, true},
		{"all -inf", allNegInf, true, negInf, true},
		{"some -inf", with(0, negInf, -1, negInf), false, 0, false},
		{"denormals", with(0, math.Float32frombits(1), -1, -math.Float32frombits(0x7fffff)), false, 0, false},
		{"max float", with(float32(n/3), math.MaxFloat32), false, 0, false},
	}
}

// TestSoftmaxSpecialValues checks PyTorch's behaviour on NaN, ±Inf,
// denormals and huge values, on both algorithms and every ISA.
func TestSoftmaxSpecialValues(t *testing.T) {
	ns := []int{1, 2, 3, 7, 16, 17, 33, 64, 65, 130}
	if !tu.Short() {
		// Softmax takes the two-pass path here; the small sizes also run
		// both paths directly, below.
		ns = append(ns, softmax.ThreePassMaxAVX512+5)
	} else {
		t.Logf("-short or emulated: size %d (Softmax's own two-pass path) is left out", softmax.ThreePassMaxAVX512+5)
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		for _, n := range ns {
			for _, c := range specials(n) {
				if n <= 2 && c.name == "some -inf" {
					continue // that would be all -inf
				}
				what := fmt.Sprintf("%s n=%d", c.name, n)
				if !c.allNaN {
					hasFinite := slices.ContainsFunc(c.x, func(v float32) bool { return !math.IsInf(float64(v), 0) })
					require.True(t, hasFinite, what)
					checkSoftmax(t, c.x, 1, what)
					checkAlgorithms(t, c.x, 1, what)
					continue
				}
				dst := make([]float32, n)
				for _, temperature := range []float32{1, 0.5, 0} {
					softmax.Softmax(dst, c.x, temperature)
					require.Truef(t, allNaN(dst), "Softmax %s τ=%v: %v, want all NaN", what, temperature, head(dst))
					if temperature > 0 {
						softmax.ThreePass(dst, c.x, 1/temperature)
						require.Truef(t, allNaN(dst), "three-pass %s τ=%v: %v, want all NaN", what, temperature, head(dst))
						softmax.TwoPass(dst, c.x, 1/temperature)
						require.Truef(t, allNaN(dst), "two-pass %s τ=%v: %v, want all NaN", what, temperature, head(dst))
					}
					softmax.LogSoftmax(dst, c.x, temperature)
					require.Truef(t, allNaN(dst), "LogSoftmax %s τ=%v: %v, want all NaN", what, temperature, head(dst))
				}
				for _, temperature := range []float32{1, 0.5} {
					got := softmax.LogSumExp(c.x, temperature)
					require.Truef(t, same(got, c.lse), "LogSumExp %s τ=%v: %v, want %v", what, temperature, got, c.lse)
					st := softmax.Partial(c.x, temperature)
					require.Truef(t, same(st.LogSumExp(), c.lse), "Partial(%s).LogSumExp() = %v, want %v", what, st.LogSumExp(), c.lse)
					// Normalize with that total is all NaN too.
					softmax.Normalize(dst, c.x, temperature, st)
					require.Truef(t, allNaN(dst), "Normalize %s: want all NaN", what)
					softmax.LogNormalize(dst, c.x, temperature, st)
					require.Truef(t, allNaN(dst), "LogNormalize %s: want all NaN", what)
				}
			}
		}
		// Scaling that overflows: x/τ is +Inf in PyTorch, so NaN; and
		// when every x/τ is -Inf, NaN as for all -Inf input.
		dst := make([]float32, 2)
		softmax.Softmax(dst, []float32{1e30, 1}, 1e-10)
		require.True(t, allNaN(dst), "x/τ overflowing to +Inf: %v", dst)
		softmax.Softmax(dst, []float32{-1e30, -2e30}, 1e-10)
		require.True(t, allNaN(dst), "x/τ all -Inf: %v", dst)
		// Only the smaller one overflows: it gets 0, as e^(-Inf).
		softmax.Softmax(dst, []float32{1, -1e30}, 1e-10)
		require.Equal(t, []float32{1, 0}, dst)
		// Huge logits of opposite signs: x − max overflows float32, but
		// (x − max)/τ does not, and LogSoftmax must give it.
		checkSoftmax(t, []float32{-5.8548583e37, 2.87e38, 1, -3e38}, 11, "huge opposite signs")
		checkSoftmax(t, []float32{3e38, -3e38, 1}, 3, "huge opposite signs")
	})
}

func allNaN(x []float32) bool {
	for _, v := range x {
		if v == v {
			return false
		}
	}
	return true
}

func same(a, b float32) bool { return a == b || (a != a && b != b) }

func head(x []float32) []float32 { return x[:min(len(x), 8)] }

// TestZeroTemperature checks the τ → 0 limit: one-hot at the first
// maximum, log 0 / -Inf, and the LogSumExp limit; and that a denormal τ,
// whose reciprocal overflows, is that limit too.
func TestZeroTemperature(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		negInf := float32(math.Inf(-1))
		for _, temperature := range []float32{0, math.Float32frombits(1)} {
			x := []float32{1, 5, -2, 5, negInf}
			dst := make([]float32, len(x))
			softmax.Softmax(dst, x, temperature)
			require.Equal(t, []float32{0, 1, 0, 0, 0}, dst)
			softmax.LogSoftmax(dst, x, temperature)
			require.Equal(t, []float32{negInf, 0, negInf, negInf, negInf}, dst)
			// In place.
			y := slices.Clone(x)
			softmax.Softmax(y, y, temperature)
			require.Equal(t, []float32{0, 1, 0, 0, 0}, y)
			require.Equal(t, inf, softmax.LogSumExp(x, temperature))
			require.Equal(t, negInf, softmax.LogSumExp([]float32{-1, -3}, temperature))
			require.Equal(t, float32(math.Log(2)), softmax.LogSumExp([]float32{0, -3, 0}, temperature))
			require.True(t, math.IsNaN(float64(softmax.LogSumExp([]float32{0, nan}, temperature))))
		}
	})
}

func TestEmpty(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		for _, temperature := range []float32{0, 1} {
			softmax.Softmax(nil, nil, temperature)
			softmax.LogSoftmax(nil, []float32{}, temperature)
			require.Equal(t, float32(math.Inf(-1)), softmax.LogSumExp(nil, temperature))
		}
		require.Equal(t, softmax.Stats{}, softmax.Partial(nil, 1))
		require.Equal(t, float32(math.Inf(-1)), softmax.Stats{}.LogSumExp())
		softmax.Normalize(nil, nil, 1, softmax.Stats{})
		softmax.LogNormalize(nil, nil, 1, softmax.Stats{})
		require.Equal(t, -1, softmax.Argmax(nil))
	})
}

func TestPanics(t *testing.T) {
	x := make([]float32, 4)
	for _, c := range []struct {
		want string
		f    func()
	}{
		{"softmax.Softmax: len(dst)=3, len(x)=4, want equal", func() { softmax.Softmax(x[:3], x, 1) }},
		{"softmax.LogSoftmax: len(dst)=5, len(x)=4, want equal", func() { softmax.LogSoftmax(make([]float32, 5), x, 1) }},
		{"softmax.Normalize: len(dst)=0, len(x)=4, want equal", func() { softmax.Normalize(nil, x, 1, softmax.Stats{}) }},
		{"softmax.LogNormalize: len(dst)=4, len(x)=2, want equal", func() { softmax.LogNormalize(x, x[:2], 1, softmax.Stats{}) }},
		{"softmax.Softmax: temperature=-1, want 0 <= temperature < +Inf", func() { softmax.Softmax(x, x, -1) }},
		{"softmax.LogSoftmax: temperature=NaN, want 0 <= temperature < +Inf", func() { softmax.LogSoftmax(x, x, nan) }},
		{"softmax.LogSumExp: temperature=+Inf, want 0 <= temperature < +Inf", func() { softmax.LogSumExp(x, inf) }},
		{"softmax.Partial: temperature=-0.5, want 0 <= temperature < +Inf", func() { softmax.Partial(x, -0.5) }},
		{"softmax.Partial: temperature=0 (or below 2⁻¹²⁸) has no Stats; use Argmax", func() { softmax.Partial(x, 0) }},
		{"softmax.Normalize: temperature=0 (or below 2⁻¹²⁸) has no Stats; use Argmax", func() { softmax.Normalize(x, x, 0, softmax.Stats{}) }},
		{"softmax.LogNormalize: temperature=-Inf, want 0 <= temperature < +Inf", func() {
			softmax.LogNormalize(x, x, float32(math.Inf(-1)), softmax.Stats{})
		}},
		// −0 is not the τ → 0 limit: 1/−0 would be −Inf.
		{"softmax.Softmax: temperature=-0, want 0 <= temperature < +Inf", func() { softmax.Softmax(x, x, float32(math.Copysign(0, -1))) }},
		{"softmax.LogSumExp: temperature=-0, want 0 <= temperature < +Inf", func() { softmax.LogSumExp(x, float32(math.Copysign(0, -1))) }},
		{"softmax.Partial: temperature=-0, want 0 <= temperature < +Inf", func() { softmax.Partial(x, float32(math.Copysign(0, -1))) }},
		// An invalid temperature panics even on empty input.
		{"softmax.Softmax: temperature=-2, want 0 <= temperature < +Inf", func() { softmax.Softmax(nil, nil, -2) }},
	} {
		require.PanicsWithValue(t, c.want, c.f)
	}
}

func TestArgmax(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		require.Equal(t, 1, softmax.Argmax([]float32{1, 5, 5, -2}))
		require.Equal(t, 2, softmax.Argmax([]float32{1, 5, nan, 7, nan}))
		require.Equal(t, 0, softmax.Argmax([]float32{float32(math.Inf(-1)), float32(math.Inf(-1))}))
	})
}

func TestNoAllocs(t *testing.T) {
	for _, n := range []int{1000, softmax.ThreePassMaxAVX512 + 1} {
		x, dst := make([]float32, n), make([]float32, n)
		tu.Fill(tu.Rand(44), x)
		tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
			runs := 5
			if tu.Short() {
				runs = 1
			}
			allocs := testing.AllocsPerRun(runs, func() {
				softmax.Softmax(dst, x, 0.8)
				softmax.LogSoftmax(dst, x, 0.8)
				softmax.LogSumExp(x, 0.8)
				softmax.Argmax(x)
				st := softmax.Merge(softmax.Partial(x[:n/2], 0.8), softmax.Partial(x[n/2:], 0.8))
				softmax.Normalize(dst, x, 0.8, st)
				softmax.LogNormalize(dst, x, 0.8, st)
				_ = st.LogSumExp()
				softmax.Softmax(dst, x, 0)
			})
			require.Zero(t, allocs, "n=%d: %v softmax allocates", n, isa)
		})
	}
}
