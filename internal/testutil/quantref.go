package testutil

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"unsafe"

	"github.com/lmhead/lmhead"
)

// The reference decoders of the weight formats, written from the block
// layouts (ggml-common.h) and ggml-quants.c's dequantize_row_* in float64,
// independently of the library's decoders: they are the witness that
// Dequantize and every Gemv are checked against. The ggml-written fixtures
// in testdata/gguf are the witness for these.

// RefHalf decodes an IEEE binary16 from its fields: (−1)^s·2^(e−15)·(1+m/2¹⁰)
// for normal numbers, (−1)^s·2⁻¹⁴·m/2¹⁰ for subnormals.
func RefHalf(h uint16) float64 {
	s, e, m := h>>15, int(h>>10&0x1f), float64(h&0x3ff)
	var v float64
	switch {
	case e == 0x1f && m == 0:
		v = math.Inf(1)
	case e == 0x1f:
		return math.NaN()
	case e == 0:
		v = math.Ldexp(m/1024, -14)
	default:
		v = math.Ldexp(1+m/1024, e-15)
	}
	if s == 1 {
		v = -v
	}
	return v
}

// RefBF16 decodes a bfloat16: the top half of a binary32's bits.
func RefBF16(h uint16) float64 { return float64(math.Float32frombits(uint32(h) << 16)) }

// RefDecode decodes the blocks of b (whole blocks of format f) and returns
// every weight exactly as ggml decodes it, and the magnitude that each
// weight's product with x contributes to the error bound. The magnitude is
// |w| for every format but Q4_K, whose weight d·sc·q − dmin·m is computed
// by the vector kernels as the two products' difference: its magnitude is
// |d·sc·q| + |dmin·m|.
func RefDecode(f lmhead.Format, b []byte) (w, mag []float64) {
	le := binary.LittleEndian
	add := func(v, m float64) { w = append(w, v); mag = append(mag, m) }
	abs := math.Abs
	switch f {
	case lmhead.F32:
		for i := 0; i+4 <= len(b); i += 4 {
			v := float64(math.Float32frombits(le.Uint32(b[i:])))
			add(v, abs(v))
		}
	case lmhead.F16:
		for i := 0; i+2 <= len(b); i += 2 {
			v := RefHalf(le.Uint16(b[i:]))
			add(v, abs(v))
		}
	case lmhead.BF16:
		for i := 0; i+2 <= len(b); i += 2 {
			v := RefBF16(le.Uint16(b[i:]))
			add(v, abs(v))
		}
	case lmhead.Q8_0:
		for ; len(b) >= 34; b = b[34:] {
			d := RefHalf(le.Uint16(b))
			for j := 0; j < 32; j++ {
				v := d * float64(int8(b[2+j]))
				add(v, abs(v))
			}
		}
	case lmhead.Q4_0:
		for ; len(b) >= 18; b = b[18:] {
			d := RefHalf(le.Uint16(b))
			var q [32]int
			for j := 0; j < 16; j++ {
				q[j], q[j+16] = int(b[2+j]&15)-8, int(b[2+j]>>4)-8
			}
			for _, qj := range q {
				v := d * float64(qj)
				add(v, abs(v))
			}
		}
	case lmhead.Q4_K:
		for ; len(b) >= 144; b = b[144:] {
			d, dmin := RefHalf(le.Uint16(b)), RefHalf(le.Uint16(b[2:]))
			sc := b[4:16]
			for sub := 0; sub < 8; sub++ {
				// get_scale_min_k4: 6-bit scale and min; sub-blocks 4..7
				// keep their top two bits in the top of bytes 0..7.
				var s, m int
				if sub < 4 {
					s, m = int(sc[sub]&63), int(sc[sub+4]&63)
				} else {
					s = int(sc[sub+4]&15) + int(sc[sub-4]>>6)*16
					m = int(sc[sub+4]>>4) + int(sc[sub]>>6)*16
				}
				d1, m1 := float64(float32(d*float64(s))), float64(float32(dmin*float64(m)))
				qs := b[16+32*(sub/2):][:32]
				for l := 0; l < 32; l++ {
					q := int(qs[l] & 15)
					if sub%2 == 1 {
						q = int(qs[l] >> 4)
					}
					v := float64(float32(d1*float64(q) - m1))
					add(v, abs(d1*float64(q))+abs(m1))
				}
			}
		}
	case lmhead.Q6_K:
		for ; len(b) >= 210; b = b[210:] {
			d := RefHalf(le.Uint16(b[208:]))
			// Weight k of the block (0..255): half h = k/128, r = k%128,
			// l = r%32, quarter = r/32; its low nibble is in ql[64h + l +
			// 32·(quarter%2)], high nibble for quarters 2 and 3; its top
			// two bits are bits 2·quarter of qh[32h + l]; its scale is
			// scales[8h + r/16].
			for k := 0; k < 256; k++ {
				h, r := k/128, k%128
				l, quarter := r%32, r/32
				lo := b[64*h+l+32*(quarter%2)]
				nib := int(lo & 15)
				if quarter >= 2 {
					nib = int(lo >> 4)
				}
				top := int(b[128+32*h+l]>>(2*quarter)) & 3
				q := nib + 16*top - 32
				s := float64(int8(b[192+8*h+r/16]))
				v := d * s * float64(q)
				add(v, abs(v))
			}
		}
	}
	return w, mag
}

