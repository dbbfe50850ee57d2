package lmhead

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Quantize encodes src, a rows×cols row-major float32 matrix, in format f
// and returns the Matrix over the new bytes. It is round-to-nearest
// quantization after ggml's quantize_row_*_ref (ggml-quants.c): Q8_0 and
// Q4_0 exactly as ggml's reference, the K-quants with the same block
// layouts and scale packing but a simple min/max choice of each
// sub-block's scale (ggml searches for the scale that minimizes the
// squared error, make_qkx2_quants; lmhead does not need the best
// quantization, only a valid one: it serves the demo, tests and
// benchmarks). F16 and BF16 round to nearest even.
//
// It returns an error if the sizes disagree, cols is not a multiple of
// f's block size, or src holds a NaN or an infinity in a quantized format.
func Quantize(f Format, src []float32, rows, cols int) (Matrix, error) {
	rb, err := f.RowBytes(cols)
	if err != nil {
		return Matrix{}, fmt.Errorf("lmhead.Quantize: %w", err)
	}
	if rows < 0 || len(src) != rows*cols {
		return Matrix{}, fmt.Errorf("lmhead.Quantize: len(src) %d, want rows×cols = %d×%d", len(src), rows, cols)
	}
	if f >= Q8_0 {
		for i, v := range src {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return Matrix{}, fmt.Errorf("lmhead.Quantize: src[%d] = %v: %v has no code for it", i, v, f)
			}
		}
	}
	dst := make([]byte, rows*rb)
	le := binary.LittleEndian
	bs, bb := f.BlockSize(), f.BlockBytes()
	for b := 0; b < len(src)/bs; b++ {
		x, out := src[b*bs:(b+1)*bs], dst[b*bb:(b+1)*bb]
		switch f {
		case F32:
			le.PutUint32(out, math.Float32bits(x[0]))
		case F16:
			le.PutUint16(out, Float32ToHalf(x[0]))
		case BF16:
			le.PutUint16(out, Float32ToBF16(x[0]))
		case Q8_0:
			quantizeQ8_0(out, x)
		case Q4_0:
			quantizeQ4_0(out, x)
		case Q4_K:
			quantizeQ4_K(out, x)
		case Q6_K:
			quantizeQ6_K(out, x)
		}
	}
	return NewMatrix(f, rows, cols, dst)
}

// Float32ToHalf rounds f to the nearest IEEE binary16, ties to even, as
// F16C's VCVTPS2PH with rounding mode 0 does: overflow gives ±Inf, tiny
// values become subnormal or ±0, and a NaN stays a (quiet) NaN.
func Float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	switch {
	case exp == 0xff && mant != 0:
		return sign | 0x7e00 | uint16(mant>>13)
	case exp == 0xff:
		return sign | 0x7c00
	}
	// Round the value |f| = m·2^(e-150) (m with the implicit bit) to a
	// multiple of the half's quantum at that magnitude.
	e := exp - 127 + 15 // the half's biased exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	m := mant
	if exp != 0 {
		m |= 0x800000
	}
	shift := 13 // normal halves keep 10 of the 23 mantissa bits
	if e <= 0 {
		shift = 14 - e // subnormal halves: quantum 2⁻²⁴
		if shift > 24 {
			return sign // below half the smallest subnormal
		}
	}
	q := m >> shift
	rem := m & (1<<shift - 1)
	halfway := uint32(1) << (shift - 1)
	if rem > halfway || (rem == halfway && q&1 == 1) {
		q++
	}
	if e <= 0 {
		return sign | uint16(q) // a carry into bit 10 makes the smallest normal
	}
	// q holds the implicit bit at 1<<10; a carry to 1<<11 bumps the exponent.
	return sign | uint16((uint32(e)<<10)+(q-0x400))
}

// Float32ToBF16 rounds f to the nearest bfloat16, ties to even, as ggml's
// GGML_FP32_TO_BF16 does; a NaN stays a quiet NaN.
func Float32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 64
	}
	return uint16((u + 0x7fff + (u>>16)&1) >> 16)
}

// quantizeQ8_0 is quantize_row_q8_0_ref: d = max|x|/127, q = round(x/d).
func quantizeQ8_0(out []byte, x []float32) {
	var amax float32
	for _, v := range x {
		amax = float32(math.Max(float64(amax), math.Abs(float64(v))))
	}
	d := amax / 127
	var id float32
	if d != 0 {
		id = 1 / d
	}
	binary.LittleEndian.PutUint16(out, Float32ToHalf(d))
	for j, v := range x {
		out[2+j] = byte(int8(math.Round(float64(v * id))))
	}
}

