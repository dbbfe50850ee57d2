package lmhead_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// The ends of the exp, as the contract (Exp's doc comment) fixes them: below
// expLo the result is +0, above expHi it is +Inf. expLo is the float32 just
// above ln 2⁻¹²⁶, expHi the one just below ln MaxFloat32.
const (
	expLo float32 = -87.33654
	expHi float32 = 88.72283
)

var (
	inf    = float32(math.Inf(1))
	nan    = float32(math.NaN())
	maxF32 = float32(math.MaxFloat32)
)

// ord maps float32 bit patterns onto integers in the order of the values,
// so that the number of floats between a and b is |ord(a) − ord(b)|.
func ord(v float32) int64 {
	b := int64(math.Float32bits(v))
	if b&(1<<31) != 0 {
		return (1 << 31) - b
	}
	return b
}

// expWant returns the correctly rounded e^x (from float64 math.Exp, itself
// within an ulp of float64, so that it decides the float32 rounding except
// when e^x lies within 2⁻⁵² relative of a float32 midpoint) and how many
// floats apart the kernel may be: 2 inside the range, 0 at the ends, where
// the contract fixes +0, +Inf and NaN.
func expWant(x float32) (want float32, ulps int64) {
	if want, ok := expEnd(x); ok {
		return want, 0
	}
	return float32(math.Exp(float64(x))), 2
}

// expEnd returns the exact result the contract fixes for x outside
// [expLo, expHi] and for NaN.
func expEnd(x float32) (want float32, ok bool) {
	switch {
	case x != x:
		return nan, true
	case x < expLo:
		return 0, true
	case x > expHi:
		return inf, true
	}
	return 0, false
}

// expOK reports whether got is an acceptable Exp(x).
func expOK(got, x float32) bool {
	want, ulps := expWant(x)
	if want != want {
		return got != got
	}
	if ulps == 0 {
		return math.Float32bits(got) == math.Float32bits(want)
	}
	return got == got && math.Abs(float64(ord(got)-ord(want))) <= float64(ulps)
}

// expRef returns e^y in float64 for the argument y = s·x − c that a fused
// kernel rounds once to float32, and the error bound the kernel must meet:
//
//	e^y·(2.5·2⁻²³ + 1.01·|y|·2⁻²⁴) + 2⁻¹²⁶
//
// 2 ulp from the correctly rounded result plus that result's own half ulp
// is 2.5 ulp, at most 2.5·2⁻²³ relative; rounding y to float32 moves it by
// at most |y|·2⁻²⁴, which e^y turns into that relative error (times
// e^δ−1 ≤ 1.01·δ for the δ < 0.01 that float32 arguments give). Results
// below 2⁻¹²⁶ may be flushed to +0: the absolute term.
func expRef(y float64) (ref, bound float64) {
	switch {
	case math.IsNaN(y):
		return math.NaN(), 0
	case math.IsInf(y, -1):
		return 0, 0
	}
	ref = math.Exp(y)
	if math.IsInf(ref, 0) {
		return ref, 0
	}
	return ref, ref*(2.5*0x1p-23+1.01*math.Abs(y)*0x1p-24) + 0x1p-126
}

// arg returns s·x − c in float64: exact for finite float32 operands except
// for the final rounding of the difference, which is far below float32's.
// Infinities and NaN follow IEEE 754, as in the kernels' fused multiply-add.
func arg(s, x, c float32) float64 { return float64(s)*float64(x) - float64(c) }

// sumRel is the accumulation error allowed to the float64 sums that
// ScaleExpSum and MaxSum return, relative to the sum of their terms. The
// contract allows float32 lane partials flushed into float64 every 2¹²
// elements: their error is about 1e-7 typically (a random walk of
// roundings) and up to 2⁸·2⁻²⁴ = 1.5e-5 in the worst case. 1e-6 is ten
// standard deviations of the former, while a term lost or counted twice
// among the ≤ 10⁴ terms of these tests moves the sum by 1e-4 or more.
const sumRel = 1e-6

