//go:build !purego

package lmhead

import "github.com/klauspost/cpuid/v2"

const pureTag = ""

// archLevels lists the assembly levels of arm64. ASIMD (NEON) is mandatory
// in ARMv8-A, and cpuid reads it from the kernel's HWCAP, which qemu-user
// fills in too; requiring it still lets Supported and Use report a CPU
// (or emulator) that hides it instead of faulting.
var archLevels = []level{
	{isa: NEON, features: []cpuid.FeatureID{cpuid.ASIMD}, kernels: kernelSet{
		dot:  dotNEON,
		gemv: gemvNEON,
		sum:  sumNEON,

		exp:         expNEON,
		max:         maxNEON,
		argmax:      argmaxNEON,
		scaleExpSum: scaleExpSumNEON,
		maxSum:      maxSumNEON,
		expMul:      expMulNEON,
		scaleShift:  scaleShiftNEON,
		sumWhereIn:  sumWhereIn, // pure Go: the sampler's rejection test, a few µs per draw

		scaleExpSumDot: scaleExpSumDotNEON,

		gemvF16:  gemvF16NEON,
		gemvBF16: gemvBF16NEON,
		gemvQ8_0: gemvQ8_0NEON,
		gemvQ4_0: gemvQ4_0NEON,
		gemvQ4_K: gemvQ4_KNEON,
		gemvQ6_K: gemvQ6_KNEON,

		gemm: gemmNEON,

		dequantF16:  dequantF16NEON,
		dequantBF16: dequantBF16NEON,
		dequantQ8_0: dequantQ8_0NEON,
		dequantQ4_0: dequantQ4_0NEON,
		dequantQ4_K: dequantQ4_KNEON,
		dequantQ6_K: dequantQ6_KNEON,
	}},
}
