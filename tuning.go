package lmhead

import "github.com/klauspost/cpuid/v2"

// Tuning the kernels read at run time. The dispatch (dispatch.go) chooses
// which kernels run; these values choose between two loop shapes inside
// one kernel where the faster shape differs between CPU vendors on the
// same instruction set. Every shape is correct everywhere, and the tests
// run each one (export_test.go).

// halfStreamRowBytes is the shortest row, in bytes, that the AVX-512 and
// AVX2 F16 and BF16 Gemv kernels stream one row at a time; shorter rows go
// through the four-row pass, which loads each x vector once for four rows.
// The assembly reads it as ·halfStreamRowBytes.
//
// Measured from DRAM at llama3.2-1b (128256×2048, rows of 4 KiB):
//
//   - AMD Zen 5 (EPYC, family 26): four interleaved row streams reached
//     0.70-0.75 of the read bandwidth and one row at a time 0.85-0.90
//     (F16: 24.3 → 19.1 ms).
//
//   - Intel (Sapphire Rapids, and the Xeon of model 207 measured on
//     2026-12-02): one row at a time lost, 64-65 ms against 45-58 ms for
//     F16 in three interleaved runs of the two builds, 57-72 against
//     50-52 ms for BF16.
//
//   - AVX2 on Zen 5 (2026-12-02, five interleaved runs, best and median):
//     F16 23.2 and 27.4 ms in four-row passes, 18.1 and 20.9 streamed
//     (with four accumulators, see quads in _gen/formats); BF16 22.9 and
//     27.4 against 17.6 and 19.1.
//
//   - AVX2 on Zen 2 (EPYC of family 23, 2026-12-03; three interleaved
//     runs, medians): one row alone reads as slowly as one stream does
//     there (a Sum of the same bytes, 18-19 GB/s, while four f32 rows
//     with a prefetch reach 23-24). Four-row passes with the prefetch
//     256 bytes ahead (halfPrefetchAVX2) took F16 at llama3.2-1b from
//     37.4 to 30.0 ms and at llama2-7b from 17.8 to 12.2 ms, BF16 from
//     35.6 to 29.6 and 17.4 to 12.3 ms; level in L2.
//
// So AMD cores other than those of family 23 (Zen, Zen+ and Zen 2) stream
// rows of 1 KiB and more, and every other core never does.
var halfStreamRowBytes uint64 = halfStreamFor(cpuid.CPU.VendorID, cpuid.CPU.Family)

// halfStreamNever is halfStreamRowBytes when no row is streamed alone.
const halfStreamNever = 1 << 62

func halfStreamFor(v cpuid.Vendor, family int) uint64 {
	if v == cpuid.AMD && !family23(v, family) {
		return 1024
	}
	return halfStreamNever
}

// halfPrefetchAVX2 is how far ahead, in bytes, the AVX2 F16 and BF16
// four-row pass prefetches each row (the assembly reads it as
// ·halfPrefetchAVX2). 1024 was measured on Intel (see _gen/formats). On
// Zen 2 (four interleaved runs over 192, 256, 384 and 512, and three
// against 1024): 192 and 256 were best and level, 384 and 512 3-5% slower
// at llama3.2-1b, 1024 25-30% slower at both shapes (F16 at llama3.2-1b
// 29.2 against 39.5 ms, medians).
//
//lint:ignore U1000 read by the assembly only
var halfPrefetchAVX2 uint64 = halfPrefetchFor(cpuid.CPU.VendorID, cpuid.CPU.Family)

func halfPrefetchFor(v cpuid.Vendor, family int) uint64 {
	if family23(v, family) {
		return 256
	}
	return 1024
}

// gemvPrefetchAVX2 is how far ahead, in bytes, the AVX2 f32 Gemv prefetches
// each of its four rows (_gen/gemv; the assembly reads it as
// ·gemvPrefetchAVX2). Measured from DRAM, interleaved runs of builds that
// differ only in the distance:
//   - Zen 4 (over 512, 1024 and 2048, four runs each): 1024 was best, 10%
//     faster at llama2-7b and 17% at gpt2, and neutral at the L2 shape.
//   - Zen 2 (EPYC of family 23, 2026-12-03, over 256-4096, then five runs
//     of 384, 512 and 1024): 384 and 512 were best and level; against 1024,
//     llama2-7b took 21.4 and 21.8 ms against 24.2 (medians), and
//     llama3.2-1b 45.0 and 45.3 against 48.6. 2048 and 4096 were slower
//     still.
//
// So family 23 (Zen, Zen+, Zen 2) prefetches 384 bytes ahead and every
// other core 1024.
//
//lint:ignore U1000 read by the assembly only
var gemvPrefetchAVX2 uint64 = gemvPrefetchFor(cpuid.CPU.VendorID, cpuid.CPU.Family)

func gemvPrefetchFor(v cpuid.Vendor, family int) uint64 {
	if family23(v, family) {
		return 384
	}
	return 1024
}

// family23 reports an AMD core of family 23 (17h: Zen, Zen+ and Zen 2),
// whose prefetch distances and F16/BF16 loop shape differ from later AMD
// cores' (see the variables above).
func family23(v cpuid.Vendor, family int) bool { return v == cpuid.AMD && family == 23 }

// gemmBF16InPlace says whether the AVX-512 Gemm reads BF16 weights in place
// (gemmTileBF16x12x32AVX512, two weights per 4-byte broadcast, a shift and
// a mask) rather than decoding them to float32 as the other formats are.
// In place costs one extra vector uop per weight and position pair besides
// the FMAs. Zen 5 runs those on pipes the FMAs do not use (1.04× F32's
// GFLOP/s at n = 64); an Intel core has two 512-bit pipes for both, and
// the in-place tiles ran at 0.81× F32 there.
var gemmBF16InPlace = cpuid.CPU.VendorID == cpuid.AMD
