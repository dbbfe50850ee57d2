package lmhead_test

import (
	"os"
	"testing"
	"time"
	"unsafe"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// TestKQuantMinTime prints the minimum time of many short Gemv calls (l2
// shape) per level: a measure of the kernels' own speed on a loaded
// machine. It runs only with LMHEAD_KQ_MIN=1.
func TestKQuantMinTime(t *testing.T) {
	if os.Getenv("LMHEAD_KQ_MIN") == "" {
		t.Skip("LMHEAD_KQ_MIN not set")
	}
	r := tu.Rand(1)
	type shape struct{ rows, cols int }
	for _, c := range []struct {
		f lmhead.Format
		shape
	}{{lmhead.Q4_K, shape{256, 2048}}, {lmhead.Q6_K, shape{256, 2048}}, {lmhead.Q8_0, shape{256, 2048}},
		{lmhead.Q4_K, shape{1024, 256}}, {lmhead.Q6_K, shape{1024, 256}}} {
		f, rows, cols := c.f, c.rows, c.cols
		b := tu.RandRows(r, f, rows, cols)
		m, _ := lmhead.NewMatrix(f, rows, cols, b)
		x := make([]float32, cols)
		tu.Fill(r, x)
		dst := make([]float32, rows)
		for _, isa := range []lmhead.ISA{lmhead.AVX512, lmhead.AVX2} {
			if lmhead.Use(isa) != nil {
				continue
			}
			best := time.Hour
			for i := 0; i < 3000; i++ {
				s := time.Now()
				m.Gemv(dst, x)
				if d := time.Since(s); d < best {
					best = d
				}
			}
			sb := rows * cols / 256
			t.Logf("%v %v %dx%d: %v per call, %.2f ns per super-block, %.2f ns per row, %.2f GB/s", f, isa, rows, cols, best,
				float64(best.Nanoseconds())/float64(sb), float64(best.Nanoseconds())/float64(rows), float64(len(b))/float64(best.Nanoseconds()))
		}
	}
}

// TestKQuantMinDRAM prints, for the llama3.2-1b shape (from DRAM), the
// minimum time of a few interleaved Gemv calls per level and of a Sum over
// the same bytes (the read bandwidth). It runs only with LMHEAD_KQ_MIN=1.
func TestKQuantMinDRAM(t *testing.T) {
	if os.Getenv("LMHEAD_KQ_MIN") == "" {
		t.Skip("LMHEAD_KQ_MIN not set")
	}
	r := tu.Rand(2)
	rows, cols := 128256, 2048
	if os.Getenv("LMHEAD_KQ_7B") != "" {
		rows, cols = 32000, 4096
	}
	for _, f := range []lmhead.Format{lmhead.Q4_K, lmhead.Q6_K} {
		rb, _ := f.RowBytes(cols)
		offs := []int{0, 32, 4}
		if os.Getenv("LMHEAD_KQ_OFF0") != "" {
			offs = offs[:1]
		}
		for _, off := range offs {
			b := tu.AlignedBytes(rows*rb, off)
			tu.FillRows(r, f, b)
			m, _ := lmhead.NewMatrix(f, rows, cols, b)
			x := make([]float32, cols)
			tu.Fill(r, x)
			dst := make([]float32, rows)
			fl := unsafe.Slice((*float32)(unsafe.Pointer(&b[(4-off%4)%4])), len(b)/4-1)
			var best [3]time.Duration
			for i := range best {
				best[i] = time.Hour
			}
			for it := 0; it < 8; it++ {
				for i, isa := range []lmhead.ISA{lmhead.AVX512, lmhead.AVX2, lmhead.Generic} {
					if lmhead.Use(isa) != nil {
						continue
					}
					s := time.Now()
					if isa == lmhead.Generic {
						lmhead.Use(lmhead.AVX512)
						lmhead.Sum(fl)
					} else {
						m.Gemv(dst, x)
					}
					if d := time.Since(s); d < best[i] {
						best[i] = d
					}
				}
			}
			gbs := func(d time.Duration) float64 { return float64(len(b)) / float64(d.Nanoseconds()) }
			t.Logf("%v off=%d: avx512 %.2f GB/s (%.2f of read), avx2 %.2f GB/s (%.2f), read %.2f GB/s", f, off,
				gbs(best[0]), gbs(best[0])/gbs(best[2]), gbs(best[1]), gbs(best[1])/gbs(best[2]), gbs(best[2]))
		}
	}
}
