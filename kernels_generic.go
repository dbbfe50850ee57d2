package lmhead

// The pure-Go kernels. They are the whole library under -tags purego and on
// architectures without assembly, and the twins that every assembly kernel is
// tested against. Each keeps several independent accumulators: a single
// running sum is one long dependency chain through the floating-point adder,
// so four chains run about four times as fast.

var genericKernels = kernelSet{
	dot:  dot,
	gemv: gemv,
	sum:  sum,

	exp:         exp,
	max:         max,
	argmax:      argmax,
	scaleExpSum: scaleExpSum,
	maxSum:      maxSum,
	expMul:      expMul,
	scaleShift:  scaleShift,
	sumWhereIn:  sumWhereIn,

	scaleExpSumDot: scaleExpSumDot,

	gemvF16:  gemvF16,
	gemvBF16: gemvBF16,
	gemvQ8_0: gemvQ8_0,
	gemvQ4_0: gemvQ4_0,
	gemvQ4_K: gemvQ4_K,
	gemvQ6_K: gemvQ6_K,

	dequantF16:  decodeF16,
	dequantBF16: decodeBF16,
	dequantQ8_0: decodeQ8_0,
	dequantQ4_0: decodeQ4_0,
	dequantQ4_K: decodeQ4_K,
	dequantQ6_K: decodeQ6_K,

	gemm:      gemmBlock,
	gemmPairs: gemmBlockPairs,
	gemmBF16:  gemmBlockBF16,
}

// dot is the pure-Go twin of dotAVX2, dotAVX512 and dotNEON.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// gemv is the pure-Go twin of gemvAVX2, gemvAVX512 and gemvNEON. It takes four
// rows per pass over x, so each x[j] is loaded once for four products and the
// four row sums are independent chains.
func gemv(dst, w, x []float32) {
	n := len(x)
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		r0 := w[i*n : i*n+n]
		r1 := w[(i+1)*n : (i+1)*n+n]
		r2 := w[(i+2)*n : (i+2)*n+n]
		r3 := w[(i+3)*n : (i+3)*n+n]
		var s0, s1, s2, s3 float32
		for j, xj := range x {
			s0 += r0[j] * xj
			s1 += r1[j] * xj
			s2 += r2[j] * xj
			s3 += r3[j] * xj
		}
		dst[i], dst[i+1], dst[i+2], dst[i+3] = s0, s1, s2, s3
	}
	for ; i < len(dst); i++ {
		dst[i] = dot(w[i*n:i*n+n], x)
	}
}

// sum is the pure-Go twin of sumAVX2, sumAVX512 and sumNEON.
func sum(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}