// rescaleRel is what MaxSum may add for its online rescaling: each time a
// lane's maximum grows, its sum is multiplied by a computed e^(old−new), a
// relative error of about 3e-7, and at the end every lane sum is rescaled
// to the common maximum. For data in any order the sum of the fractions of
// the total so rescaled stays below about 3 when rescaling is done well
// (lazily, or with an accurate factor); sorted data, which rescales at
// every element, shows whether it is.
const rescaleRel = 3 * 3e-7

// randArgs returns s and c such that s·x − c over x in [-scale, scale]
// covers the whole range of the exp, including its ends.
func randArgs(r *rand.Rand) (s, c float32) {
	s = float32(math.Ldexp(1+r.Float64(), r.IntN(12)-5)) // [1/32, 128)
	c = float32(r.Float64()*120 - 20)
	return s, c
}

// fillArgs fills x with values whose s·x − c spreads over [-110, 95].
func fillArgs(r *rand.Rand, x []float32, s, c float32) {
	for i := range x {
		y := r.Float64()*205 - 110
		x[i] = float32((y + float64(c)) / float64(s))
	}
}

// checkExpKernels runs Exp, ScaleExpSum, ExpMul and ScaleShift on x (of
// length n at element offset off) with dst at another offset between guard
// values, and checks every element, the sums and the guards.
func checkExpKernels(t *testing.T, x []float32, s, c, mul float32, what string) {
	t.Helper()
	const guard = -7.25
	n := len(x)
	dOff := (len(x)*7 + 3) % offsets
	dst, whole := tu.Offset(n, dOff, guard)
	checkGuard := func(kernel string) {
		t.Helper()
		if i := tu.Untouched(whole, dOff, n, guard); i >= 0 {
			t.Fatalf("%s %s: wrote outside dst at backing index %d (dst starts at %d, n=%d)", kernel, what, i, dOff, n)
		}
	}

	lmhead.Exp(dst, x)
	for i := range x {
		if !expOK(dst[i], x[i]) {
			want, _ := expWant(x[i])
			t.Fatalf("Exp %s: x[%d]=%v (%#x): got %v (%#x), want %v within 2 ulp", what, i, x[i], math.Float32bits(x[i]),
				dst[i], math.Float32bits(dst[i]), want)
		}
	}
	checkGuard("Exp")

	sum := lmhead.ScaleExpSum(dst, x, s, c)
	var own, abs float64
	for i := range x {
		ref, bound := expRef(arg(s, x[i], c))
		if !tu.Close(dst[i], ref, bound) {
			t.Fatalf("ScaleExpSum %s s=%v c=%v: x[%d]=%v: got %v, want %v ± %v", what, s, c, i, x[i], dst[i], ref, bound)
		}
		own += float64(dst[i])
		abs += math.Abs(float64(dst[i]))
	}
	// The contract allows float32 partial sums: they may overflow once the
	// terms add up beyond MaxFloat32 (arguments near the top of the exp's
	// range, which softmax never makes).
	if !close64(sum, own, sumRel*abs) && !(math.IsInf(sum, 1) && own >= math.MaxFloat32*(1-0x1p-20)) {
		t.Fatalf("ScaleExpSum %s s=%v c=%v: sum %v, Σdst %v (bound %v)", what, s, c, sum, own, sumRel*abs)
	}
	checkGuard("ScaleExpSum")

	lmhead.ExpMul(dst, x, s, c, mul)
	for i := range x {
		if !expMulOK(dst[i], s, x[i], c, mul) {
			ref, bound := expRef(arg(s, x[i], c))
			t.Fatalf("ExpMul %s s=%v c=%v mul=%v: x[%d]=%v: got %v, want (%v ± %v)·mul", what, s, c, mul, i, x[i], dst[i], ref, bound)
		}
	}
	checkGuard("ExpMul")

	lmhead.ScaleShift(dst, x, s, -c)
	for i := range x {
		ref, bound := shiftRef(s, x[i], -c)
		if !tu.Close(dst[i], ref, bound) {
			t.Fatalf("ScaleShift %s s=%v b=%v: x[%d]=%v: got %v, want %v ± %v", what, s, -c, i, x[i], dst[i], ref, bound)
		}
	}
	checkGuard("ScaleShift")
}

