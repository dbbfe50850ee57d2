package lmhead

import "math"

// The pure-Go twins of the softmax kernels. They compute the same float32
// exp as the assembly (XNNPACK's rr2_p5, constants below), one element at a
// time, so that a twin and its assembly agree to an ulp or two and the
// tests can hold both to the same bounds.

// The exp constants, from XNNPACK src/f32-raddstoreexpminusmax (avx2-p5)
// and f32-vscaleexpminusmax (avx512f-p5-scalef).
const (
	// expLog2e is log2(e) rounded to float32.
	expLog2e float32 = 0x1.715476p+0
	// expLn2Hi + expLn2Lo is ln 2 to about 48 bits (two-constant Cody-Waite):
	// expLn2Hi has its low bits clear so that n*expLn2Hi is exact for every
	// |n| <= 128, and x - n*expLn2Hi loses nothing.
	expLn2Hi float32 = 0x1.62E43p-1
	expLn2Lo float32 = -0x1.05C61p-29
	// expC1..expC5 make 1 + t*(c1 + c2 t + c3 t² + c4 t³ + c5 t⁴) a
	// minimax approximation of e^t on |t| <= ln2/2.
	expC1 float32 = 0x1.FFFFF6p-1
	expC2 float32 = 0x1.FFFDC6p-2
	expC3 float32 = 0x1.555A80p-3
	expC4 float32 = 0x1.573A1Ap-5
	expC5 float32 = 0x1.0F9F9Cp-7
	// expMin is the smallest input whose exp is computed: -87.33654 is the
	// float32 just above ln(2⁻¹²⁶) = -87.336544750..., so every result that
	// is not flushed is a normal float32. Smaller inputs give +0.
	expMin float32 = -87.33654
	// expMax is the largest input whose exp is finite: 88.72283 is the
	// float32 just below ln(MaxFloat32) = 88.722839052...; the next float32
	// up, 88.72283935..., has e^x above MaxFloat32 by more than half an ulp.
	expMax float32 = 88.72283
	// expRound is 1.5·2⁵²: adding and subtracting it rounds a float64 of
	// magnitude below 2⁵¹ to an integer, ties to even, as the magic-bias FMA
	// of the assembly does.
	expRound = 0x1.8p52
)

// fma32 returns a*b + c rounded to float32, as VFMADD and FMLA compute it.
// The float64 product of two float32s is exact, so whether or not the
// compiler fuses the float64 multiply-add the result is the same, on every
// GOARCH; the float64 sum is then rounded to float32 (a second rounding that
// differs from a true float32 FMA only when the float64 sum lands exactly
// on a float32 midpoint, about once in 2²⁹ operations).
func fma32(a, b, c float32) float32 {
	return float32(float64(a)*float64(b) + float64(c))
}

// exp32 returns e^x: 2 ulp from the correctly rounded result on
// [expMin, expMax], +0 below expMin (and for -Inf), +Inf above expMax, NaN
// for NaN.
func exp32(x float32) float32 {
	if !(x >= expMin) { // x < expMin or NaN
		if x != x {
			return x
		}
		return 0
	}
	if x > expMax {
		return float32(math.Inf(1))
	}
	// x = n·ln2 + t with n = round(x·log2e), |t| <= ln2/2 (a little more
	// when the rounding of the product moves n): e^x = 2ⁿ·e^t.
	n := float32(float64(x)*float64(expLog2e) + expRound - expRound)
	t := fma32(n, -expLn2Hi, x)
	t = fma32(n, -expLn2Lo, t)
	// e^t ≈ 1 + t·p(t), Horner's rule with one rounding per step.
	p := fma32(expC5, t, expC4)
	p = fma32(p, t, expC3)
	p = fma32(p, t, expC2)
	p = fma32(p, t, expC1)
	f := fma32(p, t, 1)
	// n is in [-126, 128]. 2ⁿ is a float32 up to n = 127; the few inputs
	// above 127.5·ln2 = 88.376 that round to n = 128 scale by 2¹²⁷ and 2.
	k := int32(n)
	if k > 127 {
		return f * 0x1p127 * 2
	}
	return f * math.Float32frombits(uint32(k+127)<<23)
}

// exp is the pure-Go twin of expAVX2, expAVX512 and expNEON.
func exp(dst, x []float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = exp32(v)
	}
}

