package lmhead

import (
	"encoding/binary"
	"math"
)

// The exact decoders of every format: the semantics that every kernel
// computes with. Each turns whole blocks of src into float32 weights in dst,
// bit for bit as ggml's dequantize_row_* (ggml-quants.c) with
// GGML_FP16_TO_FP32 and GGML_BF16_TO_FP32 (ggml-impl.h) does. They are the
// pure-Go Dequantize and the inner step of the pure-Go Gemv twins.

// dequantize decodes src, whole blocks of format f, into
// dst[:len(src)/BlockBytes·BlockSize]. It switches rather than indexing a
// table of funcs, so that a stack buffer passed as dst does not escape.
func dequantize(f Format, dst []float32, src []byte) {
	switch f {
	case F32:
		dequantizeF32(dst, src)
	case F16:
		decodeF16(dst, src)
	case BF16:
		decodeBF16(dst, src)
	case Q8_0:
		decodeQ8_0(dst, src)
	case Q4_0:
		decodeQ4_0(dst, src)
	case Q4_K:
		decodeQ4_K(dst, src)
	case Q6_K:
		decodeQ6_K(dst, src)
	}
}

// HalfToFloat32 returns the IEEE 754 binary16 value h (its bits) as a
// float32. Every half is exactly a float32: subnormals become normal
// float32s, infinities stay infinite, and a NaN keeps its sign and payload
// (shifted into the top of the float32 payload).
func HalfToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // ±Inf, NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal: rebias 15 → 127
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
	// ±0 and subnormals: mant·2⁻²⁴, exact in float32.
	return math.Float32frombits(sign | math.Float32bits(float32(mant)*(1.0/(1<<24))))
}

// BF16ToFloat32 returns the bfloat16 value h (its bits) as a float32: the
// bits are the top half of the float32's.
func BF16ToFloat32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// decodeF32 decodes little-endian float32s.
func decodeF32(dst []float32, src []byte) {
	dst = dst[:len(src)/4]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func decodeF16(dst []float32, src []byte) {
	dst = dst[:len(src)/2]
	for i := range dst {
		dst[i] = HalfToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

func decodeBF16(dst []float32, src []byte) {
	dst = dst[:len(src)/2]
	for i := range dst {
		dst[i] = BF16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

// decodeQ8_0 follows dequantize_row_q8_0: y[j] = d·qs[j], block_q8_0
// {ggml_half d; int8_t qs[32]} (34 bytes).
func decodeQ8_0(dst []float32, src []byte) {
	for b := 0; b+34 <= len(src); b += 34 {
		blk := src[b : b+34]
		d := HalfToFloat32(binary.LittleEndian.Uint16(blk))
		y := dst[b/34*32:][:32]
		for j := range y {
			y[j] = d * float32(int8(blk[2+j]))
		}
	}
}

// decodeQ4_0 follows dequantize_row_q4_0: for j < 16,
// y[j] = d·((qs[j]&0xF)−8) and y[j+16] = d·((qs[j]>>4)−8); block_q4_0
// {ggml_half d; uint8_t qs[16]} (18 bytes).
func decodeQ4_0(dst []float32, src []byte) {
	for b := 0; b+18 <= len(src); b += 18 {
		blk := src[b : b+18]
		d := HalfToFloat32(binary.LittleEndian.Uint16(blk))
		y := dst[b/18*32:][:32]
		for j := 0; j < 16; j++ {
			q := blk[2+j]
			y[j] = d * float32(int(q&0xF)-8)
			y[j+16] = d * float32(int(q>>4)-8)
		}
	}
}

// q4kScaleMin returns the 6-bit scale and min of sub-block j (0..7) of a
// Q4_K block's 12 scale bytes, as ggml-quants.c's get_scale_min_k4 unpacks
// them: sub-blocks 0-3 keep theirs in the low 6 bits of bytes j and j+4;
// sub-blocks 4-7 take their low 4 bits from the nibbles of byte j+4 and
// their top 2 bits from the top bits of bytes j-4 (scale) and j (min).
func q4kScaleMin(scales []byte, j int) (sc, m uint8) {
	if j < 4 {
		return scales[j] & 63, scales[j+4] & 63
	}
	return scales[j+4]&0xF | (scales[j-4]>>6)<<4, scales[j+4]>>4 | (scales[j]>>6)<<4
}

// decodeQ4_K follows dequantize_row_q4_K: block_q4_K {ggml_half d, dmin;
// uint8_t scales[12]; uint8_t qs[128]} (144 bytes). Each 64 weights share
// 32 bytes of qs: the first 32 weights are the low nibbles with sub-block
// scale and min 2i, the next 32 the high nibbles with 2i+1, and
// y = (d·sc)·q − dmin·m. d·sc·q is exact in float32 (11+6+4 significant
// bits), so y is rounded once, as ggml's fused or unfused expression is.
func decodeQ4_K(dst []float32, src []byte) {
	for b := 0; b+144 <= len(src); b += 144 {
		blk := src[b : b+144]
		d := HalfToFloat32(binary.LittleEndian.Uint16(blk))
		dmin := HalfToFloat32(binary.LittleEndian.Uint16(blk[2:]))
		scales, qs := blk[4:16], blk[16:144]
		y := dst[b/144*256:][:256]
		for i := 0; i < 4; i++ {
			sc1, m1 := q4kScaleMin(scales, 2*i)
			sc2, m2 := q4kScaleMin(scales, 2*i+1)
			d1, min1 := d*float32(sc1), dmin*float32(m1)
			d2, min2 := d*float32(sc2), dmin*float32(m2)
			q := qs[32*i : 32*i+32]
			for l := 0; l < 32; l++ {
				y[64*i+l] = float32(d1*float32(q[l]&0xF)) - min1
				y[64*i+32+l] = float32(d2*float32(q[l]>>4)) - min2
			}
		}
	}
}

// decodeQ6_K follows dequantize_row_q6_K: block_q6_K {uint8_t ql[128];
// uint8_t qh[64]; int8_t scales[16]; ggml_half d} (210 bytes). Each half
// of 128 weights uses 64 bytes of ql and 32 of qh; for l < 32, weights l,
// l+32, l+64 and l+96 of the half take the low nibble of ql[l], the low
// nibble of ql[l+32], the high nibble of ql[l] and the high nibble of
// ql[l+32], each with two bits of qh[l] (bits 0-1, 2-3, 4-5, 6-7) on top,
// minus 32; the scale of weight k of the half is scales[8·half + k/16].
// d·sc·q is exact in float32 (11+7+5 significant bits).
func decodeQ6_K(dst []float32, src []byte) {
	for b := 0; b+210 <= len(src); b += 210 {
		blk := src[b : b+210]
		d := HalfToFloat32(binary.LittleEndian.Uint16(blk[208:]))
		y := dst[b/210*256:][:256]
		for h := 0; h < 2; h++ {
			ql, qh, sc := blk[64*h:64*h+64], blk[128+32*h:128+32*h+32], blk[192+8*h:192+8*h+8]
			yh := y[128*h : 128*h+128]
			for l := 0; l < 32; l++ {
				is := l / 16
				q1 := int(ql[l]&0xF|(qh[l]>>0&3)<<4) - 32
				q2 := int(ql[l+32]&0xF|(qh[l]>>2&3)<<4) - 32
				q3 := int(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				yh[l] = d * float32(int8(sc[is])) * float32(q1)
				yh[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
				yh[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
				yh[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
			}
		}
	}
}
