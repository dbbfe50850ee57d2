package fuzz

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
	"github.com/lmhead/lmhead/softmax"
)

// The softmax fuzz targets. Each input is a header of a few bytes that
// picks the offset, the temperature and how the rest decodes, then the
// values: either raw float32 bit patterns (NaN payloads, infinities,
// denormals, huge values) or one signed byte per value scaled to ±16, which
// makes realistic logits and ties easy for the fuzzer to reach.

// smTemperatures are the temperatures a header byte selects: the greedy
// limit, a denormal one (whose reciprocal overflows: the limit again),
// common ones, and one whose reciprocal is inexact.
var smTemperatures = []float32{0, math.Float32frombits(3), 0.05, 0.5, 0.7, 1, 1.5, 16}

// smDecode turns fuzz bytes into (offset, temperature, values). Header:
// byte 0 low nibble = element offset of x, bit 4 = byte decoding; byte 1
// selects the temperature (values above the table read a float32 from the
// next four bytes, its sign dropped, so any positive temperature occurs).
func smDecode(data []byte) (off int, temperature float32, x []float32, ok bool) {
	if len(data) < 2 {
		return 0, 0, nil, false
	}
	off, byteMode, sel := int(data[0]&15), data[0]&16 != 0, int(data[1])
	data = data[2:]
	if sel < len(smTemperatures) {
		temperature = smTemperatures[sel]
	} else {
		if len(data) < 4 {
			return 0, 0, nil, false
		}
		temperature = math.Float32frombits(binary.LittleEndian.Uint32(data) &^ (1 << 31))
		data = data[4:]
		if !(temperature < float32(math.Inf(1))) {
			return 0, 0, nil, false // NaN or +Inf: panics, tested elsewhere
		}
	}
	var v []float32
	if byteMode {
		v = make([]float32, len(data))
		for i, b := range data {
			v[i] = float32(int8(b)) / 8
		}
	} else {
		v = floats(data)
	}
	x = append(make([]float32, off, off+len(v)), v...)[off:]
	return off, temperature, x, true
}

// smExpect classifies x at scale s the way the softmax package promises:
// NaN anywhere → NaN; else a +Inf among s·x (a +Inf logit, or an overflow
// of the scaling) → every probability NaN, log-sum-exp +Inf; all s·x = -Inf
// → every probability NaN, log-sum-exp -Inf; else finite.
type smCase int

const (
	smFinite smCase = iota
	smNaN
	smPosInf
	smNoMass
)

func smClassify(x []float32, s float32) smCase {
	if slices.ContainsFunc(x, func(v float32) bool { return v != v }) {
		return smNaN
	}
	noMass := true
	for _, v := range x {
		y := s * v
		if math.IsInf(float64(y), 1) {
			return smPosInf
		}
		noMass = noMass && math.IsInf(float64(y), -1)
	}
	if noMass {
		return smNoMass
	}
	return smFinite
}

// smRef is the float64 softmax of x/τ for finite cases.
func smRef(x []float32, temperature float32) (p, logp, dev []float64, lse float64) {
	t := float64(temperature)
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var sum float64
	for _, v := range x {
		sum += math.Exp((float64(v) - m) / t)
	}
	ls := math.Log(sum)
	p, logp, dev = make([]float64, len(x)), make([]float64, len(x)), make([]float64, len(x))
	for i, v := range x {
		d := (float64(v) - m) / t
		p[i], logp[i], dev[i] = math.Exp(d)/sum, d-ls, math.Abs(d)
	}
	return p, logp, dev, m/t + ls
}

// smPBound and smLogBound are the package's documented bounds (see
// softmax/softmax_test.go): (|x−max|/τ + 4)·2⁻²³ relative plus the 2⁻¹²⁶
// flush for probabilities, 4 ulp + 1e-6 for logarithms.
func smPBound(p, dev float64) float64 {
	if p == 0 {
		return 0
	}
	return (dev+4)*0x1p-23*p + 0x1p-126
}

func smLogBound(v float64) float64 {
	if math.IsInf(v, 0) {
		return 0
	}
	f := float32(math.Abs(v))
	if math.IsInf(float64(f), 1) {
		return 4*0x1p104 + 1e-6 // beyond float32: the ulp of MaxFloat32
	}
	return 4*(float64(math.Nextafter32(f, float32(math.Inf(1))))-float64(f)) + 1e-6
}

