package safetensors_test

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	tu "github.com/lmhead/lmhead/internal/testutil"
	"github.com/lmhead/lmhead/safetensors"
	"github.com/lmhead/lmhead/safetensors/stwrite"
)

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

func heapAlloc() uint64 {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestOpenLarge writes a 512 MiB model folder (a 65,536×4096 BF16
// lm_head.weight) and checks that OpenModel and Matrix grow the Go heap by
// a few MB at most. It logs the open time and RSS.
func TestOpenLarge(t *testing.T) {
	if tu.Short() {
		t.Skip("writes 512 MiB; skipped under -short and emulation")
	}
	const rows, cols = 65_536, 4096
	dir := t.TempDir()
	chunk := make([]byte, 2*cols*64)
	for i := 0; i < len(chunk); i += 2 {
		chunk[i], chunk[i+1] = 0x80, 0x3f // bf16 1.0
	}
	start := time.Now()
	err := stwrite.WriteFile(filepath.Join(dir, safetensors.SingleFile), map[string]string{"format": "pt"}, []stwrite.Tensor{{
		Name: "lm_head.weight", Dtype: safetensors.BF16, Shape: []uint64{rows, cols},
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
	if err := os.WriteFile(filepath.Join(dir, safetensors.ConfigFile), []byte(`{"vocab_size": 65536, "hidden_size": 4096}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote 512 MiB in %v", time.Since(start).Round(time.Millisecond))

	heap0, rss0 := heapAlloc(), rssBytes()
	start = time.Now()
	m, err := safetensors.OpenModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	mat, err := m.Matrix("lm_head.weight")
	if err != nil {
		t.Fatal(err)
	}
	openTime := time.Since(start)
	heap1, rss1 := heapAlloc(), rssBytes()
	row := mat.Dequantize(make([]float32, cols), rows-1, rows)
	rss2 := rssBytes()
	b := mat.Bytes()
	sum := 0
	for i := 0; i < len(b); i += 4096 {
		sum += int(b[i])
	}
	rss3 := rssBytes()
	m.Close()
	t.Logf("OpenModel+Matrix: %v; heap %+.1f KiB; RSS %+.1f KiB after Open, %+.1f KiB after 1 row, %+.1f MiB after touching every page (sum %d)",
		openTime.Round(time.Microsecond), float64(int64(heap1)-int64(heap0))/1024, float64(rss1-rss0)/1024, float64(rss2-rss0)/1024, float64(rss3-rss0)/(1<<20), sum)
	if row[cols-1] != 1 || mat.Rows() != rows {
		t.Fatalf("last weight %v, rows %d", row[cols-1], mat.Rows())
	}
	if grow := int64(heap1) - int64(heap0); grow > 8<<20 {
		t.Errorf("the Go heap grew by %d bytes on Open", grow)
	}
	if rss0 >= 0 && rss1-rss0 > 64<<20 {
		t.Errorf("RSS grew by %d bytes on Open", rss1-rss0)
	}
}