// expMulOK reports whether got is an acceptable e^(s·x − c)·mul. The
// product adds one rounding and may land among the denormals; an exp that
// overflows float32 is +Inf before the multiplication, so its product is
// +Inf however small mul is (either is accepted where the bound straddles
// the overflow threshold).
func expMulOK(got, s, x, c, mul float32) bool {
	e, eb := expRef(arg(s, x, c))
	m := float64(mul)
	if e != e {
		return got != got
	}
	if e-eb > math.MaxFloat32 {
		return float64(got) == math.Inf(1)*m
	}
	if e+eb >= math.MaxFloat32 && float64(got) == math.Inf(1)*m {
		return true
	}
	return tu.Close(got, e*m, eb*math.Abs(m)+math.Abs(e*m)*0x1p-24+tu.MinDenormal)
}

// shiftRef returns s·x + b and the bound of one rounding to float32: half
// an ulp, 2⁻²⁴ relative (with a hair more for the pure-Go twin's float64
// intermediate), or half the smallest denormal.
func shiftRef(s, x, b float32) (ref, bound float64) {
	ref = float64(s)*float64(x) + float64(b)
	return ref, math.Abs(ref)*0x1p-24*(1+0x1p-20) + tu.MinDenormal/2
}

// checkReductions runs Max, Argmax and MaxSum on x and checks them against
// exact references (Max, Argmax, MaxSum's m) and the float64 sum.
func checkReductions(t *testing.T, x []float32, s float32, what string) {
	t.Helper()
	wantMax, wantArg := float32(math.Inf(-1)), -1
	for i, v := range x {
		if v != v {
			wantMax, wantArg = v, i
			break
		}
		if wantArg < 0 || v > wantMax {
			wantMax, wantArg = v, i
		}
	}
	if got := lmhead.Max(x); got != wantMax && !(got != got && wantMax != wantMax) {
		t.Fatalf("Max %s: got %v, want %v", what, got, wantMax)
	}
	if got := lmhead.Argmax(x); got != wantArg {
		t.Fatalf("Argmax %s: got %d (%v), want %d (%v)", what, got, at(x, got), wantArg, at(x, wantArg))
	}

	m, sum := lmhead.MaxSum(x, s)
	wantM := float32(math.Inf(-1))
	for _, v := range x {
		if y := s * v; y > wantM {
			wantM = y
		}
	}
	if m != wantM {
		t.Fatalf("MaxSum %s s=%v: m=%v, want %v", what, s, m, wantM)
	}
	if math.IsInf(float64(m), 0) {
		// s·x overflowed: whether e^(s·x − m) is then 0 or NaN depends
		// on whether s·x is fused into the subtraction; the contract
		// leaves it open and package softmax does not look at the sum.
		return
	}
	var ref, bound float64
	for _, v := range x {
		r, b := expRef(arg(s, v, m))
		ref += r
		bound += b
	}
	bound += (sumRel + rescaleRel) * ref
	if !close64(sum, ref, bound) {
		t.Fatalf("MaxSum %s s=%v: sum=%v, want %v ± %v (rel err %.3g)", what, s, sum, ref, bound, math.Abs(sum-ref)/ref)
	}
}

// close64 is tu.Close for the float64 sums.
func close64(got, ref, bound float64) bool {
	switch {
	case math.IsNaN(ref):
		return math.IsNaN(got)
	case math.IsInf(ref, 0):
		return got == ref
	}
	return math.Abs(got-ref) <= bound
}

func at(x []float32, i int) any {
	if i < 0 || i >= len(x) {
		return "none"
	}
	return x[i]
}

// TestSoftmaxKernels runs every softmax kernel at every length 0..300 and
// some large ones, at every offset, on random arguments that cover the
// exp's whole range (flush and overflow included).
func TestSoftmaxKernels(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(21)
		for _, n := range lengths() {
			for off := 0; off < offsets; off++ {
				if tu.Short() && off%5 != 0 && n > 64 {
					continue
				}
				x, _ := tu.Offset(n, off, 0)
				s, c := randArgs(r)
				fillArgs(r, x, s, c)
				what := fmt.Sprintf("n=%d off=%d", n, off)
				checkExpKernels(t, x, s, c, float32(math.Ldexp(1+r.Float64(), -r.IntN(20))), what)
				// The reductions on softmax-like data: logits of a
				// few units, the scale a temperature would give.
				for i := range x {
					x[i] = float32(r.NormFloat64() * 4)
				}
				checkReductions(t, x, float32(0.25+2*r.Float64()), what)
			}
		}
	})
}

