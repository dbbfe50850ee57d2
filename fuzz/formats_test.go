package fuzz

import (
	"math"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// FuzzFormatGemv runs every weight format's Gemv on every level against
// the float64 reference over the exactly decoded weights and against the
// generic twin. Byte 0 picks the format, byte 1 the row count (1..8, or
// 33 and 40, where the amd64 Gemv copies an unaligned x to an aligned
// buffer), byte 2 the start offset of the weights (0..63), byte 3 the
// number of blocks per row (1..40 for the 32-blocks, whose AVX-512 kernels
// take the scales of a full chunk of 16 blocks by permutes and of a short
// one by a gather; 1..2 for the K-quants, 1..300 for F32/F16/BF16); the rest, cycled, are first x's float32 bit patterns
// and then the weight bytes. Every byte pattern of a block is a valid code,
// so scales reach NaN, ±Inf and subnormals.
func FuzzFormatGemv(f *testing.F) {
	for fm := range lmhead.Formats() {
		f.Add([]byte{byte(fm), 3, 5, 2, 0, 0, 128, 63, 0, 0, 0, 64, 1, 2, 3, 0x7c, 0x3c, 200, 17})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 8 {
			return
		}
		formats := lmhead.Formats()
		fm := formats[int(data[0])%len(formats)]
		rows := []int{1, 2, 3, 4, 5, 6, 7, 8, 33, 40}[int(data[1])%10]
		off := int(data[2] % 64)
		blocks := 1 + int(data[3])%map[int]int{1: 300, 32: 40, 256: 2}[fm.BlockSize()]
		cols := blocks * fm.BlockSize()
		rb, _ := fm.RowBytes(cols)
		src := data[4:]
		next := 0
		byteAt := func() byte { b := src[next%len(src)]; next++; return b }
		x := make([]float32, cols)
		for i := range x {
			x[i] = math.Float32frombits(uint32(byteAt()) | uint32(byteAt())<<8 | uint32(byteAt())<<16 | uint32(byteAt())<<24)
		}
		w := tu.AlignedBytes(rows*rb, off)
		for i := range w {
			w[i] = byteAt()
		}
		m, err := lmhead.NewMatrix(fm, rows, cols, w)
		if err != nil {
			t.Fatal(err)
		}
		twin := make([]float32, rows)
		dst := make([]float32, rows+2)
		forEachISA(t, func(isa lmhead.ISA) {
			guard := float32(-7.25)
			dst[0], dst[rows+1] = guard, guard
			m.Gemv(dst[1:rows+1], x)
			if dst[0] != guard || dst[rows+1] != guard {
				t.Fatalf("%v %v Gemv %dx%d wrote outside dst", isa, fm, rows, cols)
			}
			if isa == lmhead.Generic {
				copy(twin, dst[1:])
			}
			for i := 0; i < rows; i++ {
				checkFormatRow(t, isa, fm, dst[1+i], twin[i], w[i*rb:(i+1)*rb], x)
			}
		})
	})
}

// checkFormatRow checks one output of a format Gemv: NaN where the
// reference is NaN; within the bound of the reference and of the twin
// unless some order of summation could overflow (then IEEE arithmetic makes
// the result depend on the order, and only NaN propagation is checked).
func checkFormatRow(t *testing.T, isa lmhead.ISA, fm lmhead.Format, got, twin float32, row []byte, x []float32) {
	t.Helper()
	ref, bound := tu.RefGemvRow(fm, row, x)
	if math.IsNaN(ref) {
		if !math.IsNaN(float64(got)) {
			t.Fatalf("%v %v n=%d: got %v, want NaN", isa, fm, len(x), got)
		}
		return
	}
	w, mag := tu.RefDecode(fm, row)
	var abs float64
	for i := range x {
		abs += mag[i] * math.Abs(float64(x[i]))
		if math.IsInf(w[i]*float64(x[i]), 0) {
			abs = math.Inf(1)
		}
	}
	if abs >= math.MaxFloat32*(1-1.0/(1<<20)) || math.IsNaN(abs) {
		return
	}
	if !tu.Close(got, ref, bound) {
		t.Fatalf("%v %v n=%d: got %v, float64 ref %v ± %v", isa, fm, len(x), got, ref, bound)
	}
	if !tu.Close(got, float64(twin), 2*bound) {
		t.Fatalf("%v %v n=%d: got %v, generic twin %v (bound %v)", isa, fm, len(x), got, twin, bound)
	}
}

