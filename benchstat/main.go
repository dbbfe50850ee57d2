// Command benchstat runs the lmhead benchmarks once per supported ISA and
// against other Go libraries, and prints benchstat tables.
//
// Usage (from the lmhead module root):
//
//	go run ./benchstat [flags]
//
// The root and softmax benchmarks (BenchmarkGemv/<isa>/<shape>,
// BenchmarkReadBandwidth/<isa>/<bytes>, BenchmarkDot/<isa>/<n>,
// BenchmarkSoftmax/<isa>/<n>, …) run in one `go test -bench` process per ISA,
// with LMHEAD_ISA set to that ISA and the ISA in the -bench pattern, so that
// each process measures only its own level. The tables put the ISAs in
// columns with generic as the baseline: the median of -count runs ± its 95%
// confidence range, the change against generic with its U-test p-value, and a
// table of speed-ups.
//
// The peers (module benchstat/peers) run the same shapes through gonum's
// blas32 Sgemv, viterin/vek's Dot called per row and the naive Go loops; a
// table shows lmhead against each of them, and the figures the project
// promised are checked.
//
// Statistics come from golang.org/x/perf: benchfmt reads the results,
// benchproc groups them, benchmath computes medians, confidence ranges and
// Mann-Whitney U-tests, as cmd/benchstat does.
//
// The -count runs are interleaved: -count rounds of `go test -count 1`, each
// round running every ISA and then the peers, so that a machine whose load
// drifts (a shared one) spreads the drift over every column alike.
//
// Flags:
//
//	-bench regexp   benchmarks to run (the first element of go test -bench)
//	-sub regexp     shapes or sizes to run: the element after the ISA (or
//	                implementation), e.g. 'l2|gpt2'; for SoftmaxKernels that
//	                element is the kernel name
//	-filter query   keep only matching results (benchproc filter syntax)
//	-count n        runs of each benchmark (default 6)
//	-benchtime d    go test -benchtime (default 300ms)
//	-isa list       comma-separated ISAs (default: every supported one)
//	-peers          run the peer comparison (default true)
//	-formats        run the weight-format suite instead: BenchmarkGemvFormat
//	                per level (-sub picks the shapes, e.g. 'l2';
//	                LMHEAD_BENCH_FORMATS=q4_k,q6_k the formats) and
//	                the head's BenchmarkLogitsFormat on one and two workers;
//	                print GB/s, GB/s over the read bandwidth, tokens/s over
//	                F32 and the unaligned-start ratios
//	-out dir        keep the raw results in dir
//	-in dir         print tables from raw results that -out kept; run nothing
//	-v              stream the go test output to stderr
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"golang.org/x/perf/benchproc"

	"github.com/lmhead/lmhead"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// modulePath is the import path of the module whose benchmarks this tool
// runs; the tool refuses to run from anywhere else.
const modulePath = "github.com/lmhead/lmhead"

// peersDir is the peers module, relative to the lmhead module root.
const peersDir = "benchstat/peers"

// isaColumns is the column order of the ISA tables: generic, the
// baseline, first.
var isaColumns = func() []string {
	var names []string
	for i := lmhead.Generic; i <= lmhead.NEON; i++ {
		names = append(names, i.String())
	}
	return names
}()

// peerColumns is the column order of the peer tables, lmhead (the
// baseline) first.
var peerColumns = []string{"lmhead", "vek", "gonum", "naive"}

// targets are the figures: lmhead at least min times faster than
// the peer.
var targets = []target{
	{prefix: "Gemv/llama2-7b", col: "vek", min: 1.1, invert: true},
	{prefix: "Gemv/llama2-7b", col: "gonum", min: 1.4, invert: true},
	{prefix: "Gemv/llama2-7b", col: "naive", min: 5, invert: true},
	{prefix: "Gemv/l2", col: "vek", min: 1.3, invert: true},
	{prefix: "Gemv/l2", col: "gonum", min: 2, invert: true},
	{prefix: "Softmax/", col: "naive", min: 25, invert: true},
}

type config struct {
	bench, sub, benchtime, out, in string
	count                          int
	isas                           []string
	peers, verbose, formats        bool
	filter                         *benchproc.Filter
}

