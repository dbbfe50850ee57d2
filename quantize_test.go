package lmhead_test

import (
	"math"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// refHalfRound rounds v to the nearest binary16 by searching the decoded
// halves: the nearest of the two neighbours, ties to the even code.
func refHalfRound(v float32) uint16 {
	if math.IsInf(float64(v), 0) || math.Abs(float64(v)) >= 65520 { // 65520 = 65504 + half an ulp: rounds to Inf
		return uint16(math.Float32bits(v)>>16)&0x8000 | 0x7c00
	}
	sign := uint16(0)
	if math.Signbit(float64(v)) {
		sign = 0x8000
	}
	a := math.Abs(float64(v))
	lo, hi := 0, 0x7bff // binary search the largest code ≤ a
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if tu.RefHalf(uint16(mid)) <= a {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	c := lo
	if c < 0x7bff {
		dl, dh := a-tu.RefHalf(uint16(c)), tu.RefHalf(uint16(c+1))-a
		if dh < dl || (dh == dl && c&1 == 1) {
			c++
		}
	}
	return sign | uint16(c)
}

// TestFloat32ToHalf checks every half round-trips, and random float32s of
// every magnitude (subnormal halves, overflow) round to the nearest.
func TestFloat32ToHalf(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		if h&0x7c00 == 0x7c00 && h&0x3ff != 0 {
			if got := lmhead.Float32ToHalf(lmhead.HalfToFloat32(uint16(h))); got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
				t.Fatalf("NaN %#04x → %#04x, want a NaN", h, got)
			}
			continue
		}
		if got := lmhead.Float32ToHalf(lmhead.HalfToFloat32(uint16(h))); got != uint16(h) {
			t.Fatalf("half %#04x round-trips to %#04x", h, got)
		}
	}
	r := tu.Rand(90)
	for i := 0; i < 200000; i++ {
		v := math.Float32frombits(r.Uint32()&0x807fffff | uint32(90+r.IntN(65))<<23) // 2^-37 .. 2^27
		if got, want := lmhead.Float32ToHalf(v), refHalfRound(v); got != want {
			t.Fatalf("Float32ToHalf(%v) = %#04x, want %#04x", v, got, want)
		}
	}
}

// TestQuantizeRoundTrip checks that Quantize gives valid blocks that decode
// (through the independent reference decoder) to within each format's
// step of the input.
func TestQuantizeRoundTrip(t *testing.T) {
	r := tu.Rand(91)
	rows, cols := 7, 512
	src := make([]float32, rows*cols)
	tu.Fill(r, src)
	src[5] = 0
	for _, c := range []struct {
		f   lmhead.Format
		tol float64 // of the largest |x| of the row
	}{
		{lmhead.F32, 0}, {lmhead.F16, 1.0 / 2048}, {lmhead.BF16, 1.0 / 256},
		{lmhead.Q8_0, (0.5 + 127.0/2048) / 127}, {lmhead.Q4_0, 1.0 / 8 * 1.01}, // d rounds to a half: up to 127·d·2⁻¹¹ more; Q4_0 clamps +8 to 7
		{lmhead.Q4_K, 2.0 / 15}, {lmhead.Q6_K, 1.1 / 32}, // the int8 sub-block scales round too
	} {
		m, err := lmhead.Quantize(c.f, src, rows, cols)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := tu.RefDecode(c.f, m.Bytes())
		for i, v := range src {
			if d := math.Abs(w[i] - float64(v)); d > c.tol {
				t.Fatalf("%v: weight %d: %v decodes to %v (|diff| %v > %v)", c.f, i, v, w[i], d, c.tol)
			}
		}
	}
	if _, err := lmhead.Quantize(lmhead.Q8_0, []float32{float32(math.NaN())}, 1, 1); err == nil {
		t.Error("Quantize of 1 column into Q8_0 succeeded")
	}
	nan := make([]float32, 32)
	nan[3] = float32(math.Inf(1))
	if _, err := lmhead.Quantize(lmhead.Q8_0, nan, 1, 32); err == nil {
		t.Error("Quantize of +Inf into Q8_0 succeeded")
	}
}
