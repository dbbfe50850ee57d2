package lmhead_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// formatShapes are the shapes of the weight-format benchmarks: two real
// heads that stream from DRAM and one that fits L2. Their columns are
// multiples of 256, so that every format, the K-quants included, fits.
var formatShapes = []struct {
	name       string
	rows, cols int
}{
	{"llama3.2-1b", 128256, 2048},
	{"llama2-7b", 32000, 4096},
	{"l2", 1024, 256},
}

// formatOffsets are the start addresses, mod 64, at which the benchmarks
// place the weights: a cache line, the 32 that half of GGUF's tensors start
// at, and an odd 4.
var formatOffsets = []int{0, 32, 4}

// formatWeights caches one buffer per format and shape, with 64 bytes of
// slack, so that every level and offset streams the same memory.
var formatWeights = map[string][]byte{}

// benchMatrix returns the rows×cols matrix of format f whose bytes start at
// off mod 64. The quants are pseudo-random (all valid codes) and every
// binary16 scale is a normal number in [2⁻¹², 2⁴).
func benchMatrix(b *testing.B, f lmhead.Format, rows, cols, off int) lmhead.Matrix {
	key := fmt.Sprint(f, rows, cols)
	buf, ok := formatWeights[key]
	rb, err := f.RowBytes(cols)
	if err != nil {
		b.Fatal(err)
	}
	n := rows * rb
	if !ok {
		buf = make([]byte, n+128)
		s := uint64(0x9e3779b97f4a7c15)
		for i := 0; i+8 <= len(buf); i += 8 {
			s = s*6364136223846793005 + 1442695040888963407
			binary.LittleEndian.PutUint64(buf[i:], s)
		}
		formatWeights[key] = buf
	}
	start := (64 - int(uintptr(unsafe.Pointer(&buf[0]))%64)) % 64
	data := buf[start+off : start+off+n : start+off+n]
	// The scales move with the offset, so they are fixed for each call.
	fixScales(f, data)
	m, err := lmhead.NewMatrix(f, rows, cols, data)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// fixScales makes every value of an F32, F16 or BF16 matrix, and every
// block scale of a quantized one, a modest normal number: random bits would
// give NaNs and infinities, which no benchmark should stream.
func fixScales(f lmhead.Format, data []byte) {
	le := binary.LittleEndian
	half := func(v uint16) uint16 { return v&0x83ff | (3+v>>10&15)<<10 }
	bb := f.BlockBytes()
	switch f {
	case lmhead.F32:
		for i := 0; i+4 <= len(data); i += 4 {
			le.PutUint32(data[i:], le.Uint32(data[i:])&0x807fffff|0x3f000000)
		}
	case lmhead.F16:
		for i := 0; i+2 <= len(data); i += 2 {
			le.PutUint16(data[i:], half(le.Uint16(data[i:])))
		}
	case lmhead.BF16:
		for i := 0; i+2 <= len(data); i += 2 {
			le.PutUint16(data[i:], le.Uint16(data[i:])&0x807f|0x3f00)
		}
	default:
		for i := 0; i+bb <= len(data); i += bb {
			for _, o := range tu.ScaleOffsets(f) {
				le.PutUint16(data[i+o:], half(le.Uint16(data[i+o:])))
			}
		}
	}
}

// benchFormats returns the formats to benchmark: all, or those named in
// LMHEAD_BENCH_FORMATS (comma-separated), for a shorter run.
func benchFormats(b *testing.B) []lmhead.Format {
	v := os.Getenv("LMHEAD_BENCH_FORMATS")
	if v == "" {
		return lmhead.Formats()
	}
	var out []lmhead.Format
	for _, name := range strings.Split(v, ",") {
		f, err := lmhead.ParseFormat(name)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

// BenchmarkGemvFormat measures Matrix.Gemv for every format, level, shape
// and start offset; MB/s is the weight bytes read. Each shape also has a
// ReadBandwidth sub-benchmark, a streaming Sum over the same bytes, so
// that GB/s over the roofline and tokens/s over F32 come from one run:
//
//	BenchmarkGemvFormat/<format>/<level>/<shape>/off=<k>
//	BenchmarkGemvFormat/<format>/<level>/<shape>/ReadBandwidth
//
// The format comes first so that a run of one format (-bench
// 'GemvFormat/Q4_K') reads naturally; go run ./benchstat -formats pins
// each run to one level with the pattern GemvFormat/.*/^<level>$.
func BenchmarkGemvFormat(b *testing.B) {
	for _, f := range benchFormats(b) {
		b.Run(f.String(), func(b *testing.B) {
			tu.ForEachISABench(b, func(b *testing.B, isa lmhead.ISA) {
				for _, s := range formatShapes {
					b.Run(s.name, func(b *testing.B) {
						for _, off := range formatOffsets {
							b.Run(fmt.Sprintf("off=%d", off), func(b *testing.B) {
								m := benchMatrix(b, f, s.rows, s.cols, off)
								x := weights(s.cols + 1)[:s.cols]
								dst := make([]float32, s.rows)
								b.SetBytes(int64(len(m.Bytes())))
								b.ResetTimer()
								for i := 0; i < b.N; i++ {
									m.Gemv(dst, x)
								}
							})
						}
						b.Run("ReadBandwidth", func(b *testing.B) {
							m := benchMatrix(b, f, s.rows, s.cols, 0)
							w := unsafe.Slice((*float32)(unsafe.Pointer(&m.Bytes()[0])), len(m.Bytes())/4)
							b.SetBytes(int64(len(w) * 4))
							b.ResetTimer()
							for i := 0; i < b.N; i++ {
								lmhead.Sum(w)
							}
						})
					})
				}
			})
		})
	}
}

// BenchmarkDequantize decodes 64 rows of 4096 weights (a panel of the
// batched projection) per op, for every level and format; MB/s counts the
// encoded bytes read.
func BenchmarkDequantize(b *testing.B) {
	tu.ForEachISABench(b, func(b *testing.B, isa lmhead.ISA) {
		for _, f := range benchFormats(b) {
			b.Run(f.String(), func(b *testing.B) {
				m := benchMatrix(b, f, 64, 4096, 0)
				dst := make([]float32, 64*4096)
				b.SetBytes(int64(len(m.Bytes())))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					m.Dequantize(dst, 0, 64)
				}
			})
		}
	})
}