// usageError is a bad flag or value: run prints it with the usage and
// exits 2.
type usageError struct{ error }

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("benchstat", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := &config{}
	isa := fs.String("isa", "", "comma-separated `ISAs` to run (default: every supported one)")
	filter := fs.String("filter", "*", "keep only results matching this benchproc `filter` (see go doc golang.org/x/perf/benchproc/syntax)")
	fs.StringVar(&c.bench, "bench", ".", "`regexp` of the benchmarks to run (the first element of go test -bench)")
	fs.StringVar(&c.sub, "sub", "", "`regexp` of the shapes or sizes to run (the element of go test -bench after the ISA or implementation), e.g. 'l2|gpt2'")
	fs.IntVar(&c.count, "count", 6, "runs of each benchmark (`n`), as n interleaved rounds")
	fs.StringVar(&c.benchtime, "benchtime", "300ms", "go test -benchtime (`d` or Nx)")
	fs.BoolVar(&c.peers, "peers", true, "also run gonum, vek and the naive loops on the same shapes")
	fs.BoolVar(&c.formats, "formats", false, "run the weight-format suite (GemvFormat per level, LogitsFormat on 1 and 2 workers) instead of the ISA and peer suites")
	fs.StringVar(&c.out, "out", "", "keep the raw go test output in `dir`")
	fs.StringVar(&c.in, "in", "", "print tables from the raw results in `dir` (written by -out); run nothing")
	fs.BoolVar(&c.verbose, "v", false, "stream the go test output to stderr")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./benchstat [flags]\n\nRuns the lmhead benchmarks per ISA (via LMHEAD_ISA) and against gonum, vek\nand the naive loops, and prints benchstat tables.\n\n")
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return nil, err
		}
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if c.count < 1 {
		return nil, usageError{fmt.Errorf("-count %d: want at least 1", c.count)}
	}
	for _, re := range []struct{ flag, val string }{{"-bench", c.bench}, {"-sub", c.sub}} {
		if strings.Contains(re.val, "/") {
			return nil, usageError{fmt.Errorf("%s %q: one level of the benchmark name only, no '/'", re.flag, re.val)}
		}
		if _, err := regexp.Compile(re.val); err != nil {
			return nil, usageError{fmt.Errorf("%s: %v", re.flag, err)}
		}
	}
	f, err := benchproc.NewFilter(*filter)
	if err != nil {
		return nil, usageError{fmt.Errorf("-filter: %v", err)}
	}
	c.filter = f
	supported := lmhead.Supported()
	if *isa == "" {
		for _, s := range supported {
			c.isas = append(c.isas, s.String())
		}
	} else {
		for _, name := range strings.Split(*isa, ",") {
			i, err := lmhead.ParseISA(name)
			if err != nil {
				return nil, usageError{err}
			}
			if c.in == "" && lmhead.Use(i) != nil {
				return nil, usageError{fmt.Errorf("-isa %s: not supported here (supported: %v)", i, supported)}
			}
			c.isas = append(c.isas, i.String())
		}
	}
	return c, nil
}

// run is the whole command: flags in args, tables to stdout, progress and
// errors to stderr. It returns the exit code: 0, 1 when a run fails, 2 for
// bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "benchstat: %v\n", err)
		fmt.Fprintf(stderr, "run 'go run ./benchstat -h' for usage\n")
		return 2
	}
	var isaSrcs, peerSrcs, fmtSrcs []source
	if c.in != "" {
		isaSrcs, peerSrcs, fmtSrcs, err = readDir(c.in)
	} else {
		// The machine may be shared: say how busy it was, since every
		// figure below is only as good as that.
		before := loadAverage()
		start := time.Now()
		isaSrcs, peerSrcs, fmtSrcs, err = runAll(c, stderr)
		if err == nil {
			fmt.Fprintf(stdout, "runs: -count %d -benchtime %s, %v; load average %s before, %s after\n\n",
				c.count, c.benchtime, time.Since(start).Round(time.Second), before, loadAverage())
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "benchstat: %v\n", err)
		return 1
	}
	if len(fmtSrcs) > 0 {
		formatReport(stdout, fmtSrcs)
	}
	if err := report(stdout, stderr, c, isaSrcs, peerSrcs); err != nil {
		fmt.Fprintf(stderr, "benchstat: %v\n", err)
		return 1
	}
	return 0
}

