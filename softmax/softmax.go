// Package softmax computes softmax, log-softmax and log-sum-exp of float32
// logits with a temperature, on the SIMD kernels of package lmhead, and the
// mergeable [Stats] that let a vocabulary split across shards be normalised
// without gathering it.
//
// # Temperature
//
// Every function takes a temperature τ and works on x/τ. τ > 0 is applied
// inside the kernels as the float32 scale s = 1/τ (no extra pass over x);
// the rounding of s adds at most 2⁻²⁴·|x[i]−max|/τ to the relative error of
// each result. τ == 0 is the limit τ → 0⁺: [Softmax] is one-hot at
// [Argmax], [LogSoftmax] is 0 there and -Inf elsewhere. A positive τ so
// small that 1/τ overflows float32 (a denormal τ below 2⁻¹²⁸) is that limit
// too. τ < 0, τ NaN and τ +Inf panic.
//
// # Special values
//
// They match PyTorch's softmax(x/τ), log_softmax and logsumexp, with x/τ
// computed as the float32 product s·x: any NaN or any +Inf in s·x (a +Inf
// logit, or a logit whose scaling overflows) makes every output NaN, and so
// does an x whose s·x is all -Inf; LogSumExp is NaN if x holds a NaN, else
// +Inf if s·x holds a +Inf, and -Inf for an empty or all -Inf s·x. An empty
// x is a no-op. Mismatched lengths panic with a message naming them.
//
// # Accuracy
//
// Each probability p[i] is within (|x[i]−max|/τ + 4)·2⁻²³ of the exact
// value, relative, plus 2⁻¹²⁶ absolute: the exponential kernels flush
// results below 2⁻¹²⁶ (about 1.2e-38) to zero rather than produce
// denormals. Each log-probability, and LogSumExp, is within 4 ulp of the
// exact value plus 1e-6. Sums are accumulated in float64, so Σp stays
// within 1e-6 of 1 at any length the tests try, up to 2²⁴. This holds for
// logits of any magnitude: when |max|/τ reaches 2²² the float32 shift that
// the kernels take would be too coarse, and the functions subtract the
// maximum in a pass of its own first (exact, by Sterbenz's lemma, for every
// element whose probability is not flushed).
package softmax

import (
	"fmt"
	"math"

	"github.com/lmhead/lmhead"
)

// threePassMaxAVX512 is the largest length for which Softmax runs three
// passes (Max, ScaleExpSum storing the exponentials in dst, a scale by
// 1/sum) rather than two (the online MaxSum, then ExpMul) on the AVX-512
// kernels: 2²¹ elements, x and dst 8 MiB each, half of a 32 MiB L3. The
// other levels always run three passes. See Softmax for the measurements.
const threePassMaxAVX512 = 1 << 21

// threePassMax returns the crossover length for the active kernel level.
func threePassMax() int {
	if lmhead.Active() == lmhead.AVX512 {
		return threePassMaxAVX512
	}
	return math.MaxInt
}

// hugeShift bounds the scaled maximum M for which a float32 shift c next to
// M is used directly: below 2²² the ulp of c is at most 0.5, so e^(s·x − c)
// is at most about e^1 and no result is flushed that should not be.
const hugeShift = 1 << 22

// scale checks τ and returns s = 1/τ (+Inf for τ == 0).
func scale(fn string, temperature float32) float32 {
	// −0 passes temperature >= 0, and 1/−0 is −Inf: it is rejected as
	// negative, as torch rejects a temperature that is not > 0.
	if !(temperature >= 0) || math.Signbit(float64(temperature)) || math.IsInf(float64(temperature), 1) {
		panic(fmt.Sprintf("softmax.%s: temperature=%v, want 0 <= temperature < +Inf", fn, temperature))
	}
	return 1 / temperature
}

func checkLen(fn string, dst, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("softmax.%s: len(dst)=%d, len(x)=%d, want equal", fn, len(dst), len(x)))
	}
}

func finite32(v float32) bool { return !math.IsInf(float64(v), 0) && v == v }

func finite64(v float64) bool { return !math.IsInf(v, 0) && v == v }

func fillNaN(dst []float32) {
	nan := float32(math.NaN())
	for i := range dst {
		dst[i] = nan
	}
}

// shiftBelow returns a float32 c at most M minus half an ulp, and within
// two ulp of it, for |M| < hugeShift: the shift for e^(s·x − c). Staying
// below M keeps the largest exponent at or above 0, so that no exponential
// whose probability is above 2⁻¹²⁶ falls under the kernels' flush threshold
// (M itself may be a float32 rounded either way from s·max).
func shiftBelow(M float64) float32 {
	c := float32(M)
	if float64(c) > M {
		c = math.Nextafter32(c, float32(math.Inf(-1)))
	}
	return math.Nextafter32(c, float32(math.Inf(-1)))
}