// TestMaxSumOrders checks the online normaliser on data that makes it
// rescale at every element (ascending), never (descending), and on a
// wide random spread, at sizes where the lane partials must be flushed
// into float64.
func TestMaxSumOrders(t *testing.T) {
	sizes := []int{1000, 8195, 1 << 16, 1<<20 + 3}
	if tu.Short() {
		sizes = sizes[:2]
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(22)
		for _, n := range sizes {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 3)
			}
			checkReductions(t, x, 1, fmt.Sprintf("random n=%d", n))
			slices.Sort(x)
			checkReductions(t, x, 1.7, fmt.Sprintf("ascending n=%d", n))
			slices.Reverse(x)
			checkReductions(t, x, 0.6, fmt.Sprintf("descending n=%d", n))
			// Huge negative values up front, with an inexact s: the
			// first running maxima are huge, and their own terms
			// e^(s·x − fl(s·x)) carry the product's rounding (up to
			// half an ulp of 1.4e10, 512). The formula, with the final
			// m, is finite; an online sum must not overflow on them.
			for i := range x {
				x[i] = float32(r.NormFloat64() * 3)
				if i < 64 && i%3 != 2 {
					x[i] = -1e10 * float32(1+r.Float64())
				}
			}
			checkReductions(t, x, 1/0.7, fmt.Sprintf("huge leading values n=%d", n))
			// Equal steps: every rescaling factor is the same, so a
			// biased rounding of it accumulates.
			for i := range x {
				x[i] = float32(i) / float32(n) * 40
			}
			checkReductions(t, x, 1, fmt.Sprintf("linear ramp n=%d", n))
		}
	})
}

// TestSoftmaxKernelsInPlace checks that dst == x works for every kernel
// that writes dst.
func TestSoftmaxKernelsInPlace(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(23)
		for _, n := range []int{1, 7, 16, 33, 64, 100, 257, 1000} {
			x := make([]float32, n)
			s, c := randArgs(r)
			fillArgs(r, x, s, c)
			orig := slices.Clone(x)
			check := func(name string, ref func(v float32) (float64, float64)) {
				t.Helper()
				for i, v := range orig {
					want, bound := ref(v)
					require.Truef(t, tu.Close(x[i], want, bound), "%s in place n=%d: [%d] got %v, want %v ± %v", name, n, i, x[i], want, bound)
				}
				copy(x, orig)
			}
			lmhead.Exp(x, x)
			check("Exp", func(v float32) (float64, float64) {
				// expOK's 2 ulp around the float64 value, roughly.
				return expRef(float64(v))
			})
			sum := lmhead.ScaleExpSum(x, x, s, c)
			var own float64
			for _, v := range x {
				own += float64(v)
			}
			require.Truef(t, close64(sum, own, sumRel*own), "ScaleExpSum in place n=%d: sum %v, Σdst %v", n, sum, own)
			check("ScaleExpSum", func(v float32) (float64, float64) { return expRef(arg(s, v, c)) })
			lmhead.ExpMul(x, x, s, c, 0.5)
			for i, v := range orig {
				require.Truef(t, expMulOK(x[i], s, v, c, 0.5), "ExpMul in place n=%d: [%d] got %v", n, i, x[i])
			}
			copy(x, orig)
			lmhead.ScaleShift(x, x, s, -c)
			check("ScaleShift", func(v float32) (float64, float64) { return shiftRef(s, v, -c) })
		}
	})
}