// RefGemvRow returns the float64 dot product of one row's decoded weights
// with x, and the error bound a kernel must meet: DotRef's bound with
// RefDecode's magnitudes.
func RefGemvRow(f lmhead.Format, row []byte, x []float32) (ref, bound float64) {
	w, mag := RefDecode(f, row)
	var abs float64
	for i, xi := range x {
		ref += w[i] * float64(xi)
		abs += mag[i] * math.Abs(float64(xi))
	}
	n := float64(len(x))
	return ref, (n+8)*Unit*abs + n*MinDenormal
}

// RandScale returns a random binary16 block scale between 2⁻¹² and 2⁴ in
// magnitude, of either sign: realistic scales of either sign, and all of
// their products with the quants finite.
func RandScale(r *rand.Rand) uint16 {
	e := uint16(3 + r.IntN(16)) // biased exponent: 2^(e-15)
	return uint16(r.IntN(2))<<15 | e<<10 | uint16(r.IntN(1024))
}

// RandRows returns rows random rows of cols weights of format f: random
// quants and scale bytes (all valid codes), with every binary16 scale from
// RandScale; F32 weights are uniform in [-1, 1), F16 ones random finite bit
// patterns (subnormals to ±65504), BF16 ones truncated uniform values with
// some subnormals.
func RandRows(r *rand.Rand, f lmhead.Format, rows, cols int) []byte {
	rb, err := f.RowBytes(cols)
	if err != nil {
		panic(err)
	}
	b := make([]byte, rows*rb)
	FillRows(r, f, b)
	return b
}

// FillRows fills b, whole blocks of format f, as RandRows does.
func FillRows(r *rand.Rand, f lmhead.Format, b []byte) {
	le := binary.LittleEndian
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	switch f {
	case lmhead.F32:
		for i := 0; i+4 <= len(b); i += 4 {
			le.PutUint32(b[i:], math.Float32bits(2*r.Float32()-1))
		}
	case lmhead.F16:
		for i := 0; i+2 <= len(b); i += 2 {
			if b[i+1]&0x7c == 0x7c { // exponent 31: Inf or NaN
				b[i+1] &^= 0x40
			}
		}
	case lmhead.BF16:
		// The top halves of uniform values in [-1, 1), and every 16th a
		// random subnormal.
		for i := 0; i+2 <= len(b); i += 2 {
			v := uint16(math.Float32bits(2*r.Float32()-1) >> 16)
			if i%32 == 0 {
				v = uint16(r.Uint32()) & 0x807f
			}
			le.PutUint16(b[i:], v)
		}
	case lmhead.Q8_0:
		for i := 0; i+34 <= len(b); i += 34 {
			le.PutUint16(b[i:], RandScale(r))
		}
	case lmhead.Q4_0:
		for i := 0; i+18 <= len(b); i += 18 {
			le.PutUint16(b[i:], RandScale(r))
		}
	case lmhead.Q4_K:
		for i := 0; i+144 <= len(b); i += 144 {
			le.PutUint16(b[i:], RandScale(r))
			le.PutUint16(b[i+2:], RandScale(r))
		}
	case lmhead.Q6_K:
		for i := 0; i+210 <= len(b); i += 210 {
			le.PutUint16(b[i+208:], RandScale(r))
		}
	}
}

// ScaleOffsets returns the byte offsets, within one block of format f, of
// the binary16 scales (d, and dmin for Q4_K); none for F32, F16, BF16.
func ScaleOffsets(f lmhead.Format) []int {
	switch f {
	case lmhead.Q8_0, lmhead.Q4_0:
		return []int{0}
	case lmhead.Q4_K:
		return []int{0, 2}
	case lmhead.Q6_K:
		return []int{208}
	}
	return nil
}

// AlignedBytes returns n zero bytes that start at off mod 64 (a cache line):
// the weight-format tests and benchmarks place matrices at 0, 32 and odd
// offsets with it.
func AlignedBytes(n, off int) []byte {
	buf := make([]byte, n+off+64)
	start := (64 - int(uintptr(unsafe.Pointer(unsafe.SliceData(buf)))%64)) % 64
	return buf[start+off : start+off+n : start+off+n]
}