// argmaxLimit returns the index that the τ → 0 limit puts all the mass on,
// or -1 when x holds a NaN or a +Inf or is all -Inf, where every output is
// NaN.
func argmaxLimit(x []float32) int {
	i := lmhead.Argmax(x)
	if v := x[i]; !finite32(v) {
		return -1
	}
	return i
}

// Softmax sets dst[i] = e^(x[i]/τ) / Σ_j e^(x[j]/τ), τ = temperature.
//
// It runs one of two algorithms, chosen by measurement (BenchmarkSoftmax
// and BenchmarkSoftmaxAlgorithms, on an AMD EPYC Zen 4 with 1 MiB of L2
// per core and a 32 MiB L3):
//
//   - Three passes: [lmhead.Max]; [lmhead.ScaleExpSum], which writes the
//     shifted exponentials into dst and sums them; a scale of dst by 1/Σ
//     ([lmhead.ScaleShift]). One exponential per element, 20 bytes of
//     memory traffic per element.
//   - Two passes: the online [lmhead.MaxSum], which finds the maximum and
//     the sum in one read of x, then [lmhead.ExpMul], which recomputes each
//     exponential and writes dst. Two exponentials per element, 12 bytes
//     of traffic.
//
// While x and dst stay in cache the exponentials decide, and three passes
// win: at 128256 elements (Llama 3) about 1.4× faster on AVX-512 and 1.7×
// on AVX2. Once they spill from L3, traffic decides: on AVX-512, whose
// exponential is cheap, two passes win beyond 2²¹ elements (at 2²⁴, 1.3×
// faster). On AVX2 an exponential costs about twice as much and three
// passes stay ahead at every size measured: 1.5–1.6× in cache, 1.2× at
// 3·2²⁰, and level at 2²⁴ (7.2 against 7.4 ms), where both are bound by
// memory; the pure-Go level is compute-bound throughout. NEON is not measured here (it
// was tested under emulation only); its 4-lane exponential puts it with
// AVX2, and it runs three passes.
//
// dst may be x. Softmax panics if len(dst) != len(x) and on an invalid
// temperature; see the package documentation for τ == 0 and special values.
func Softmax(dst, x []float32, temperature float32) {
	checkLen("Softmax", dst, x)
	s := scale("Softmax", temperature)
	if len(x) == 0 {
		return
	}
	if math.IsInf(float64(s), 1) {
		i := argmaxLimit(x)
		if i < 0 {
			fillNaN(dst)
			return
		}
		clear(dst)
		dst[i] = 1
		return
	}
	if len(x) <= threePassMax() {
		threePass(dst, x, s)
	} else {
		twoPass(dst, x, s)
	}
}

// threePass is Softmax for x and dst in cache.
func threePass(dst, x []float32, s float32) {
	mx := lmhead.Max(x)
	// s·mx overflowing float32 is PyTorch's x/τ = ±Inf: all NaN, as for
	// a NaN or ±Inf maximum.
	if !finite32(mx) || !finite32(s*mx) {
		fillNaN(dst)
		return
	}
	M := float64(s) * float64(mx) // exact
	if math.Abs(M) >= hugeShift {
		hugeSoftmax(dst, x, s, mx)
		return
	}
	sum := lmhead.ScaleExpSum(dst, x, s, shiftBelow(M))
	lmhead.ScaleShift(dst, dst, float32(1/sum), 0)
}

// twoPass is Softmax for x and dst out of cache.
func twoPass(dst, x []float32, s float32) {
	m, sum := lmhead.MaxSum(x, s)
	if finite32(m) && (math.Abs(float64(m)) >= hugeShift || !finite64(sum)) {
		// Huge m: MaxSum's terms e^(s·x − m) carry m's rounding, up to
		// half an ulp of m, useless here. A NaN or infinite sum with a
		// finite m: a NaN in x, or an online sum that overflowed on an
		// early huge running maximum. All rare enough to afford
		// threePass, whose Max pass tells them apart.
		threePass(dst, x, s)
		return
	}
	if !finite32(m) {
		fillNaN(dst)
		return
	}
	c := shiftBelow(float64(m))
	lmhead.ExpMul(dst, x, s, c, float32(math.Exp(float64(c)-float64(m))/sum))
}

// hugeSoftmax is Softmax for |s·mx| >= hugeShift: it subtracts mx first, so
// that the kernels work on s·(x − mx), which is 0 at the maximum. x − mx is
// exact wherever s·(x − mx) > -88, since there x is within a factor of two
// of mx (|x − mx| < 88/s <= 88·|mx|/2²²).
func hugeSoftmax(dst, x []float32, s, mx float32) {
	lmhead.ScaleShift(dst, x, 1, -mx)
	sum := lmhead.ScaleExpSum(dst, dst, s, 0)
	lmhead.ScaleShift(dst, dst, float32(1/sum), 0)
}

