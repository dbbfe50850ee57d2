package main

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// The weight-format tables (-formats): BenchmarkGemvFormat of the root
// package, one run pinned to each level, and BenchmarkLogitsFormat of the
// head package at the best level. Every ratio divides two medians of the
// same run: GB/s over the ReadBandwidth of the same bytes, tokens/s over
// F32 at the same level and shape, and the time at an unaligned start over
// the time at 0 mod 64.

// formatJobs returns the -formats runs: GemvFormat per level, then
// LogitsFormat.
func formatJobs(c *config, root string) []job {
	var jobs []job
	for _, isa := range c.isas {
		pattern := "GemvFormat/.*/^" + isa + "$"
		if c.sub != "" {
			pattern += "/(" + c.sub + ")"
		}
		jobs = append(jobs, job{"formats-" + isa, root, "LMHEAD_ISA=" + isa, isa,
			testArgs(c, pattern, []string{"."})})
	}
	jobs = append(jobs, job{"formats-workers", root, "LMHEAD_ISA=", "",
		testArgs(c, "LogitsFormat", []string{"./head"})})
	return jobs
}

// procsSuffix is the -GOMAXPROCS suffix of a benchmark name.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// medians returns the median time per op, in seconds, of every benchmark
// in srcs, keyed by its name without "Benchmark" and the procs suffix.
func medians(srcs []source) map[string]float64 {
	samples := map[string][]float64{}
	rd := benchfmt.NewReader(bytes.NewReader(nil), "")
	for _, s := range srcs {
		rd.Reset(bytes.NewReader(s.data), s.name)
		for rd.Scan() {
			r, ok := rd.Result().(*benchfmt.Result)
			if !ok {
				continue
			}
			if v, ok := r.Value("sec/op"); ok {
				name := procsSuffix.ReplaceAllString(string(r.Name.Full()), "")
				samples[name] = append(samples[name], v)
			}
		}
	}
	out := map[string]float64{}
	thresholds := benchmath.DefaultThresholds
	for name, xs := range samples {
		out[name] = benchmath.AssumeNothing.Summary(benchmath.NewSample(xs, &thresholds), confidence).Center
	}
	return out
}

// formatNames are the formats in table order.
var formatNames = []string{"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"}

// formatShapeBytes are the weight bytes of each format at each shape of
// BenchmarkGemvFormat, to turn times into GB/s.
func formatBytes(format, shape string) float64 {
	dims := map[string][2]float64{"llama3.2-1b": {128256, 2048}, "llama2-7b": {32000, 4096}, "l2": {1024, 256}}
	perWeight := map[string]float64{"F32": 4, "F16": 2, "BF16": 2, "Q8_0": 34.0 / 32, "Q4_0": 18.0 / 32, "Q4_K": 144.0 / 256, "Q6_K": 210.0 / 256}
	d := dims[shape]
	return d[0] * d[1] * perWeight[format]
}

// formatReport prints the weight-format tables from the -formats runs.
func formatReport(w io.Writer, srcs []source) {
	med := medians(srcs)
	shapes, isas := []string{"llama3.2-1b", "llama2-7b", "l2"}, isaColumns
	ratio := func(a, b float64, ok bool) string {
		if !ok || a == 0 || b == 0 {
			return "—"
		}
		return fmt.Sprintf("%.2f", a/b)
	}
	for _, shape := range shapes {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		any := false
		fmt.Fprintf(tw, "format\tlevel\ttime\tGB/s\t× read\ttok/s × F32\toff 32 ÷ 0\toff 4 ÷ 0\t\n")
		for _, isa := range slices.Backward(isas) {
			for _, f := range formatNames {
				base := "GemvFormat/" + f + "/" + isa + "/" + shape + "/"
				t0, ok := med[base+"off=0"]
				if !ok {
					continue
				}
				any = true
				read, rok := med[base+"ReadBandwidth"]
				f32, fok := med["GemvFormat/F32/"+isa+"/"+shape+"/off=0"]
				t32, ok32 := med[base+"off=32"]
				t4, ok4 := med[base+"off=4"]
				fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%s\t\n", f, isa, seconds(t0),
					formatBytes(f, shape)/t0/1e9, ratio(read, t0, rok), ratio(f32, t0, fok),
					ratio(t32, t0, ok32), ratio(t4, t0, ok4))
			}
		}
		if any {
			fmt.Fprintf(w, "Matrix.Gemv at %s, one thread (× read: GB/s over a Sum of the same bytes; tok/s × F32: F32's time over this one's; off k ÷ 0: time with the weights at k mod 64 over at 0):\n", shape)
			tw.Flush()
			fmt.Fprintln(w)
		}
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	any := false
	fmt.Fprintf(tw, "format\t1 worker GB/s\t2 workers GB/s\t2-thread read GB/s\t2 workers × read\t2 workers ÷ 1\t\n")
	for _, f := range formatNames {
		base := "LogitsFormat/" + f + "/"
		t1, ok1 := med[base+"workers=1"]
		t2, ok2 := med[base+"workers=2"]
		r2, okr := med[base+"ReadBandwidth2"]
		if !ok1 || !ok2 || !okr {
			continue
		}
		any = true
		bytes := formatBytes(f, "llama3.2-1b")
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.2f\t%.2f\t\n", f, bytes/t1/1e9, bytes/t2/1e9, bytes/r2/1e9, r2/t2, t1/t2)
	}
	if any {
		fmt.Fprintln(w, "Head.Logits at llama3.2-1b (128256×2048), best level, Workers 1 and 2, against two goroutines summing the same bytes:")
		tw.Flush()
		fmt.Fprintln(w)
	}
}

// seconds formats a duration in seconds with a unit.
func seconds(s float64) string {
	switch {
	case s >= 1e-3:
		return fmt.Sprintf("%.2f ms", s*1e3)
	case s >= 1e-6:
		return fmt.Sprintf("%.2f µs", s*1e6)
	}
	return fmt.Sprintf("%.0f ns", s*1e9)
}

// isFormatSource reports whether a raw result file is from -formats.
func isFormatSource(name string) bool { return strings.HasPrefix(name, "formats") }