// smGuarded returns dst of n elements between guard values and a check of
// them.
func smGuarded(t *testing.T, n int) (dst []float32, check func(string)) {
	const guard = -99.5
	whole := make([]float32, n+8)
	for i := range whole {
		whole[i] = guard
	}
	return whole[4 : 4+n : 4+n], func(what string) {
		t.Helper()
		if i := tu.Untouched(whole, 4, n, guard); i >= 0 {
			t.Fatalf("%s wrote outside dst at backing index %d (dst is [4, %d))", what, i, 4+n)
		}
	}
}

func smAllNaN(x []float32) bool {
	return !slices.ContainsFunc(x, func(v float32) bool { return v == v })
}

// smOrd maps float32 to integers in value order (ulp distance).
func smOrd(v float32) int64 {
	b := int64(math.Float32bits(v))
	if b&(1<<31) != 0 {
		return (1 << 31) - b
	}
	return b
}

// FuzzExp checks Exp on every ISA against the correctly rounded e^x (2 ulp
// inside [-87.33654, 88.72283], exactly +0 below, +Inf above, NaN for NaN)
// and against the generic twin (4 ulp: both within 2 of the same value).
func FuzzExp(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 128, 63, 0, 0, 128, 191})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, x, ok := smDecode(data)
		if !ok {
			return
		}
		twin := make([]float32, len(x))
		forEachISA(t, func(isa lmhead.ISA) {
			dst, check := smGuarded(t, len(x))
			lmhead.Exp(dst, x)
			check("Exp")
			if isa == lmhead.Generic {
				copy(twin, dst)
			}
			for i, v := range x {
				g := dst[i]
				switch {
				case v != v:
					if g == g {
						t.Fatalf("%v Exp(NaN) = %v", isa, g)
					}
					continue
				case v < -87.33654:
					if math.Float32bits(g) != 0 {
						t.Fatalf("%v Exp(%v) = %v, want +0 (flushed)", isa, v, g)
					}
					continue
				case v > 88.72283:
					if !math.IsInf(float64(g), 1) {
						t.Fatalf("%v Exp(%v) = %v, want +Inf", isa, v, g)
					}
					continue
				}
				want := float32(math.Exp(float64(v)))
				if d := smOrd(g) - smOrd(want); g != g || d > 2 || d < -2 {
					t.Fatalf("%v Exp(%v) (bits %#x) = %v, correctly rounded %v: %d ulp apart", isa, v, math.Float32bits(v), g, want, d)
				}
				if d := smOrd(g) - smOrd(twin[i]); d > 4 || d < -4 {
					t.Fatalf("%v Exp(%v) = %v, generic twin %v: %d ulp apart", isa, v, g, twin[i], d)
				}
			}
		})
	})
}

// checkProbs checks Softmax or Normalize output dst for x at temperature
// against the float64 reference and the generic twin, or all NaN.
func checkProbs(t *testing.T, what string, isa lmhead.ISA, dst, twin, x []float32, temperature float32) {
	t.Helper()
	if len(x) == 0 {
		return
	}
	s := 1 / temperature
	if math.IsInf(float64(s), 1) {
		i := lmhead.Argmax(x)
		if v := x[i]; v != v || math.IsInf(float64(v), 0) {
			if !smAllNaN(dst) {
				t.Fatalf("%v %s τ=%v: %v, want all NaN (τ=0, max %v)", isa, what, temperature, dst, v)
			}
			return
		}
		for j, v := range dst {
			if j == i && v != 1 || j != i && v != 0 {
				t.Fatalf("%v %s τ=%v: [%d]=%v, want one-hot at %d", isa, what, temperature, j, v, i)
			}
		}
		return
	}
	if smClassify(x, s) != smFinite {
		if !smAllNaN(dst) {
			t.Fatalf("%v %s τ=%v x=%v: %v, want all NaN", isa, what, temperature, x, dst)
		}
		return
	}
	p, _, dev, _ := smRef(x, temperature)
	var sum float64
	for i := range x {
		b := smPBound(p[i], dev[i])
		if !tu.Close(dst[i], p[i], b) {
			t.Fatalf("%v %s τ=%v: p[%d]=%v, want %v ± %v (x[i]=%v)", isa, what, temperature, i, dst[i], p[i], b, x[i])
		}
		if !tu.Close(dst[i], float64(twin[i]), 2*b) {
			t.Fatalf("%v %s τ=%v: p[%d]=%v, generic twin %v (bound %v)", isa, what, temperature, i, dst[i], twin[i], 2*b)
		}
		sum += float64(dst[i])
	}
	if math.Abs(sum-1) > 1e-6 {
		t.Fatalf("%v %s τ=%v: Σp = %v", isa, what, temperature, sum)
	}
}