// specialCases are inputs with NaN, ±Inf, denormals and huge values in the
// first, last and a middle position (inside the vector body or the tail,
// depending on n).
func specialCases(n int) map[string][]float32 {
	den := math.Float32frombits(1)
	bigDen := math.Float32frombits(0x7fffff)
	mk := func(first, middle, last, rest float32) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rest + float32(i%7)*0.125
		}
		s[n/2] = middle
		s[0], s[n-1] = first, last
		return s
	}
	return map[string][]float32{
		"nan first":      mk(nan, 1, 1, 0),
		"nan middle":     mk(1, nan, 1, 0),
		"nan last":       mk(1, 1, nan, 0),
		"+inf middle":    mk(1, inf, 1, 0),
		"+inf last":      mk(1, 1, inf, 0),
		"-inf middle":    mk(1, -inf, 1, 0),
		"-inf first":     mk(-inf, 2, 1, 0),
		"all -inf":       mk(-inf, -inf, -inf, -inf),
		"nan and +inf":   mk(inf, nan, 1, 0),
		"denormals":      mk(den, bigDen, -den, 0),
		"huge":           mk(maxF32, -maxF32, maxF32/2, 0),
		"huge negative":  mk(-maxF32, -maxF32, -maxF32, -maxF32),
		"near exp ends":  mk(expLo, expHi, math.Nextafter32(expHi, inf), math.Nextafter32(expLo, -inf)),
		"all equal":      mk(3, 3, 3, 3),
		"signed zeros":   mk(0, float32(math.Copysign(0, -1)), 0, -1),
		"max at the end": mk(-5, -5, 5, -5),
		// Lane maxima far apart: the combining factors e^(lane max − max)
		// take huge negative finite arguments, which must give 0.
		"huge gaps":       mk(0, -5e10, -1e12, -1e12),
		"huge gaps first": mk(-1e12, 0, -5e10, -3e20),
		"wide magnitudes": mk(1e30, -1e20, 3, -1e25),
	}
}

// TestSoftmaxKernelsSpecial checks the IEEE behaviour that the contract
// gives the special values: each element of Exp, ScaleExpSum and ExpMul is
// the float64 formula's (NaN for NaN, 0 for -Inf, Inf for +Inf or
// overflow); Max keeps NaN; Argmax finds the first NaN; MaxSum's rules are
// checked as stated in its doc.
func TestSoftmaxKernelsSpecial(t *testing.T) {
	ns := []int{1, 2, 3, 5, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 100, 129, 257}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		for _, n := range ns {
			for name, x := range specialCases(n) {
				what := fmt.Sprintf("%s n=%d", name, n)
				for _, sc := range [][2]float32{{1, 0}, {1, 3}, {0.5, -2}, {2, 80}} {
					checkExpKernels(t, x, sc[0], sc[1], 0.25, what)
				}
				hasNaN, hasInf, allNegInf := false, false, true
				for _, v := range x {
					hasNaN = hasNaN || v != v
					hasInf = hasInf || v == inf
					allNegInf = allNegInf && v == -inf
				}
				if !hasNaN && !hasInf && !allNegInf {
					checkReductions(t, x, 1, what)
					// The same arguments s·x from tiny x and a huge,
					// inexact s (a temperature near 1e-19).
					const big = 6.111095e18
					tiny := make([]float32, n)
					for i, v := range x {
						tiny[i] = v / big
					}
					checkReductions(t, tiny, big, what+" (s=6.1e18)")
					checkExpKernels(t, tiny, big, 0, 0.25, what+" (s=6.1e18)")
					continue
				}
				if !hasNaN {
					// Max and Argmax are exact here too.
					want := slices.Max(x)
					require.Equal(t, want, lmhead.Max(x), what)
					require.Equal(t, slices.Index(x, want), lmhead.Argmax(x), what)
				} else {
					require.True(t, math.IsNaN(float64(lmhead.Max(x))), "Max %s: want NaN", what)
					require.Equal(t, slices.IndexFunc(x, func(v float32) bool { return v != v }), lmhead.Argmax(x), "Argmax %s", what)
				}
				m, sum := lmhead.MaxSum(x, 1)
				require.Truef(t, math.IsNaN(sum), "MaxSum %s: sum=%v, want NaN", what, sum)
				switch {
				case allNegInf:
					require.Equal(t, float32(math.Inf(-1)), m, "MaxSum %s: m", what)
				case hasInf && !hasNaN:
					require.Equal(t, inf, m, "MaxSum %s: m", what)
				}
			}
		}
	})
}