// quantizeQ4_0 is quantize_row_q4_0_ref: the value of largest magnitude
// maps to −8, d = max/−8, q = min(15, trunc(x/d + 8.5)).
func quantizeQ4_0(out []byte, x []float32) {
	var amax, mx float32
	for _, v := range x {
		if a := float32(math.Abs(float64(v))); a > amax {
			amax, mx = a, v
		}
	}
	d := mx / -8
	var id float32
	if d != 0 {
		id = 1 / d
	}
	binary.LittleEndian.PutUint16(out, Float32ToHalf(d))
	q := func(v float32) byte { return byte(min(15, int8(v*id+8.5))) } // int8(): C's truncating cast
	for j := 0; j < 16; j++ {
		out[2+j] = q(x[j]) | q(x[j+16])<<4
	}
}

// quantizeQ4_K fills one block_q4_K: each sub-block of 32 gets
// scale = (max−min)/15 over min ≤ 0 ≤ max, the eight scales and mins are
// quantized to 6 bits against d = max scale/63 and dmin = max min/63, and
// packed as get_scale_min_k4 unpacks them.
func quantizeQ4_K(out []byte, x []float32) {
	var scale, mins [8]float32
	var maxScale, maxMin float32
	for s := 0; s < 8; s++ {
		lo, hi := float32(0), float32(0)
		for _, v := range x[32*s : 32*s+32] {
			lo, hi = float32(math.Min(float64(lo), float64(v))), float32(math.Max(float64(hi), float64(v)))
		}
		scale[s], mins[s] = (hi-lo)/15, -lo
		maxScale = float32(math.Max(float64(maxScale), float64(scale[s])))
		maxMin = float32(math.Max(float64(maxMin), float64(mins[s])))
	}
	d := HalfToFloat32(Float32ToHalf(maxScale / 63))
	dmin := HalfToFloat32(Float32ToHalf(maxMin / 63))
	binary.LittleEndian.PutUint16(out, Float32ToHalf(d))
	binary.LittleEndian.PutUint16(out[2:], Float32ToHalf(dmin))
	var sc, m [8]uint8
	for s := 0; s < 8; s++ {
		if d > 0 {
			sc[s] = uint8(clamp(math.Round(float64(scale[s]/d)), 0, 63))
		}
		if dmin > 0 {
			m[s] = uint8(clamp(math.Round(float64(mins[s]/dmin)), 0, 63))
		}
	}
	scales := out[4:16]
	for j := 0; j < 4; j++ {
		scales[j] = sc[j] | (sc[j+4]>>4)<<6
		scales[j+4] = m[j] | (m[j+4]>>4)<<6
		scales[j+8] = sc[j+4]&0xF | (m[j+4]&0xF)<<4
	}
	qs := out[16:144]
	for s := 0; s < 8; s++ {
		d1, m1 := d*float32(sc[s]), dmin*float32(m[s])
		for l := 0; l < 32; l++ {
			var q uint8
			if d1 > 0 {
				q = uint8(clamp(math.Round(float64((x[32*s+l]+m1)/d1)), 0, 15))
			}
			if s%2 == 0 {
				qs[32*(s/2)+l] = q
			} else {
				qs[32*(s/2)+l] |= q << 4
			}
		}
	}
}

// quantizeQ6_K fills one block_q6_K: each sub-block of 16 maps its value
// of largest magnitude to −32 (as quantize_row_q6_K_ref's make_qx_quants
// starts from), the sixteen scales are quantized to int8 against
// d = max scale/−128, and q = round(x/(d·sc)) + 32 in 0..63 is split into
// ql and qh as dequantize_row_q6_K reads them.
func quantizeQ6_K(out []byte, x []float32) {
	var scale [16]float32
	var amax, mx float32
	for s := 0; s < 16; s++ {
		var a, v float32
		for _, w := range x[16*s : 16*s+16] {
			if aw := float32(math.Abs(float64(w))); aw > a {
				a, v = aw, w
			}
		}
		scale[s] = v / -32
		if a := float32(math.Abs(float64(scale[s]))); a > amax {
			amax, mx = a, scale[s]
		}
	}
	d := HalfToFloat32(Float32ToHalf(mx / -128))
	binary.LittleEndian.PutUint16(out[208:], Float32ToHalf(d))
	var sc [16]int8
	for s := range sc {
		if d != 0 {
			sc[s] = int8(clamp(math.Round(float64(scale[s]/d)), -128, 127))
		}
		out[192+s] = byte(sc[s])
	}
	ql, qh := out[0:128], out[128:192]
	clear(ql)
	clear(qh)
	for k := 0; k < 256; k++ {
		var q int
		if ds := d * float32(sc[k/16]); ds != 0 {
			q = int(clamp(math.Round(float64(x[k]/ds)), -32, 31))
		}
		q += 32
		h, r := k/128, k%128
		l, quarter := r%32, r/32
		lo := &ql[64*h+l+32*(quarter%2)]
		if quarter < 2 {
			*lo |= byte(q & 15)
		} else {
			*lo |= byte(q&15) << 4
		}
		qh[32*h+l] |= byte(q>>4) << (2 * quarter)
	}
}

// clamp returns v limited to [lo, hi]. (The package's max and min are the
// float32 slice kernels, so the builtins are out of reach here.)
func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