// LogSoftmax sets dst[i] = x[i]/τ − log Σ_j e^(x[j]/τ), τ = temperature.
//
// It runs [lmhead.MaxSum] (maximum and sum in one read of x, storing
// nothing), then dst = s·x − (max + log Σ) with [lmhead.ScaleShift]. That
// constant is rounded to float32, an absolute error of up to half an ulp of
// max/τ + log Σ, while the outputs near the maximum are small and must be
// accurate to their own ulp. For logits of an LM (|max/τ| up to a few
// tens) the rounding usually fits the error bound and one pass suffices;
// when it does not (large logits, or an unlucky rounding), LogSoftmax
// subtracts the maximum and log Σ in two passes instead, so three in all.
//
// dst may be x. LogSoftmax panics if len(dst) != len(x) and on an invalid
// temperature; see the package documentation for τ == 0 and special values.
func LogSoftmax(dst, x []float32, temperature float32) {
	checkLen("LogSoftmax", dst, x)
	s := scale("LogSoftmax", temperature)
	if len(x) == 0 {
		return
	}
	if math.IsInf(float64(s), 1) {
		i := argmaxLimit(x)
		if i < 0 {
			fillNaN(dst)
			return
		}
		inf := float32(math.Inf(-1))
		for j := range dst {
			dst[j] = inf
		}
		dst[i] = 0
		return
	}
	m, sum := lmhead.MaxSum(x, s)
	if finite32(m) && (math.Abs(float64(m)) >= hugeShift || !finite64(sum)) {
		// As in twoPass: a huge m, or a NaN or infinite sum. partial
		// tells them apart and gets the normaliser of s·(x − max) for
		// the first two.
		st := partial(x, s)
		if st.kind() != finite {
			fillNaN(dst)
			return
		}
		logNormalize(dst, x, s, st)
		return
	}
	if !finite32(m) {
		fillNaN(dst)
		return
	}
	logShift(dst, x, s, float64(m), sum)
}

// logShift sets dst = s·x − (M + log sum), |M| < hugeShift.
//
// In one ScaleShift pass when the float32 constant b = −(M + log sum) is
// close enough: every output is then within half its ulp plus b's rounding
// error e of the exact value, and e <= 2·ulp(log sum) + 5e-7 keeps that
// inside the documented 4 ulp + 1e-6: every output is at least log sum in
// magnitude, up to M's own rounding (M is the largest s·x rounded to
// float32). Otherwise in two,
// (s·x − c) − ((M − c) + log sum) with c the float32 nearest M, each
// rounding within an ulp of its result.
func logShift(dst, x []float32, s float32, M, sum float64) {
	l := math.Log(sum)
	t := M + l
	if b := float32(-t); math.Abs(float64(b)+t) <= 2*ulp32(l)+5e-7 {
		lmhead.ScaleShift(dst, x, s, b)
		return
	}
	c := float32(M)
	lmhead.ScaleShift(dst, x, s, -c)
	if l := float32((M - float64(c)) + l); l != 0 {
		lmhead.ScaleShift(dst, dst, 1, -l)
	}
}

// ulp32 returns the spacing of float32 at |v|.
func ulp32(v float64) float64 {
	f := float32(math.Abs(v))
	return float64(math.Nextafter32(f, float32(math.Inf(1)))) - float64(f)
}

// LogSumExp returns log Σ e^(x[i]/τ), τ = temperature, in one pass over x.
// It is NaN if x holds a NaN, +Inf if x/τ holds a +Inf, and -Inf for an
// empty or all -Inf x.
//
// For τ == 0 it returns the limit τ → 0⁺: +Inf if max(x) > 0, -Inf if
// max(x) < 0, and log k if max(x) == 0 (k the number of zeros).
//
// LogSumExp panics on an invalid temperature.
func LogSumExp(x []float32, temperature float32) float32 {
	s := scale("LogSumExp", temperature)
	if len(x) == 0 {
		return float32(math.Inf(-1))
	}
	if math.IsInf(float64(s), 1) {
		m := lmhead.Max(x)
		switch {
		case m != m || m > 0:
			return m * float32(math.Inf(1))
		case m < 0:
			return float32(math.Inf(-1))
		}
		k := 0
		for _, v := range x {
			if v == 0 {
				k++
			}
		}
		return float32(math.Log(float64(k)))
	}
	return partial(x, s).LogSumExp()
}

// Argmax returns the index of the first largest element of x, the index of
// the first NaN if x holds one, and -1 for an empty x. It is the τ → 0
// limit of sampling from Softmax, and runs on [lmhead.Argmax].
func Argmax(x []float32) int { return lmhead.Argmax(x) }