// TestExpEveryFloat checks Exp on every float32 in [-87.34, 0] (1.1
// billion inputs) and on every 5th float32 in [0, 88.73], on every ISA,
// against the correctly rounded result: within 2 ulp inside
// [expLo, expHi], exact at the ends. Under -short or emulation it takes
// every 4099th float of both ranges, plus every float within 2¹² of each
// end and of zero.
func TestExpEveryFloat(t *testing.T) {
	type span struct{ lo, hi, stride uint32 } // bit patterns, inclusive
	spans := []span{
		{math.Float32bits(float32(math.Copysign(0, -1))), math.Float32bits(-87.34), 1},
		{0, math.Float32bits(88.73), 5},
	}
	if tu.Short() {
		spans[0].stride, spans[1].stride = 4099, 4099
		for _, v := range []float32{expLo, expHi} {
			b := math.Float32bits(v)
			spans = append(spans, span{b - 1<<12, b + 1<<12, 1})
		}
		spans = append(spans, span{0, 1 << 12, 1}, span{1 << 31, 1<<31 + 1<<12, 1})
	}
	// The reference is computed once per block and then each ISA's Exp
	// runs on it. Use switches the kernels for the whole process, so the
	// ISAs take turns; within one, GOMAXPROCS goroutines share the block.
	const block = 1 << 22
	workers := runtime.GOMAXPROCS(0)
	xs := make([]float32, block)
	want := make([]float32, block)
	ulps := make([]int8, block)
	got := make([]float32, block)
	prev := lmhead.Active()
	defer func() { _ = lmhead.Use(prev) }()
	isas := lmhead.Supported()
	fails := make([]string, len(isas))
	checked := 0
	parallel := func(n int, f func(lo, hi int)) {
		var wg sync.WaitGroup
		per := (n/workers + 256) &^ 255 // whole runs of expRun
		for lo := 0; lo < n; lo += per {
			wg.Add(1)
			go func(lo, hi int) { defer wg.Done(); f(lo, hi) }(lo, min(lo+per, n))
		}
		wg.Wait()
	}
	for _, sp := range spans {
		for next := uint64(sp.lo); next <= uint64(sp.hi); {
			n := 0
			for ; n < block && next <= uint64(sp.hi); n, next = n+1, next+uint64(sp.stride) {
				xs[n] = math.Float32frombits(uint32(next))
			}
			checked += n
			parallel(n, func(lo, hi int) { expWantRun(want[lo:hi], ulps[lo:hi], xs[lo:hi], sp.stride == 1) })
			for k, isa := range isas {
				if fails[k] != "" {
					continue
				}
				require.NoError(t, lmhead.Use(isa))
				var mu sync.Mutex
				parallel(n, func(lo, hi int) {
					lmhead.Exp(got[lo:hi], xs[lo:hi])
					for i := lo; i < hi; i++ {
						g, w := got[i], want[i]
						// Exact bits, or both NaN, or (inside the
						// range, where want is finite) within ulps.
						d := ord(g) - ord(w)
						ok := math.Float32bits(g) == math.Float32bits(w) || (w != w && g != g) ||
							(ulps[i] > 0 && g == g && d <= int64(ulps[i]) && -d <= int64(ulps[i]))
						if !ok {
							mu.Lock()
							if fails[k] == "" {
								fails[k] = fmt.Sprintf("%v: Exp(%v) (bits %#x) = %v (bits %#x), want %v (bits %#x) within %d ulp",
									isa, xs[i], math.Float32bits(xs[i]), g, math.Float32bits(g), w, math.Float32bits(w), ulps[i])
							}
							mu.Unlock()
							return
						}
					}
				})
			}
		}
	}
	for _, f := range fails {
		if f != "" {
			t.Error(f)
		}
	}
	t.Logf("checked %d inputs on %v", checked, isas)
}

// expRun is the length of the runs over which expWantRun extends e^x by a
// recurrence: 256 consecutive bit patterns aligned to 256 share their
// exponent, so x moves by the same ulp h at each step.
const expRun = 256

