package fuzz

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// floats decodes b as little-endian float32 bit patterns, so that the
// fuzzer reaches NaN payloads, infinities and denormals as easily as
// ordinary numbers. A trailing partial word is dropped.
func floats(b []byte) []float32 {
	s := make([]float32, len(b)/4)
	for i := range s {
		s[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return s
}

// mayOverflow reports whether a float32 sum of the finite products a[i]·b[i]
// can overflow in some order; then only NaN propagation is checked, since
// IEEE arithmetic makes the result depend on the order.
func mayOverflow(a, b []float32) bool {
	var abs float64
	for i := range a {
		p := math.Abs(float64(a[i]) * float64(b[i]))
		if !math.IsInf(p, 0) && !math.IsNaN(p) {
			abs += p
		}
	}
	return abs >= math.MaxFloat32*(1-1.0/(1<<20))
}

// checkDot checks one result of Dot(a, b), or of one Gemv row.
func checkDot(t *testing.T, what string, isa lmhead.ISA, got, twin float32, a, b []float32) {
	t.Helper()
	ref, bound := tu.DotRef(a, b)
	if math.IsNaN(ref) && !math.IsNaN(float64(got)) {
		t.Fatalf("%v %s n=%d: got %v, want NaN", isa, what, len(a), got)
	}
	if mayOverflow(a, b) {
		return
	}
	if !tu.Close(got, ref, bound) {
		t.Fatalf("%v %s n=%d: got %v, float64 ref %v ± %v", isa, what, len(a), got, ref, bound)
	}
	// Both within the bound of the reference: within twice it of each other.
	if !tu.Close(got, float64(twin), 2*bound) {
		t.Fatalf("%v %s n=%d: got %v, generic twin %v (bound %v)", isa, what, len(a), got, twin, bound)
	}
}

// forEachISA runs f on every supported level, generic last, so f can keep
// the generic result as the twin to compare against.
func forEachISA(t *testing.T, f func(isa lmhead.ISA)) {
	prev := lmhead.Active()
	defer func() { _ = lmhead.Use(prev) }()
	if err := lmhead.Use(lmhead.Generic); err != nil {
		t.Fatal(err)
	}
	f(lmhead.Generic)
	for _, isa := range lmhead.Supported() {
		if isa == lmhead.Generic {
			continue
		}
		if err := lmhead.Use(isa); err != nil {
			t.Fatal(err)
		}
		f(isa)
	}
}

// FuzzDot: the first byte is a start offset (0..15) for a, the rest split
// into a and b.
func FuzzDot(f *testing.F) {
	f.Add([]byte{0, 0, 0, 128, 63, 0, 0, 0, 64})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		off := int(data[0] % 16)
		v := floats(data[1:])
		n := len(v) / 2
		a := append(make([]float32, off), v[:n]...)[off:]
		b := v[n : 2*n]
		var twin float32
		forEachISA(t, func(isa lmhead.ISA) {
			got := lmhead.Dot(a, b)
			if isa == lmhead.Generic {
				twin = got
			}
			checkDot(t, "Dot", isa, got, twin, a, b)
		})
	})
}

// FuzzGemv: byte 0 picks the row count (0..15), byte 1 an offset for W; the
// rest are the values, x first and then W, cycled to fill rows·cols.
func FuzzGemv(f *testing.F) {
	f.Add([]byte{3, 1, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		rows, off := int(data[0]%16), int(data[1]%16)
		v := floats(data[2:])
		cols := len(v) / (rows + 1)
		if rows == 0 {
			cols = len(v)
		}
		x := v[:cols]
		w := append(make([]float32, off), v[cols:cols+rows*cols]...)[off:]
		twin := make([]float32, rows)
		dst := make([]float32, rows+2)
		forEachISA(t, func(isa lmhead.ISA) {
			guard := float32(-7.25)
			dst[0], dst[rows+1] = guard, guard
			lmhead.Gemv(dst[1:rows+1], w, x)
			if dst[0] != guard || dst[rows+1] != guard {
				t.Fatalf("%v Gemv %dx%d wrote outside dst", isa, rows, cols)
			}
			if isa == lmhead.Generic {
				copy(twin, dst[1:])
			}
			for i := 0; i < rows; i++ {
				checkDot(t, "Gemv row", isa, dst[1+i], twin[i], w[i*cols:(i+1)*cols], x)
			}
		})
	})
}

// FuzzSumWhereIn: byte 0 is a start offset (0..15) for z, bytes 1..8 the
// bounds lo and hi as float32 bit patterns, byte 9 picks the key's scale
// and shift, the rest split into e and z. The reference selects on
// ScaleShift's keys (of the same level: the two must round alike).
func FuzzSumWhereIn(f *testing.F) {
	f.Add([]byte{1, 0, 0, 128, 191, 0, 0, 128, 63, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 63})
	f.Add([]byte{3, 0, 0, 0, 0, 0, 0, 128, 127, 2, 0, 0, 128, 63, 0, 0, 192, 127, 0, 0, 0, 1, 0, 0, 128, 255, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 10 {
			return
		}
		off := int(data[0] % 16)
		lo := math.Float32frombits(binary.LittleEndian.Uint32(data[1:]))
		hi := math.Float32frombits(binary.LittleEndian.Uint32(data[5:]))
		sb := [][2]float32{{1, 0}, {0.5, -1}, {-1.25, 3}, {1.0 / 3, 0.1}}[data[9]%4]
		v := floats(data[10:])
		n := len(v) / 2
		e := v[:n]
		z := append(make([]float32, off), v[n:2*n]...)[off:]
		y := make([]float32, n)
		var twin float64
		forEachISA(t, func(isa lmhead.ISA) {
			lmhead.ScaleShift(y, z, sb[0], sb[1])
			ref, abs := 0.0, 0.0
			for i, yi := range y {
				if lo <= yi && yi <= hi {
					ref += float64(e[i])
					abs += math.Abs(float64(e[i]))
				}
			}
			bound := 8 * abs / (1 << 24)
			got := lmhead.SumWhereIn(e, z, sb[0], sb[1], lo, hi)
			if isa == lmhead.Generic {
				twin = got
			}
			if math.IsNaN(ref) || math.IsInf(ref, 0) || abs >= math.MaxFloat32*(1-1.0/(1<<20)) {
				// An infinite or NaN term, or float32 partials that may
				// overflow: only a NaN must stay NaN.
				if math.IsNaN(ref) && !math.IsNaN(got) {
					t.Fatalf("%v SumWhereIn n=%d: got %v, want NaN", isa, n, got)
				}
				return
			}
			if math.Abs(got-ref) > bound || math.Abs(got-twin) > 2*bound {
				t.Fatalf("%v SumWhereIn n=%d [%v, %v]: got %v, float64 ref %v ± %v, twin %v", isa, n, lo, hi, got, ref, bound, twin)
			}
		})
	})
}
