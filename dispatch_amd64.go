//go:build !purego

package lmhead

import "github.com/klauspost/cpuid/v2"

const pureTag = ""

// archLevels lists the assembly levels of amd64, best first.
var archLevels = []level{
	{isa: AVX512, features: []cpuid.FeatureID{cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512BW, cpuid.AVX2, cpuid.FMA3, cpuid.F16C}, kernels: kernelSet{
		dot:  dotAVX512,
		gemv: gemvAVX512,
		sum:  sumAVX512,

		exp:         expAVX512,
		max:         maxAVX512,
		argmax:      argmaxAVX512,
		scaleExpSum: scaleExpSumAVX512,
		maxSum:      maxSumAVX512,
		expMul:      expMulAVX512,
		scaleShift:  scaleShiftAVX512,
		sumWhereIn:  sumWhereInAVX512,

		scaleExpSumDot: scaleExpSumDotAVX512,

		gemvF16:  gemvF16AVX512,
		gemvBF16: gemvBF16AVX512,
		gemvQ8_0: func(d []float32, w []byte, x []float32) { gemvAlignedX(xQ8_0AVX512, d, w, x) },
		gemvQ4_0: func(d []float32, w []byte, x []float32) { gemvAlignedX(xQ4_0AVX512, d, w, x) },
		gemvQ4_K: func(d []float32, w []byte, x []float32) { gemvAlignedX(xQ4_KAVX512, d, w, x) },
		gemvQ6_K: func(d []float32, w []byte, x []float32) { gemvAlignedX(xQ6_KAVX512, d, w, x) },

		dequantF16:  dequantF16AVX512,
		dequantBF16: dequantBF16AVX512,
		dequantQ8_0: dequantQ8_0AVX512,
		dequantQ4_0: dequantQ4_0AVX512,
		dequantQ4_K: dequantQ4_KAVX512,
		dequantQ6_K: dequantQ6_KAVX512,

		gemm:      gemmAVX512,
		gemmPairs: gemmPairsAVX512,
		gemmBF16:  gemmBF16AVX512,
	}},
	{isa: AVX2, features: []cpuid.FeatureID{cpuid.AVX2, cpuid.FMA3, cpuid.F16C}, kernels: kernelSet{
		dot:  dotAVX2,
		gemv: gemvAVX2,
		sum:  sumAVX2,

		exp:         expAVX2,
		max:         maxAVX2,
		argmax:      argmaxAVX2,
		scaleExpSum: scaleExpSumAVX2,
		maxSum:      maxSumAVX2,
		expMul:      expMulAVX2,
		scaleShift:  scaleShiftAVX2,
		sumWhereIn:  sumWhereInAVX2,

		scaleExpSumDot: scaleExpSumDotAVX2,

		gemvF16:  gemvF16AVX2,
		gemvBF16: gemvBF16AVX2,
		gemvQ8_0: func(d []float32, w []byte, x []float32) { gemvAlignedX(xQ8_0AVX2, d, w, x) },
		gemvQ4_0: func(d []float32, w []byte, x []float32) { gemvAlignedX(xQ4_0AVX2, d, w, x) },
		gemvQ4_K: func(d []float32, w []byte, x []float32) { gemvAlignedX(xQ4_KAVX2, d, w, x) },
		gemvQ6_K: func(d []float32, w []byte, x []float32) { gemvAlignedX(xQ6_KAVX2, d, w, x) },

		dequantF16:  dequantF16AVX2,
		dequantBF16: dequantBF16AVX2,
		dequantQ8_0: dequantQ8_0AVX2,
		dequantQ4_0: dequantQ4_0AVX2,
		dequantQ4_K: dequantQ4_KAVX2,
		dequantQ6_K: dequantQ6_KAVX2,

		gemm:      gemmAVX2,
		gemmPairs: gemmPairsAVX2,
	}},
}