// report prints the ISA tables, then the peer tables and the targets.
func report(stdout, stderr io.Writer, c *config, isaSrcs, peerSrcs []source) error {
	isaCmp := comparison{key: "isa", values: isaColumns, pinned: true}
	peerCmp := comparison{key: "impl", values: peerColumns}
	sections := []struct {
		srcs  []source
		cmp   comparison
		title string
	}{
		{isaSrcs, isaCmp, "speed-up over generic"},
		{peerSrcs, peerCmp, "lmhead speed-up over"},
	}
	for _, s := range sections {
		if len(s.srcs) == 0 {
			continue
		}
		results, units, warns := collect(s.srcs, s.cmp, c.filter)
		for _, w := range warns {
			fmt.Fprintf(stderr, "benchstat: warning: %v\n", w)
		}
		tables, err := buildTables(results, units, s.cmp)
		if err != nil {
			return err
		}
		peers := s.cmp.key == "impl"
		for _, t := range tables {
			fmt.Fprintf(stdout, "pkg: %s\n", t.pkg)
			if run := runISA(s.srcs); peers && run != "" {
				fmt.Fprintf(stdout, "lmhead ISA: %s\n", run)
			}
			formatTable(stdout, t)
			fmt.Fprintln(stdout)
			if !lowerIsBetter(t.unit) {
				continue
			}
			if len(t.cols) > 1 {
				formatSpeedups(stdout, t, s.title, peers)
				fmt.Fprintln(stdout)
			}
			if peers {
				fmt.Fprintln(stdout, "targets:")
				if n := checkTargets(stdout, t, targets); n > 0 {
					fmt.Fprintf(stdout, "  %d short\n", n)
				}
				fmt.Fprintln(stdout)
			}
		}
	}
	return nil
}

// loadAverage returns the 1-minute load average, or "unknown".
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

// runISA returns the lmhead level named by the first runKey line of the
// sources.
func runISA(srcs []source) string {
	for _, s := range srcs {
		for _, line := range strings.Split(string(s.data), "\n") {
			if v, ok := strings.CutPrefix(line, runKey+": "); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

// moduleRoot returns the directory of the lmhead module that the working
// directory is in.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module: run from the lmhead module root")
	}
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	if !bytes.Contains(data, []byte("module "+modulePath+"\n")) {
		return "", fmt.Errorf("%s is not module %s: run from the lmhead module root", gomod, modulePath)
	}
	return filepath.Dir(gomod), nil
}

// benchPattern builds the go test -bench pattern: the benchmark regexp,
// then the compared level (an ISA, or "" for any implementation), then the
// shape regexp.
//
// Each element is parenthesized: go test splits a pattern at a top-level
// '|' before it splits at '/', so "Gemv|Dot/^avx2$" would mean "Gemv" or
// "Dot/^avx2$".
func benchPattern(bench, level, sub string) string {
	p := "(" + bench + ")/" + level
	if sub != "" {
		p += "/(" + sub + ")"
	}
	return p
}

// runAll runs the ISA suite once per ISA and then the peers, and returns
// their raw outputs (each ISA run headed by its runKey line).
//
// The runs are interleaved: -count rounds, each running every ISA and the
// peers once (go test -count 1). On a machine whose load drifts, as a
// shared one does, consecutive -count runs of one ISA would each see a
// different load from the next ISA's; rounds spread the drift over all of
// them alike, and the median of the rounds discards the worst.
func runAll(c *config, stderr io.Writer) (isaSrcs, peerSrcs, fmtSrcs []source, err error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, nil, nil, err
	}
	if c.out != "" {
		if err := os.MkdirAll(c.out, 0o755); err != nil {
			return nil, nil, nil, err
		}
	}
	// The ISA suite is the root package and every package beside it that
	// has benchmarks per ISA.
	pkgs := []string{"."}
	if fi, err := os.Stat(filepath.Join(root, "softmax")); err == nil && fi.IsDir() {
		pkgs = append(pkgs, "./softmax")
	}
	var jobs []job
	if c.formats {
		jobs = formatJobs(c, root)
	}
	for _, isa := range c.isas {
		if c.formats {
			break
		}
		jobs = append(jobs, job{"isa-" + isa, root, "LMHEAD_ISA=" + isa, isa,
			testArgs(c, benchPattern(c.bench, "^"+isa+"$", c.sub), pkgs)})
	}
	if c.peers && !c.formats {
		// The peers' lmhead column runs at the best level: LMHEAD_ISA is
		// cleared, and the peers print the level they used.
		jobs = append(jobs, job{"peers", filepath.Join(root, peersDir), "LMHEAD_ISA=", "",
			testArgs(c, benchPattern(c.bench, "", c.sub), []string{"."})})
	}
	outs := make([]bytes.Buffer, len(jobs))
	for round := 1; round <= c.count; round++ {
		for i, j := range jobs {
			tag := fmt.Sprintf("round %d/%d: %s", round, c.count, j.name)
			out, err := goTest(c, stderr, j.dir, j.args, j.env, j.isa, tag)
			outs[i].Write(out)
			if c.out != "" {
				if werr := os.WriteFile(filepath.Join(c.out, j.name+".txt"), outs[i].Bytes(), 0o644); werr != nil && err == nil {
					err = werr
				}
			}
			if err != nil {
				return nil, nil, nil, err
			}
		}
	}
	for i, j := range jobs {
		src := source{name: j.name + ".txt", data: outs[i].Bytes()}
		switch {
		case isFormatSource(src.name):
			fmtSrcs = append(fmtSrcs, src)
		case j.isa != "":
			isaSrcs = append(isaSrcs, src)
		default:
			peerSrcs = append(peerSrcs, src)
		}
	}
	return isaSrcs, peerSrcs, fmtSrcs, nil
}