// checkLogProbs is checkProbs for LogSoftmax and LogNormalize.
func checkLogProbs(t *testing.T, what string, isa lmhead.ISA, dst, twin, x []float32, temperature float32) {
	t.Helper()
	if len(x) == 0 {
		return
	}
	s := 1 / temperature
	if math.IsInf(float64(s), 1) {
		i := lmhead.Argmax(x)
		if v := x[i]; v != v || math.IsInf(float64(v), 0) {
			if !smAllNaN(dst) {
				t.Fatalf("%v %s τ=%v: %v, want all NaN", isa, what, temperature, dst)
			}
			return
		}
		for j, v := range dst {
			if j == i && v != 0 || j != i && !math.IsInf(float64(v), -1) {
				t.Fatalf("%v %s τ=%v: [%d]=%v, want 0 at %d and -Inf elsewhere", isa, what, temperature, j, v, i)
			}
		}
		return
	}
	if smClassify(x, s) != smFinite {
		if !smAllNaN(dst) {
			t.Fatalf("%v %s τ=%v: %v, want all NaN", isa, what, temperature, dst)
		}
		return
	}
	_, logp, _, _ := smRef(x, temperature)
	for i := range x {
		b := smLogBound(logp[i])
		if !tu.Close(dst[i], logp[i], b) {
			t.Fatalf("%v %s τ=%v: [%d]=%v, want %v ± %v (x[i]=%v)", isa, what, temperature, i, dst[i], logp[i], b, x[i])
		}
		if !tu.Close(dst[i], float64(twin[i]), 2*b) {
			t.Fatalf("%v %s τ=%v: [%d]=%v, generic twin %v", isa, what, temperature, i, dst[i], twin[i])
		}
	}
}

// checkLSE checks a log-sum-exp of x at a positive temperature.
func checkLSE(t *testing.T, what string, isa lmhead.ISA, got float32, x []float32, temperature float32) {
	t.Helper()
	var want float64
	switch smClassify(x, 1/temperature) {
	case smNaN:
		want = math.NaN()
	case smPosInf:
		want = math.Inf(1)
	case smNoMass:
		want = math.Inf(-1)
	default:
		_, _, _, want = smRef(x, temperature)
	}
	if len(x) == 0 {
		want = math.Inf(-1)
	}
	if !tu.Close(got, want, smLogBound(want)) {
		t.Fatalf("%v %s τ=%v: %v, want %v ± %v", isa, what, temperature, got, want, smLogBound(want))
	}
}

// FuzzSoftmax checks Softmax on every ISA. Fuzz inputs are far below the
// AVX-512 crossover, so this is the three-pass in-cache algorithm; the
// two-pass one (Partial then Normalize) is what FuzzStatsMerge runs.
func FuzzSoftmax(f *testing.F) {
	f.Add([]byte{16, 5, 8, 16, 250, 0, 127, 128})
	f.Add([]byte{3, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 192, 127})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, temperature, x, ok := smDecode(data)
		if !ok {
			return
		}
		twin := make([]float32, len(x))
		forEachISA(t, func(isa lmhead.ISA) {
			dst, check := smGuarded(t, len(x))
			softmax.Softmax(dst, x, temperature)
			check("Softmax")
			if isa == lmhead.Generic {
				copy(twin, dst)
			}
			checkProbs(t, "Softmax", isa, dst, twin, x, temperature)
			// In place gives the same as out of place.
			y := slices.Clone(x)
			softmax.Softmax(y, y, temperature)
			for i := range y {
				if math.Float32bits(y[i]) != math.Float32bits(dst[i]) && !(y[i] != y[i] && dst[i] != dst[i]) {
					t.Fatalf("%v Softmax in place [%d]=%v, out of place %v", isa, i, y[i], dst[i])
				}
			}
		})
	})
}