// FuzzDequantize decodes rows of every weight format on every level and
// checks them against the generic twin bit for bit (NaN payloads aside:
// NaN for NaN) and against testutil.RefDecode, the float64 decoder written
// from the block specifications, within one float32 rounding of each
// term's magnitude. Byte 0 picks the format, byte 1 the row count (1..4),
// byte 2 the first row decoded and byte 3 the start offset of the weights
// (0..63), byte 4 the blocks per row as in FuzzFormatGemv; the rest,
// cycled, are the weight bytes. dst has guard values on both sides.
func FuzzDequantize(f *testing.F) {
	for fm := range lmhead.Formats() {
		f.Add([]byte{byte(fm), 3, 1, 7, 2, 0x7c, 0x3c, 200, 17, 0, 0x80, 0xff, 0x7e, 1})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 6 {
			return
		}
		formats := lmhead.Formats()
		fm := formats[int(data[0])%len(formats)]
		rows := 1 + int(data[1]%4)
		lo := int(data[2]) % rows
		off := int(data[3] % 64)
		blocks := 1 + int(data[4])%map[int]int{1: 300, 32: 9, 256: 2}[fm.BlockSize()]
		cols := blocks * fm.BlockSize()
		rb, _ := fm.RowBytes(cols)
		src := data[5:]
		w := tu.AlignedBytes(rows*rb, off)
		for i := range w {
			w[i] = src[i%len(src)]
		}
		m, err := lmhead.NewMatrix(fm, rows, cols, w)
		if err != nil {
			t.Fatal(err)
		}
		n := (rows - lo) * cols
		twin := make([]float32, n)
		dst := make([]float32, n+2)
		const guard = float32(-7.25)
		forEachISA(t, func(isa lmhead.ISA) {
			dst[0], dst[n+1] = guard, guard
			got := m.Dequantize(dst[1:], lo, rows)
			if len(got) != n || dst[0] != guard || dst[n+1] != guard {
				t.Fatalf("%v %v Dequantize rows [%d:%d]: len %d (want %d) or wrote outside dst", isa, fm, lo, rows, len(got), n)
			}
			if isa == lmhead.Generic {
				copy(twin, got)
			}
			for i, v := range got {
				tv := twin[i]
				if v != tv && !(v != v && tv != tv) || math.Signbit(float64(v)) != math.Signbit(float64(tv)) && v == v {
					t.Fatalf("%v %v element %d: %v (%#x), generic twin %v (%#x)", isa, fm, i, v, math.Float32bits(v), tv, math.Float32bits(tv))
				}
			}
			for r := lo; r < rows; r++ {
				ref, mag := tu.RefDecode(fm, w[r*rb:(r+1)*rb])
				for c, want := range ref {
					v := float64(got[(r-lo)*cols+c])
					switch {
					case math.IsNaN(want):
						if !math.IsNaN(v) {
							t.Fatalf("%v %v row %d col %d: %v, want NaN", isa, fm, r, c, v)
						}
					case math.IsInf(want, 0) || math.IsInf(mag[c], 0):
						// An infinite scale times a zero code is NaN in
						// float32 and in the reference alike; otherwise the
						// sign of the infinity must agree.
						if math.IsInf(want, 0) && v != want {
							t.Fatalf("%v %v row %d col %d: %v, want %v", isa, fm, r, c, v, want)
						}
					default:
						if math.Abs(v-want) > 0x1p-22*mag[c]+0x1p-149 {
							t.Fatalf("%v %v row %d col %d: %v, spec decoder %v (magnitude %v)", isa, fm, r, c, v, want, mag[c])
						}
					}
				}
			}
		})
	})
}
