package lmhead

import "unsafe"

// The pure-Go Gemv twins of the weight formats. Each decodes a row a chunk
// at a time into a stack buffer with the format's exact decoder
// (quant_decode.go) and takes the chunk's dot product with the f32 dot
// twin, so every output is the dot product of x with exactly the decoded
// weights, accumulated in float32 (the error bound of Dot). The assembly
// levels compute the same sums with the block scales factored out of the
// inner products.

// chunkWeights is how many weights the twins decode before each dot: a
// multiple of every block size, small enough for the stack.
const chunkWeights = 512

// gemvFormat is the pure-Go Gemv of format f: dst[i] = Σ_j w_i[j]·x[j] over
// the rows of w, each f.rowBytes(len(x)) bytes.
func gemvFormat(f Format, dst []float32, w []byte, x []float32) {
	var buf [chunkWeights]float32
	n := len(x)
	rb := f.rowBytes(n)
	bs, bb := f.BlockSize(), f.BlockBytes()
	chunkBytes := chunkWeights / bs * bb
	for i := range dst {
		row := w[i*rb : i*rb+rb]
		var s float32
		for c := 0; c < n; c += chunkWeights {
			k := min(chunkWeights, n-c)
			dequantize(f, buf[:k], row[c/bs*bb:][:min(chunkBytes, len(row)-c/bs*bb)])
			s += dot(buf[:k], x[c:c+k])
		}
		dst[i] = s
	}
}

func gemvF16(dst []float32, w []byte, x []float32)  { gemvFormat(F16, dst, w, x) }
func gemvBF16(dst []float32, w []byte, x []float32) { gemvFormat(BF16, dst, w, x) }
func gemvQ8_0(dst []float32, w []byte, x []float32) { gemvFormat(Q8_0, dst, w, x) }
func gemvQ4_0(dst []float32, w []byte, x []float32) { gemvFormat(Q4_0, dst, w, x) }
func gemvQ4_K(dst []float32, w []byte, x []float32) { gemvFormat(Q4_K, dst, w, x) }
func gemvQ6_K(dst []float32, w []byte, x []float32) { gemvFormat(Q6_K, dst, w, x) }

// nativeLittleEndian reports whether this machine stores a uint32 as
// little-endian bytes, so that an F32 matrix's bytes are its float32s.
var nativeLittleEndian = func() bool {
	var v uint32 = 1
	return *(*byte)(unsafe.Pointer(&v)) == 1
}()

// f32InPlace reports whether the bytes of an F32 matrix can be read as
// float32s where they lie: on a little-endian machine, at a 4-byte aligned
// address or on an architecture whose loads accept any address.
func f32InPlace(b []byte) bool {
	if !nativeLittleEndian {
		return false
	}
	if len(b) == 0 || unalignedLoads {
		return true
	}
	return uintptr(unsafe.Pointer(&b[0]))%4 == 0
}

// gemvF32Decode is the F32 Gemv for bytes that cannot be read in place.
func gemvF32Decode(dst []float32, w []byte, x []float32) { gemvFormat(F32, dst, w, x) }

// dequantizeF32 copies F32 rows, in place or through the decoder.
func dequantizeF32(dst []float32, src []byte) {
	if f32InPlace(src) {
		copy(dst, bytesF32(src))
		return
	}
	decodeF32(dst, src)
}
