package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFormatReport feeds formatReport made-up runs whose ratios are known:
// F16 twice as fast as F32 and at 0.9 of its read, unaligned starts 10%
// slower, two workers 1.8 times one.
func TestFormatReport(t *testing.T) {
	var b strings.Builder
	b.WriteString("goos: linux\npkg: github.com/lmhead/lmhead\n")
	for i := 0; i < 3; i++ {
		for _, l := range []struct {
			name string
			ns   float64
		}{
			{"F32/avx2/l2/off=0", 1000}, {"F32/avx2/l2/ReadBandwidth", 900},
			{"F16/avx2/l2/off=0", 500}, {"F16/avx2/l2/off=32", 550}, {"F16/avx2/l2/off=4", 550},
			{"F16/avx2/l2/ReadBandwidth", 450},
		} {
			fmt.Fprintf(&b, "BenchmarkGemvFormat/%s-2 \t 1000\t %.0f ns/op\n", l.name, l.ns)
		}
		fmt.Fprintf(&b, "BenchmarkLogitsFormat/Q8_0/workers=1-2 \t 10\t 1800 ns/op\n")
		fmt.Fprintf(&b, "BenchmarkLogitsFormat/Q8_0/workers=2-2 \t 10\t 1000 ns/op\n")
		fmt.Fprintf(&b, "BenchmarkLogitsFormat/Q8_0/ReadBandwidth2-2 \t 10\t 900 ns/op\n")
	}
	var out bytes.Buffer
	formatReport(&out, []source{{name: "formats-avx2.txt", data: []byte(b.String())}})
	got := out.String()
	require.Contains(t, got, "Matrix.Gemv at l2")
	var f16 string
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "F16") {
			f16 = line
		}
	}
	// time, GB/s = 1024·256·2 B / 500 ns, × read 0.90, tok/s × F32 2.00,
	// off 32 ÷ 0 = off 4 ÷ 0 = 1.10.
	require.Equal(t, []string{"F16", "avx2", "500", "ns", "1048.6", "0.90", "2.00", "1.10", "1.10"}, strings.Fields(f16), got)
	require.Contains(t, got, "0.90", got)
	require.Regexp(t, `Q8_0 +[0-9.]+ +[0-9.]+ +[0-9.]+ +0\.90 +1\.80`, got)
}
