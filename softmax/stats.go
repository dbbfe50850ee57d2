package softmax

import (
	"math"

	"github.com/lmhead/lmhead"
)

// Stats summarises the softmax normaliser of one part of a logit vector, so
// that parts computed separately (vocabulary shards on different cores or
// machines) can be combined with [Merge] and then normalised with
// [Normalize] or [LogNormalize] without gathering the logits.
//
// For a part x at temperature τ:
//
//	Max ≈ max_i x[i]/τ (within an ulp of float32)
//	Sum = Σ_i e^(x[i]/τ − Max)
//
// so that log Σ_i e^(x[i]/τ) = Max + log Sum, which [Stats.LogSumExp]
// returns. Max is a float64 because for logits with |x/τ| >= 2²² it holds
// the product s·max(x) exactly (s = 1/τ in float32), which Normalize needs
// to recover max(x); a float32 there would be off by up to half its ulp,
// and every probability with it.
//
// The fields are exported so that Stats can be sent between processes.
// They encode the special cases as follows, and [Partial] and [Merge] only
// ever produce these forms:
//
//	Sum == 0, Max == 0      no mass: an empty part or one whose x/τ is all
//	                        -Inf. This is the zero value, Merge's identity.
//	Max == +Inf, Sum == 1   x/τ holds a +Inf (and x no NaN).
//	Max and Sum NaN         x holds a NaN.
//
// In every form Max + log(Sum) is the part's log-sum-exp.
type Stats struct {
	// Max is the largest scaled logit x[i]/τ.
	Max float64
	// Sum is Σ e^(x[i]/τ − Max), at least about 1 for a part with mass.
	Sum float64
}

var (
	nanStats = Stats{Max: math.NaN(), Sum: math.NaN()}
	infStats = Stats{Max: math.Inf(1), Sum: 1}
)

// kind classifies a Stats; the order of the tests is the precedence:
// NaN over +Inf over no mass.
type kind uint8

const (
	finite kind = iota
	empty
	posInf
	nan
)

func (s Stats) kind() kind {
	switch {
	case s.Max != s.Max || math.IsNaN(s.Sum) || math.IsInf(s.Sum, 0) || s.Sum < 0:
		return nan
	case s.Sum == 0 || math.IsInf(s.Max, -1):
		return empty
	case math.IsInf(s.Max, 1):
		return posInf
	}
	return finite
}

// Partial returns the Stats of x at the given temperature in one pass over
// x ([lmhead.MaxSum], the online normaliser), storing nothing. Only x with
// a NaN or an infinity, or with |max|/τ >= 2²², takes more passes.
//
// Partial panics on an invalid temperature and on τ == 0: Stats hold the
// maximum of x/τ, which has no finite limit. (For greedy decoding across
// shards, compare the shards' [Argmax] values instead.)
func Partial(x []float32, temperature float32) Stats {
	s := scale("Partial", temperature)
	if math.IsInf(float64(s), 1) {
		panic("softmax.Partial: temperature=0 (or below 2⁻¹²⁸) has no Stats; use Argmax")
	}
	return partial(x, s)
}

func partial(x []float32, s float32) Stats {
	if len(x) == 0 {
		return Stats{}
	}
	m, sum := lmhead.MaxSum(x, s)
	if finite32(m) && math.Abs(float64(m)) < hugeShift && finite64(sum) {
		return Stats{Max: float64(m), Sum: sum}
	}
	// The rare cases. The fused kernel's NaN and Inf arithmetic does not
	// tell a NaN from a +Inf or an all -Inf part (and may lose a NaN from
	// its maximum), so one more pass with Max, which keeps NaN, decides.
	// A finite m with a NaN or infinite sum and no NaN in x is an online
	// sum that overflowed on an early huge running maximum: partialSlow
	// recomputes it.
	mx := lmhead.Max(x)
	switch {
	case mx != mx:
		return nanStats
	case math.IsInf(float64(m), 1):
		return infStats
	case math.IsInf(float64(m), -1):
		return Stats{}
	case finite32(m):
		return partialSlow(x, s, mx)
	}
	return nanStats
}

// partialSlow is partial for the rare x whose MaxSum cannot be used: with
// |s·mx| >= hugeShift it sums e^(s·(x − mx)) with x − mx formed first (see
// hugeSoftmax for why that is exact where it matters), otherwise it sums
// e^(s·x − c) for a fixed shift c next to s·mx, as threePass does. Either
// way the terms go through a small buffer: the one path of the package
// that allocates.
func partialSlow(x []float32, s, mx float32) Stats {
	M := float64(s) * float64(mx)
	huge := math.Abs(M) >= hugeShift
	c := float32(0)
	if !huge {
		c = shiftBelow(M)
	}
	buf := make([]float32, min(len(x), 1<<12))
	var sum float64
	for lo := 0; lo < len(x); lo += len(buf) {
		b, xb := buf[:min(len(buf), len(x)-lo)], x[lo:]
		if huge {
			lmhead.ScaleShift(b, xb[:len(b)], 1, -mx)
			xb = b
		}
		sum += lmhead.ScaleExpSum(b, xb[:len(b)], s, c)
	}
	if huge {
		return Stats{Max: M, Sum: sum}
	}
	return Stats{Max: float64(c), Sum: sum}
}

