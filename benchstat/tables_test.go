package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"
)

// isaRun fakes the output of one LMHEAD_ISA-pinned go test run: every ISA's
// sub-benchmarks appear (as they would if the -bench pattern let them
// through), but only the pinned one may reach the tables. Gemv takes
// gemvNs[isa] ns/op; each of the count runs adds a little noise.
func isaRun(pinned string, gemvNs map[string]float64, count int) source {
	var b strings.Builder
	fmt.Fprintf(&b, "lmhead-isa: %s\ngoos: linux\ngoarch: amd64\npkg: github.com/lmhead/lmhead\ncpu: Test CPU\n", pinned)
	for i := 0; i < count; i++ {
		for _, isa := range []string{"generic", "avx2", "avx512"} {
			ns := gemvNs[isa] * (1 + float64(i)/100)
			fmt.Fprintf(&b, "BenchmarkGemv/%s/l2-2 \t 1000\t %.0f ns/op\t %.2f MB/s\n", isa, ns, 786432/ns*1e3)
			fmt.Fprintf(&b, "BenchmarkDot/%s/64-2 \t 1000\t %.2f ns/op\n", isa, ns/1000)
		}
		// A benchmark without an ISA sub-name belongs to the pinned ISA.
		fmt.Fprintf(&b, "BenchmarkOther/x-2 \t 10\t %d ns/op\n", 100+i)
	}
	b.WriteString("PASS\nok  \tgithub.com/lmhead/lmhead\t1.234s\n")
	return source{name: "isa-" + pinned + ".txt", data: []byte(b.String())}
}

var isaCmp = comparison{key: "isa", values: isaColumns, pinned: true}

func TestNormalize(t *testing.T) {
	cases := []struct {
		name, run string
		c         comparison
		keep      bool
		want, col string
	}{
		{"Gemv/avx2/gpt2-2", "avx2", isaCmp, true, "Gemv/gpt2-2", "avx2"},
		{"Gemv/avx512/gpt2-2", "avx2", isaCmp, false, "", ""},
		{"ReadBandwidth/generic/3145728-2", "generic", isaCmp, true, "ReadBandwidth/3145728-2", "generic"},
		{"Softmax/avx512/32000", "avx512", isaCmp, true, "Softmax/32000", "avx512"},
		{"NoISA/x-2", "avx512", isaCmp, true, "NoISA/x-2", "avx512"},
		// Only a whole sub-name is an ISA, and only the first one moves.
		{"Gemv/avx2x/avx2/avx2", "avx2", isaCmp, true, "Gemv/avx2x/avx2", "avx2"},
		{"Gemv/vek/l2-2", "avx512", comparison{key: "impl", values: peerColumns}, true, "Gemv/l2-2", "vek"},
		{"Gemv/blas/l2-2", "avx512", comparison{key: "impl", values: peerColumns}, false, "", ""},
	}
	for _, c := range cases {
		r := &benchfmt.Result{Name: benchfmt.Name(c.name), Iters: 1, Values: []benchfmt.Value{{Value: 1, Unit: "sec/op"}}}
		r.SetConfig(runKey, c.run)
		got := normalize(r, c.c)
		require.Equal(t, c.keep, got, c.name)
		if got {
			require.Equal(t, c.want, r.Name.String(), c.name)
			require.Equal(t, c.col, r.GetConfig(c.c.key), c.name)
		}
	}
}

func buildFrom(t *testing.T, srcs []source, c comparison, filter string) []*table {
	t.Helper()
	f, err := benchproc.NewFilter(filter)
	require.NoError(t, err)
	results, units, warns := collect(srcs, c, f)
	require.Empty(t, warns)
	tables, err := buildTables(results, units, c)
	require.NoError(t, err)
	return tables
}

