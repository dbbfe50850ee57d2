package head_test

import (
	"fmt"
	"sync"
	"testing"
	"unsafe"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/head"
)

// formatHeads caches one seeded head matrix per format and shape, so that
// the worker counts stream the same memory.
var formatHeads = map[string]lmhead.Matrix{}

func formatHead(b *testing.B, f lmhead.Format, rows, cols int) lmhead.Matrix {
	key := fmt.Sprint(f, rows, cols)
	if m, ok := formatHeads[key]; ok {
		return m
	}
	w := make([]float32, rows*cols)
	var s uint32 = 7
	for i := range w {
		s = s*1664525 + 1013904223
		w[i] = float32(int32(s>>8)-1<<23) / (1 << 23) * 0.05
	}
	m, err := lmhead.Quantize(f, w, rows, cols)
	if err != nil {
		b.Fatal(err)
	}
	formatHeads[key] = m
	return m
}

// BenchmarkLogitsFormat is Head.Logits over each weight format at Llama
// 3.2 1B's shape (128256×2048), on one worker and on two, with
// ReadBandwidth2: two goroutines streaming the two halves of the same
// bytes with lmhead.Sum, the two-thread roofline of the same run. MB/s is
// the weight bytes read per call.
//
//	BenchmarkLogitsFormat/<format>/workers=<n>
//	BenchmarkLogitsFormat/<format>/ReadBandwidth2
func BenchmarkLogitsFormat(b *testing.B) {
	const V, d = 128256, 2048
	x := make([]float32, d)
	for i := range x {
		x[i] = float32(i%17) * 0.01
	}
	for _, f := range lmhead.Formats() {
		b.Run(f.String(), func(b *testing.B) {
			m := formatHead(b, f, V, d)
			dst := make([]float32, V)
			for _, workers := range []int{1, 2} {
				b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
					h, err := head.New(head.Config{Vocab: V, Hidden: d, Matrix: m, Workers: workers})
					if err != nil {
						b.Fatal(err)
					}
					b.SetBytes(int64(len(m.Bytes())))
					for b.Loop() {
						h.Logits(dst, x)
					}
				})
			}
			b.Run("ReadBandwidth2", func(b *testing.B) {
				w := unsafe.Slice((*float32)(unsafe.Pointer(&m.Bytes()[0])), len(m.Bytes())/4)
				half := len(w) / 2
				b.SetBytes(int64(len(w) * 4))
				var wg sync.WaitGroup
				for b.Loop() {
					wg.Add(2)
					go func() { lmhead.Sum(w[:half]); wg.Done() }()
					go func() { lmhead.Sum(w[half:]); wg.Done() }()
					wg.Wait()
				}
			})
		})
	}
}