// Merge returns the Stats of the concatenation of the parts that a and b
// describe. It is commutative, associative up to float64 rounding of Sum,
// and the zero Stats is its identity, so a reduction over any tree of parts
// gives the Stats of the whole.
func Merge(a, b Stats) Stats {
	ka, kb := a.kind(), b.kind()
	switch {
	case ka == nan || kb == nan:
		return nanStats
	case ka == posInf || kb == posInf:
		return infStats
	case ka == empty && kb == empty:
		return Stats{}
	case ka == empty:
		return b
	case kb == empty:
		return a
	}
	m := max(a.Max, b.Max)
	// The conversions round each product, so that no compiler fuses one of
	// them into the addition (arm64 would), which would make Merge(a, b)
	// and Merge(b, a) differ in the last bit.
	return Stats{Max: m, Sum: float64(a.Sum*math.Exp(a.Max-m)) + float64(b.Sum*math.Exp(b.Max-m))}
}

// LogSumExp returns log Σ e^(x[i]/τ) over the parts s describes: NaN if
// they hold a NaN, +Inf if they hold a +Inf, -Inf if they have no mass.
func (s Stats) LogSumExp() float32 {
	switch s.kind() {
	case nan:
		return float32(math.NaN())
	case posInf:
		return float32(math.Inf(1))
	case empty:
		return float32(math.Inf(-1))
	}
	return float32(s.Max + math.Log(s.Sum))
}

// Normalize sets dst[i] = e^(x[i]/τ) / Σ e^(x_all/τ), where x is one part
// of the logits and total is the [Merge] of the Stats of every part (x
// included) at the same temperature. It is one pass ([lmhead.ExpMul]). If
// total holds a NaN or a +Inf or has no mass, every output is NaN, as
// [Softmax] of the whole would be.
//
// Normalize panics if len(dst) != len(x), on an invalid temperature and on
// τ == 0 (see [Partial]).
func Normalize(dst, x []float32, temperature float32, total Stats) {
	checkLen("Normalize", dst, x)
	s := scale("Normalize", temperature)
	if math.IsInf(float64(s), 1) {
		panic("softmax.Normalize: temperature=0 (or below 2⁻¹²⁸) has no Stats; use Argmax")
	}
	if len(x) == 0 {
		return
	}
	if total.kind() != finite {
		fillNaN(dst)
		return
	}
	M := total.Max
	if math.Abs(M) >= hugeShift {
		// Back to x − max(x) first, as in hugeSoftmax: M = s·max(x)
		// exactly, so M/s gives max(x) back, and d is what is left (0
		// unless total came from another temperature).
		mx := float32(M / float64(s))
		lmhead.ScaleShift(dst, x, 1, -mx)
		x, M = dst, M-float64(s)*float64(mx)
	}
	c := shiftBelow(M)
	lmhead.ExpMul(dst, x, s, c, float32(math.Exp(float64(c)-M)/total.Sum))
}

// LogNormalize sets dst[i] = x[i]/τ − log Σ e^(x_all/τ), with total as in
// [Normalize]: the part of [LogSoftmax] of the whole that falls on x, in
// one pass or two for the reason given at LogSoftmax.
//
// LogNormalize panics if len(dst) != len(x), on an invalid temperature and
// on τ == 0 (see [Partial]).
func LogNormalize(dst, x []float32, temperature float32, total Stats) {
	checkLen("LogNormalize", dst, x)
	s := scale("LogNormalize", temperature)
	if math.IsInf(float64(s), 1) {
		panic("softmax.LogNormalize: temperature=0 (or below 2⁻¹²⁸) has no Stats; use Argmax")
	}
	if len(x) == 0 {
		return
	}
	if total.kind() != finite {
		fillNaN(dst)
		return
	}
	logNormalize(dst, x, s, total)
}

// logNormalize is LogNormalize for a finite total.
func logNormalize(dst, x []float32, s float32, total Stats) {
	M := total.Max
	if math.Abs(M) >= hugeShift {
		// As in Normalize: back to x − max(x), then one rounding. But
		// every output counts here, also those far below the maximum,
		// where x − max(x) can overflow float32 (x and max(x) huge and of
		// opposite signs) while s·(x − max(x)) does not. So form the
		// difference halved: a fused (x/2 − max/2) rounds exactly like
		// x − max, halved, and cannot overflow; then scale by 2s.
		mx := float32(M / float64(s))
		d := M - float64(s)*float64(mx)
		b := -float32(d + math.Log(total.Sum))
		if s < 0x1p126 {
			lmhead.ScaleShift(dst, x, 0.5, -mx/2)
			lmhead.ScaleShift(dst, dst, 2*s, b)
		} else { // 2s would overflow; so would s·(x − max) then
			lmhead.ScaleShift(dst, x, 1, -mx)
			lmhead.ScaleShift(dst, dst, s, b)
		}
		return
	}
	logShift(dst, x, s, M, total.Sum)
}