func TestBuildTables(t *testing.T) {
	ns := map[string]float64{"generic": 40000, "avx2": 10000, "avx512": 8000}
	// Runs arrive best ISA first, as Supported lists them; generic must
	// still be the first column.
	srcs := []source{isaRun("avx512", ns, 6), isaRun("avx2", ns, 6), isaRun("generic", ns, 6)}
	tables := buildFrom(t, srcs, isaCmp, "*")
	require.Len(t, tables, 2, "sec/op and B/s")

	tm := tables[0]
	require.Equal(t, "github.com/lmhead/lmhead", tm.pkg)
	require.Equal(t, "sec/op", tm.unit)
	require.Equal(t, []string{"generic", "avx2", "avx512"}, tm.cols)
	require.Equal(t, []string{"Gemv/l2-2", "Dot/64-2", "Other/x-2"}, tm.rows)

	// Each cell holds exactly its own ISA's six samples: the median of
	// ns·(1.00, 1.01, …, 1.05) is ns·1.025.
	for j, isa := range tm.cols {
		c := tm.cells[[2]int{0, j}]
		require.NotNil(t, c, isa)
		require.Len(t, c.sample.Values, 6, isa)
		require.InDelta(t, ns[isa]*1.025e-9, c.summary.Center, 1e-12, isa)
	}
	s, ok := tm.speedup(0, 1)
	require.True(t, ok)
	require.InDelta(t, 4.0, s, 1e-9, "avx2 vs generic")
	s, _ = tm.speedup(0, 2)
	require.InDelta(t, 5.0, s, 1e-9, "avx512 vs generic")
	require.Nil(t, tm.cells[[2]int{0, 0}].cmp, "the baseline has no comparison")
	require.Less(t, tm.cells[[2]int{0, 1}].cmp.P, 0.05, "6 vs 6 disjoint samples are significant")

	// A throughput unit: faster is larger, and the speed-up is the same.
	tb := tables[1]
	require.Equal(t, "B/s", tb.unit)
	s, _ = tb.speedup(0, 2)
	require.InDelta(t, 5.0, s, 1e-6)
	require.Equal(t, []string{"Gemv/l2-2"}, tb.rows, "only Gemv reports MB/s")

	var out bytes.Buffer
	formatTable(&out, tm)
	text := out.String()
	for _, want := range []string{"generic", "avx2", "avx512", "sec/op", "vs base", "Gemv/l2-2", "-75.00%", "-80.00%", "(p=0.002 n=6)", "geomean"} {
		require.Contains(t, text, want)
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for _, l := range lines[1:] {
		require.Equal(t, textWidth(lines[0]), textWidth(l), "every line of the table has the same width:\n%s", text)
	}
	out.Reset()
	formatSpeedups(&out, tm, "speed-up over generic", false)
	require.Regexp(t, `Gemv/l2-2\s+4\.00×\s+5\.00×`, out.String())
}

func TestFilterAndMissingCells(t *testing.T) {
	ns := map[string]float64{"generic": 40000, "avx2": 10000, "avx512": 8000}
	// No avx512 run: its column is absent, not empty.
	srcs := []source{isaRun("avx2", ns, 3), isaRun("generic", ns, 3)}
	tables := buildFrom(t, srcs, isaCmp, ".name:Gemv")
	require.Len(t, tables, 2)
	require.Equal(t, []string{"generic", "avx2"}, tables[0].cols)
	require.Equal(t, []string{"Gemv/l2-2"}, tables[0].rows)
}

func TestPeersAndTargets(t *testing.T) {
	var b strings.Builder
	b.WriteString("lmhead-isa: avx512\npkg: github.com/lmhead/lmhead/benchstat/peers\n")
	ns := map[string]float64{"lmhead": 1000, "vek": 1200, "gonum": 3000, "naive": 9000}
	for i := 0; i < 6; i++ {
		for _, impl := range peerColumns {
			fmt.Fprintf(&b, "BenchmarkGemv/%s/llama2-7b-2 \t 10\t %.0f ns/op\n", impl, ns[impl]+float64(i))
		}
		fmt.Fprintf(&b, "BenchmarkSoftmax/lmhead/32000-2 \t 10\t %d ns/op\n", 100+i)
		fmt.Fprintf(&b, "BenchmarkSoftmax/naive/32000-2 \t 10\t %d ns/op\n", 2000+i)
	}
	c := comparison{key: "impl", values: peerColumns}
	tables := buildFrom(t, []source{{name: "peers.txt", data: []byte(b.String())}}, c, "*")
	require.Len(t, tables, 1)
	tm := tables[0]
	require.Equal(t, peerColumns, tm.cols)
	require.Equal(t, []string{"Gemv/llama2-7b-2", "Softmax/32000-2"}, tm.rows)
	_, ok := tm.speedup(1, 1)
	require.False(t, ok, "no vek softmax")

	var out bytes.Buffer
	short := checkTargets(&out, tm, targets)
	// Medians over +0..5 ns: vek 1202.5/1002.5 = 1.20× ≥ 1.1, gonum 3.00× ≥
	// 1.4, naive 8.98× ≥ 5, softmax 2002.5/102.5 = 19.54× < 25.
	require.Equal(t, 1, short, out.String())
	require.Regexp(t, `Gemv/llama2-7b-2\s+lmhead 1\.20× vek \(target ≥ 1\.1×\): ok`, out.String())
	require.Regexp(t, `Softmax/32000-2\s+lmhead 19\.54× naive \(target ≥ 25×\): SHORT`, out.String())

	out.Reset()
	formatSpeedups(&out, tm, "lmhead speed-up over", true)
	require.Regexp(t, `Gemv/llama2-7b-2\s+1\.20×\s+3\.00×\s+8\.98×`, out.String())
}

// TestRunIn runs the command on raw files as -out leaves them, and checks
// the usage errors.
func TestRunIn(t *testing.T) {
	dir := t.TempDir()
	ns := map[string]float64{"generic": 40000, "avx2": 10000, "avx512": 8000}
	for _, isa := range []string{"generic", "avx2"} {
		s := isaRun(isa, ns, 6)
		require.NoError(t, os.WriteFile(filepath.Join(dir, s.name), s.data, 0o644))
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"-in", dir}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	require.Contains(t, stdout.String(), "speed-up over generic")
	require.Regexp(t, `Gemv/l2-2\s+4\.00×`, stdout.String())

	for _, args := range [][]string{
		{"-count", "0"},
		{"-bench", "Gemv/avx2"},
		{"-sub", "("},
		{"-isa", "sse9"},
		{"-filter", "(("},
		{"extra"},
		{"-nosuchflag"},
	} {
		stdout.Reset()
		stderr.Reset()
		require.Equal(t, 2, run(args, &stdout, &stderr), "%q", args)
		require.Contains(t, stderr.String(), "benchstat: ", "%q", args)
	}
	require.Equal(t, 1, run([]string{"-in", t.TempDir()}, &stdout, &stderr), "an empty -in directory")
}

func TestBenchPattern(t *testing.T) {
	require.Equal(t, "(.)//(l2)", benchPattern(".", "", "l2"))
	require.Equal(t, "(Gemv|Dot)/^avx2$/(l2|64$)", benchPattern("Gemv|Dot", "^avx2$", "l2|64$"))
}
