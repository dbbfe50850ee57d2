//go:build amd64 && !purego && linux

package lmhead

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/klauspost/cpuid/v2"
	"golang.org/x/sys/unix"
)

// threadSeconds is the calling OS thread's CPU time. (testutil has the
// same, but this internal test cannot import it: testutil imports lmhead.)
func threadSeconds() float64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return float64(ts.Sec) + float64(ts.Nsec)*1e-9
}

// BenchmarkGemmTile measures the core's FMA peak (gemmPeakAVX512: 24
// independent 512-bit FMAs per trip, 16 lanes × 2 flops each; on AVX2,
// peak-avx2, gemmPeakAVX2: 12 of 256 bits) and the tiles (12×32 and 12×8
// AVX-512, 6×16 and 6×8 AVX2) with their W rows and packed positions in L1
// (k slices of 64 to 256), all in GFLOP/s over the thread's CPU time, so
// that the figure holds on a shared machine. The tile's share of the peak
// bounds what Gemm can reach; Gemm's own figure (BenchmarkGemm) is lower
// by what the caches cost.
func BenchmarkGemmTile(b *testing.B) {
	if !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		b.Skip("no AVX2")
	}
	measure := func(b *testing.B, flopsPerOp float64, f func()) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		b.ResetTimer()
		c0 := threadSeconds()
		for i := 0; i < b.N; i++ {
			f()
		}
		if cpu := threadSeconds() - c0; cpu > 0 {
			b.ReportMetric(float64(b.N)*flopsPerOp/cpu/1e9, "cpu-GFLOP/s")
		}
	}
	const trips = 1 << 16
	b.Run("peak-avx2", func(b *testing.B) {
		measure(b, trips*12*8*2, func() { gemmPeakAVX2(trips) })
	})
	for _, kc := range []int{64, 128, 256} {
		w := make([]float32, 6*kc)
		xp := make([]float32, kc*gemmGroup)
		c := make([]float32, 6*16)
		b.Run(fmt.Sprintf("6x16/kc=%d", kc), func(b *testing.B) {
			measure(b, float64(kc)*6*16*2, func() {
				gemmTile6x16AVX2(&c[0], 16*4, &w[0], kc*4, &xp[0], kc*64, kc, true)
			})
		})
		b.Run(fmt.Sprintf("6x8/kc=%d", kc), func(b *testing.B) {
			measure(b, float64(kc)*6*8*2, func() {
				gemmTile6x8AVX2(&c[0], 16*4, &w[0], kc*4, &xp[0], 0, kc/2, true)
			})
		})
	}
	if !cpuid.CPU.Supports(cpuid.AVX512F) {
		return
	}
	b.Run("peak", func(b *testing.B) {
		measure(b, trips*24*16*2, func() { gemmPeakAVX512(trips) })
	})
	for _, kc := range []int{64, 128, 256} {
		w := make([]float32, 12*kc)
		xp := make([]float32, 2*kc*gemmGroup)
		c := make([]float32, 12*32)
		b.Run(fmt.Sprintf("12x32/kc=%d", kc), func(b *testing.B) {
			measure(b, float64(kc)*12*32*2, func() {
				gemmTile12x32AVX512(&c[0], 32*4, &w[0], kc*4, &xp[0], kc*64, kc, true)
			})
		})
		wb := make([]byte, 12*kc*2)
		b.Run(fmt.Sprintf("bf16-12x32/kc=%d", kc), func(b *testing.B) {
			measure(b, float64(kc)*12*32*2, func() {
				gemmTileBF16x12x32AVX512(&c[0], 32*4, &wb[0], kc*2, &xp[0], kc*64, kc, true)
			})
		})
		x8 := make([]float32, kc*gemmGroup/2)
		b.Run(fmt.Sprintf("12x8/kc=%d", kc), func(b *testing.B) {
			measure(b, float64(kc)*12*8*2, func() {
				gemmTile12x8AVX512(&c[0], 16*4, &w[0], kc*4, &x8[0], 0, kc/2, true)
			})
		})
	}
}