// expWantRun sets want[i], ulps[i] = expWant(xs[i]). With consecutive, the
// xs are consecutive float32 bit patterns and e^x is carried along each
// aligned run as E·e^(±h), in float64, instead of calling math.Exp for
// every input (which would make math.Exp, not the kernels, the cost of the
// exhaustive test). Over a run the product drifts by at most about
// 2·256·2⁻⁵³ = 2⁻⁴⁴ relative; where that could change the rounding to
// float32 (E within 2⁻³⁸ of a float32 midpoint) math.Exp decides.
func expWantRun(want []float32, ulps []int8, xs []float32, consecutive bool) {
	var e, q float64
	started := false
	for i, x := range xs {
		if w, ok := expEnd(x); ok {
			want[i], ulps[i] = w, 0
			started = false
			continue
		}
		if !consecutive {
			want[i], ulps[i] = float32(math.Exp(float64(x))), 2
			continue
		}
		if b := math.Float32bits(x); !started || b%expRun == 0 {
			// The step to the next bit pattern is the same all along
			// the run (up for positive x, down for negative).
			d := float64(math.Float32frombits(b+1)) - float64(x)
			e, q, started = math.Exp(float64(x)), math.Exp(d), true
		} else {
			e *= q
		}
		cr := float32(e)
		lo, hi := float64(math.Nextafter32(cr, 0)), float64(math.Nextafter32(cr, float32(math.Inf(1))))
		if mid := (float64(cr) + lo) / 2; math.Abs(e-mid) <= e*0x1p-38 {
			cr = float32(math.Exp(float64(x)))
		} else if mid := (float64(cr) + hi) / 2; math.Abs(e-mid) <= e*0x1p-38 {
			cr = float32(math.Exp(float64(x)))
		}
		want[i], ulps[i] = cr, 2
	}
}

func TestSoftmaxKernelsPanics(t *testing.T) {
	require.PanicsWithValue(t, "lmhead.Exp: len(dst)=3, len(x)=4, want equal", func() {
		lmhead.Exp(make([]float32, 3), make([]float32, 4))
	})
	require.PanicsWithValue(t, "lmhead.ScaleExpSum: len(dst)=5, len(x)=4, want equal", func() {
		lmhead.ScaleExpSum(make([]float32, 5), make([]float32, 4), 1, 0)
	})
	require.PanicsWithValue(t, "lmhead.ExpMul: len(dst)=0, len(x)=1, want equal", func() {
		lmhead.ExpMul(nil, make([]float32, 1), 1, 0, 1)
	})
	require.PanicsWithValue(t, "lmhead.ScaleShift: len(dst)=2, len(x)=1, want equal", func() {
		lmhead.ScaleShift(make([]float32, 2), make([]float32, 1), 1, 0)
	})
}

func TestSoftmaxKernelsEmpty(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		lmhead.Exp(nil, nil)
		lmhead.ExpMul(nil, nil, 1, 0, 1)
		lmhead.ScaleShift(nil, nil, 1, 0)
		require.Zero(t, lmhead.ScaleExpSum(nil, nil, 1, 0))
		require.Equal(t, float32(math.Inf(-1)), lmhead.Max(nil))
		require.Equal(t, -1, lmhead.Argmax(nil))
		m, sum := lmhead.MaxSum(nil, 1)
		require.Equal(t, float32(math.Inf(-1)), m)
		require.Zero(t, sum)
	})
}

func TestSoftmaxKernelsNoAllocs(t *testing.T) {
	x, dst := make([]float32, 1031), make([]float32, 1031)
	tu.Fill(tu.Rand(24), x)
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		allocs := testing.AllocsPerRun(20, func() {
			lmhead.Exp(dst, x)
			lmhead.Max(x)
			lmhead.Argmax(x)
			lmhead.ScaleExpSum(dst, x, 1, 1)
			lmhead.MaxSum(x, 1)
			lmhead.ExpMul(dst, x, 1, 1, 0.5)
			lmhead.ScaleShift(dst, x, 2, 1)
			lmhead.SumWhereIn(dst, x, 0.5, 0.25, -1, 1)
			lmhead.ScaleExpSumDot(dst, x, 1, 1)
		})
		require.Zero(t, allocs, "%v softmax kernels allocate", isa)
	})
}