// job is one go test run of every round.
type job struct {
	name, dir, env, isa string
	args                []string
}

// testArgs are the go test arguments of one round: every benchmark once.
func testArgs(c *config, pattern string, pkgs []string) []string {
	// -p 1: two benchmark binaries must never share the CPU.
	args := []string{"test", "-p", "1", "-run", "^$", "-bench", pattern,
		"-count", "1", "-benchtime", c.benchtime}
	return append(args, pkgs...)
}

// goTest runs go test in dir with one extra environment variable and
// returns its output, headed by "lmhead-isa: <isa>" when isa is set.
func goTest(c *config, stderr io.Writer, dir string, args []string, env, isa, tag string) ([]byte, error) {
	var out bytes.Buffer
	if isa != "" {
		fmt.Fprintf(&out, "%s: %s\n", runKey, isa)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env)
	var errBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errBuf
	if c.verbose {
		cmd.Stdout = io.MultiWriter(&out, stderr)
		cmd.Stderr = io.MultiWriter(&errBuf, stderr)
	}
	fmt.Fprintf(stderr, "benchstat: %s: (cd %s && %s go %s)\n", tag, dir, env, shellQuote(args))
	start := time.Now()
	err := cmd.Run()
	fmt.Fprintf(stderr, "benchstat: %s: done in %v\n", tag, time.Since(start).Round(time.Second))
	if err != nil {
		tail := errBuf.String() + lastLines(out.String(), 20)
		return out.Bytes(), fmt.Errorf("%s: go %s: %v\n%s", tag, shellQuote(args), err, tail)
	}
	return out.Bytes(), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " ^$|*?()[]{}'\"\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// readDir loads raw results that -out saved: peers*.txt are the peers,
// formats*.txt the weight-format suite, the other *.txt files the per-ISA
// runs.
func readDir(dir string) (isaSrcs, peerSrcs, fmtSrcs []source, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, nil, nil, err
	}
	if len(files) == 0 {
		return nil, nil, nil, fmt.Errorf("-in %s: no *.txt result files", dir)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, nil, err
		}
		s := source{name: filepath.Base(f), data: data}
		switch {
		case isFormatSource(s.name):
			fmtSrcs = append(fmtSrcs, s)
		case strings.HasPrefix(s.name, "peers"):
			peerSrcs = append(peerSrcs, s)
		default:
			isaSrcs = append(isaSrcs, s)
		}
	}
	return isaSrcs, peerSrcs, fmtSrcs, nil
}