// FuzzLogSoftmax checks LogSoftmax and LogSumExp on every ISA.
func FuzzLogSoftmax(f *testing.F) {
	f.Add([]byte{16, 5, 8, 16, 250, 0, 127, 128})
	f.Add([]byte{3, 3, 0, 0, 128, 255, 0, 0, 0, 64, 0, 0, 128, 127})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, temperature, x, ok := smDecode(data)
		if !ok {
			return
		}
		twin := make([]float32, len(x))
		forEachISA(t, func(isa lmhead.ISA) {
			dst, check := smGuarded(t, len(x))
			softmax.LogSoftmax(dst, x, temperature)
			check("LogSoftmax")
			if isa == lmhead.Generic {
				copy(twin, dst)
			}
			checkLogProbs(t, "LogSoftmax", isa, dst, twin, x, temperature)
			if temperature > 0 && !math.IsInf(float64(1/temperature), 1) {
				checkLSE(t, "LogSumExp", isa, softmax.LogSumExp(x, temperature), x, temperature)
			}
		})
	})
}

// FuzzStatsMerge splits x at fuzzed points (byte 2 gives the number of
// parts, the next bytes the cut points), merges the parts' Stats in the
// given order and reversed, and checks the log-sum-exp, Normalize and
// LogNormalize of every part against the unsplit float64 reference, and
// that Merge is commutative bit for bit.
func FuzzStatsMerge(f *testing.F) {
	f.Add([]byte{16, 5, 3, 4, 9, 8, 16, 250, 0, 127, 128, 1, 2, 3, 4, 5, 6, 7})
	f.Add([]byte{0, 5, 2, 1, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 128, 255})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		k := 1 + int(data[2]%8)
		if len(data) < 3+k {
			return
		}
		cutBytes := data[3 : 3+k]
		_, temperature, x, ok := smDecode(append(data[:2:2], data[3+k:]...))
		if !ok || temperature == 0 || math.IsInf(float64(1/temperature), 1) {
			return
		}
		n := len(x)
		cuts := []int{0, n}
		for _, b := range cutBytes[1:] {
			cuts = append(cuts, int(b)%(n+1))
		}
		slices.Sort(cuts)
		forEachISA(t, func(isa lmhead.ISA) {
			var fwd, rev softmax.Stats
			parts := make([]softmax.Stats, len(cuts)-1)
			for i := range parts {
				parts[i] = softmax.Partial(x[cuts[i]:cuts[i+1]], temperature)
				fwd = softmax.Merge(fwd, parts[i])
			}
			for i := len(parts) - 1; i >= 0; i-- {
				rev = softmax.Merge(parts[i], rev)
			}
			for i, a := range parts {
				for _, b := range parts[i:] {
					ab, ba := softmax.Merge(a, b), softmax.Merge(b, a)
					if math.Float64bits(ab.Max) != math.Float64bits(ba.Max) || math.Float64bits(ab.Sum) != math.Float64bits(ba.Sum) {
						if !(ab.Sum != ab.Sum && ba.Sum != ba.Sum) {
							t.Fatalf("%v Merge(%+v, %+v) = %+v, reversed %+v", isa, a, b, ab, ba)
						}
					}
				}
			}
			checkLSE(t, "merged LogSumExp", isa, fwd.LogSumExp(), x, temperature)
			checkLSE(t, "reverse-merged LogSumExp", isa, rev.LogSumExp(), x, temperature)

			// Normalizing each part with the total equals Softmax of
			// the whole, which the twin check compares against.
			whole := make([]float32, n)
			softmax.Softmax(whole, x, temperature)
			dst := make([]float32, n)
			for i := 0; i+1 < len(cuts); i++ {
				softmax.Normalize(dst[cuts[i]:cuts[i+1]], x[cuts[i]:cuts[i+1]], temperature, fwd)
			}
			checkProbs(t, "Normalize", isa, dst, whole, x, temperature)
			softmax.LogSoftmax(whole, x, temperature)
			for i := 0; i+1 < len(cuts); i++ {
				softmax.LogNormalize(dst[cuts[i]:cuts[i+1]], x[cuts[i]:cuts[i+1]], temperature, rev)
			}
			checkLogProbs(t, "LogNormalize", isa, dst, whole, x, temperature)
		})
	})
}
