package gguf_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lmhead/lmhead/gguf"
	"github.com/lmhead/lmhead/gguf/ggufwrite"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// rssBytes returns the process's resident set size from /proc/self/statm,
// or -1 where there is none.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return -1
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize())
}

func heapAlloc() (alloc, sys uint64) {
	debug.FreeOSMemory() // a GC, and the freed pages returned, so RSS is comparable
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.HeapSys
}

const mib = 1 << 20

// TestOpenLarge writes a ~1 GB GGUF file (a 245,760×4096 Q8_0
// output.weight and a 245,760-token vocabulary) and checks that opening it
// and taking the Matrix grows the Go heap by a few MB at most: the tensor
// stays in the mapping. It logs the open time and the RSS before and after
// touching the pages.
func TestOpenLarge(t *testing.T) {
	if tu.Short() {
		t.Skip("writes 1 GB; skipped under -short and emulation")
	}
	const rows, cols = 245_760, 4096
	path := filepath.Join(t.TempDir(), "large.gguf")
	tokens := make([]string, rows)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("<tok%d>", i)
	}
	chunk := make([]byte, 4352*64) // 64 rows of Q8_0: d = 1.0 (f16 0x3c00), qs = i
	for i := range chunk {
		switch j := i % 34; j {
		case 0:
			chunk[i] = 0x00
		case 1:
			chunk[i] = 0x3c
		default:
			chunk[i] = byte(j - 2)
		}
	}
	start := time.Now()
	err := ggufwrite.WriteFile(path, []ggufwrite.KV{
		{Key: "general.architecture", Value: "llama"},
		{Key: "llama.vocab_size", Value: uint32(rows)},
		{Key: "tokenizer.ggml.tokens", Value: tokens},
	}, []ggufwrite.Tensor{{
		Name: "output.weight", Dims: []uint64{cols, rows}, Type: gguf.TypeQ8_0,
		Fill: func(w io.Writer) error {
			for r := 0; r < rows; r += 64 {
				if _, err := w.Write(chunk); err != nil {
					return err
				}
			}
			return nil
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	t.Logf("wrote %.1f MiB in %v", float64(fi.Size())/mib, time.Since(start).Round(time.Millisecond))
	tokens = nil

	heap0, sys0 := heapAlloc()
	rss0 := rssBytes()
	start = time.Now()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Matrix("output.weight")
	if err != nil {
		t.Fatal(err)
	}
	openTime := time.Since(start)
	heap1, sys1 := heapAlloc()
	rss1 := rssBytes()
	t.Logf("Open+Matrix: %v; heap %+.1f KiB (HeapAlloc), %+.1f KiB (HeapSys); RSS %+.1f KiB",
		openTime.Round(time.Microsecond), float64(int64(heap1)-int64(heap0))/1024, float64(int64(sys1)-int64(sys0))/1024, float64(rss1-rss0)/1024)
	if m.Rows() != rows || m.Cols() != cols {
		t.Fatalf("matrix %dx%d", m.Rows(), m.Cols())
	}
	if grow := int64(heap1) - int64(heap0); grow > 8*mib {
		t.Errorf("the Go heap grew by %d bytes on Open: the file is being copied", grow)
	}
	if grow := int64(sys1) - int64(sys0); grow > 16*mib {
		t.Errorf("HeapSys grew by %d bytes on Open", grow)
	}

	// Touch two rows: a few pages.
	row := make([]float32, cols)
	for _, r := range []int{0, rows - 1} {
		m.Dequantize(row, r, r+1)
		if row[5] != 5 {
			t.Fatalf("row %d: weight 5 = %v, want 5", r, row[5])
		}
	}
	rss2 := rssBytes()
	// Touch every page.
	b := m.Bytes()
	sum := 0
	for i := 0; i < len(b); i += 4096 {
		sum += int(b[i])
	}
	rss3 := rssBytes()
	_ = f.Close()
	rss4 := rssBytes()
	t.Logf("RSS: %.1f MiB before Open; %+.1f KiB after Open, %+.1f KiB after 2 rows, %+.1f MiB after touching every page, %+.1f MiB after Close (sum %d)",
		float64(rss0)/mib, float64(rss1-rss0)/1024, float64(rss2-rss0)/1024, float64(rss3-rss0)/mib, float64(rss4-rss0)/mib, sum)
	if rss0 >= 0 && rss1-rss0 > 64*mib {
		t.Errorf("RSS grew by %d bytes on Open", rss1-rss0)
	}
}