// max is the pure-Go twin of maxAVX2, maxAVX512 and maxNEON. It keeps four
// running maxima, like the vector lanes, and stops at the first NaN.
func max(x []float32) float32 {
	m0, m1, m2, m3 := x[0], x[0], x[0], x[0]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v0, v1, v2, v3 := x[i], x[i+1], x[i+2], x[i+3]
		if v0 != v0 || v1 != v1 || v2 != v2 || v3 != v3 {
			return float32(math.NaN())
		}
		if v0 > m0 {
			m0 = v0
		}
		if v1 > m1 {
			m1 = v1
		}
		if v2 > m2 {
			m2 = v2
		}
		if v3 > m3 {
			m3 = v3
		}
	}
	for ; i < len(x); i++ {
		v := x[i]
		if v != v {
			return v
		}
		if v > m0 {
			m0 = v
		}
	}
	if m1 > m0 {
		m0 = m1
	}
	if m3 > m2 {
		m2 = m3
	}
	if m2 > m0 {
		m0 = m2
	}
	return m0
}

// argmax is the pure-Go twin of argmaxAVX2, argmaxAVX512 and argmaxNEON.
func argmax(x []float32) int {
	best, m := 0, x[0]
	if m != m {
		return 0
	}
	for i, v := range x {
		if v > m {
			best, m = i, v
		} else if v != v {
			return i
		}
	}
	return best
}

// scaleExpSum is the pure-Go twin of scaleExpSumAVX2, scaleExpSumAVX512 and
// scaleExpSumNEON. The sum goes into four float64 accumulators: the terms
// are positive, so the relative error stays below about n·2⁻⁵³.
func scaleExpSum(dst, x []float32, s, c float32) float64 {
	dst = dst[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		e0 := exp32(fma32(s, x[i], -c))
		e1 := exp32(fma32(s, x[i+1], -c))
		e2 := exp32(fma32(s, x[i+2], -c))
		e3 := exp32(fma32(s, x[i+3], -c))
		dst[i], dst[i+1], dst[i+2], dst[i+3] = e0, e1, e2, e3
		s0 += float64(e0)
		s1 += float64(e1)
		s2 += float64(e2)
		s3 += float64(e3)
	}
	for ; i < len(x); i++ {
		e := exp32(fma32(s, x[i], -c))
		dst[i] = e
		s0 += float64(e)
	}
	return (s0 + s1) + (s2 + s3)
}

// maxSum is the pure-Go twin of maxSumAVX2, maxSumAVX512 and maxSumNEON.
// Unlike them it is not online: it finds m, then sums e^(s·x[i] − m) with
// that m, reading x twice. As the reference it computes the contract's
// formula exactly, with no rescaling error and none of the intermediate
// overflow that an online sum can meet when an early running maximum is
// huge (its term e^(s·x − fl(s·x)) carries the product's rounding, up to
// half an ulp of s·x). Being compute-bound, it hardly pays for the second
// read.
func maxSum(x []float32, s float32) (float32, float64) {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if y := s * v; y > m {
			m = y
		}
	}
	if m == float32(math.Inf(-1)) {
		// All -Inf (or NaN): e^(-Inf+Inf) is the formula's NaN.
		return m, math.NaN()
	}
	var s0, s1 float64
	i := 0
	for ; i+2 <= len(x); i += 2 {
		s0 += float64(exp32(fma32(s, x[i], -m)))
		s1 += float64(exp32(fma32(s, x[i+1], -m)))
	}
	if i < len(x) {
		s0 += float64(exp32(fma32(s, x[i], -m)))
	}
	return m, s0 + s1
}

// expMul is the pure-Go twin of expMulAVX2, expMulAVX512 and expMulNEON.
func expMul(dst, x []float32, s, c, mul float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = exp32(fma32(s, v, -c)) * mul
	}
}

// scaleShift is the pure-Go twin of scaleShiftAVX2, scaleShiftAVX512 and
// scaleShiftNEON.
func scaleShift(dst, x []float32, s, b float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = fma32(s, v, b)
	}
}

// sumWhereIn is the pure-Go twin of sumWhereInAVX2 and sumWhereInAVX512
// (arm64 uses it too). Four float64 chains: the sum is exact to float64
// rounding, well inside the assembly's float32-group bound.
func sumWhereIn(e, z []float32, s, b, lo, hi float32) float64 {
	e = e[:len(z)]
	var acc [4]float64
	for i, v := range z {
		if y := fma32(s, v, b); lo <= y && y <= hi {
			acc[i&3] += float64(e[i])
		}
	}
	return (acc[0] + acc[1]) + (acc[2] + acc[3])
}

// scaleExpSumDot is the pure-Go twin of scaleExpSumDotAVX2 and
// scaleExpSumDotAVX512.
func scaleExpSumDot(dst, x []float32, s, c float32) (sum, dot float64) {
	dst = dst[:len(x)]
	for i, v := range x {
		e := exp32(fma32(s, v, -c))
		dst[i] = e
		sum += float64(e)
		dot += float64(e * v)
	}
	return sum, dot
}
