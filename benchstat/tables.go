package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
)

// runKey is the configuration line ("lmhead-isa: avx2") that heads every
// raw result file: the ISA that LMHEAD_ISA pinned for that run, or, for the
// peers, the level the lmhead column ran at.
const runKey = "lmhead-isa"

// A comparison says how one suite's results become tables: which sub-name
// of a benchmark holds the thing compared (an ISA, an implementation), the
// configuration key it is moved to, and its possible values, baseline
// first.
type comparison struct {
	key    string
	values []string
	// pinned means that each raw file comes from a run pinned to one ISA
	// (its runKey line): only that ISA's sub-benchmarks are kept, and a
	// benchmark without an ISA sub-name is credited to it.
	pinned bool
}

// source is one raw `go test -bench` output.
type source struct {
	name string
	data []byte
}

// normalize moves the compared sub-name of r (the first "/<value>" part
// that is one of c.values) into the configuration key c.key, so that
// "Gemv/avx2/gpt2-2" becomes row "Gemv/gpt2-2" in column "avx2". It reports
// whether r belongs in the tables: a pinned run's results for other ISAs do
// not, nor do results without a value to put them under.
func normalize(r *benchfmt.Result, c comparison) bool {
	base, parts := r.Name.Parts()
	run := r.GetConfig(runKey)
	found := ""
	name := append([]byte(nil), base...)
	for _, p := range parts {
		if found == "" && p[0] == '/' && slices.Contains(c.values, string(p[1:])) {
			found = string(p[1:])
			continue
		}
		name = append(name, p...)
	}
	if c.pinned && run != "" {
		if found == "" {
			found = run
		}
		if found != run {
			return false
		}
	}
	if found == "" {
		return false
	}
	r.Name = name
	r.SetConfig(c.key, found)
	return true
}

// collect parses the raw outputs and returns the normalized results that
// pass filter, with the unit metadata the files declared. Syntax errors in
// the input are returned as warnings; they do not stop the rest.
func collect(srcs []source, c comparison, filter *benchproc.Filter) ([]*benchfmt.Result, benchfmt.UnitMetadataMap, []error) {
	var (
		out  []*benchfmt.Result
		warn []error
		rd   = benchfmt.NewReader(bytes.NewReader(nil), "")
	)
	for _, s := range srcs {
		rd.Reset(bytes.NewReader(s.data), s.name)
		for rd.Scan() {
			switch rec := rd.Result().(type) {
			case *benchfmt.SyntaxError:
				warn = append(warn, rec)
			case *benchfmt.Result:
				r := rec.Clone()
				if !normalize(r, c) {
					continue
				}
				if filter != nil {
					if ok, err := filter.Apply(r); !ok {
						if err != nil {
							warn = append(warn, err)
						}
						continue
					}
				}
				out = append(out, r)
			}
		}
		if err := rd.Err(); err != nil {
			warn = append(warn, fmt.Errorf("%s: %w", s.name, err))
		}
	}
	return out, rd.Units(), warn
}

// A table holds one unit of one package: rows are benchmarks, columns the
// compared values, baseline first.
type table struct {
	pkg, unit  string
	rows, cols []string
	cells      map[[2]int]*cell
	assumption benchmath.Assumption
	alpha      float64
}

// cell is one row×column sample with its summary and, outside the
// baseline column, its comparison with the baseline.
type cell struct {
	sample  *benchmath.Sample
	summary benchmath.Summary
	cmp     *benchmath.Comparison
}

// confidence is the level of the ranges printed next to each median.
const confidence = 0.95

// buildTables groups results into one table per package and unit, with a
// row per benchmark (the full name left after normalize) and a column per
// value of c.key in the order of c.values.
func buildTables(results []*benchfmt.Result, units benchfmt.UnitMetadataMap, c comparison) ([]*table, error) {
	filter, err := benchproc.NewFilter("*")
	if err != nil {
		return nil, err
	}
	var p benchproc.ProjectionParser
	tableBy, _, err := p.ParseWithUnit("pkg", filter)
	if err != nil {
		return nil, err
	}
	rowBy, err := p.Parse(".fullname", filter)
	if err != nil {
		return nil, err
	}
	colBy, err := p.Parse(c.key+"@("+strings.Join(c.values, " ")+")", filter)
	if err != nil {
		return nil, err
	}

	type tkey struct{ t, r, c benchproc.Key }
	values := map[tkey][]float64{}
	seen := map[benchproc.Key]map[benchproc.Key]bool{}
	seenCols := map[benchproc.Key]map[benchproc.Key]bool{}
	var tkeys []benchproc.Key
	for _, r := range results {
		if ok, _ := filter.Apply(r); !ok {
			continue
		}
		row, col := rowBy.Project(r), colBy.Project(r)
		for i, tk := range tableBy.ProjectValues(r) {
			if seen[tk] == nil {
				seen[tk], seenCols[tk] = map[benchproc.Key]bool{}, map[benchproc.Key]bool{}
				tkeys = append(tkeys, tk)
			}
			seen[tk][row], seenCols[tk][col] = true, true
			k := tkey{tk, row, col}
			values[k] = append(values[k], r.Values[i].Value)
		}
	}
	benchproc.SortKeys(tkeys)

	var tables []*table
	for _, tk := range tkeys {
		rows, cols := sortedKeys(seen[tk]), sortedKeys(seenCols[tk])
		fields := tk.Projection().FlattenedFields()
		t := &table{
			pkg:   tk.Get(fields[0]),
			unit:  tk.Get(fields[len(fields)-1]),
			cells: map[[2]int]*cell{},
			alpha: benchmath.DefaultThresholds.CompareAlpha,
		}
		t.assumption = units.GetAssumption(t.unit)
		for _, r := range rows {
			t.rows = append(t.rows, r.StringValues())
		}
		for _, c := range cols {
			t.cols = append(t.cols, c.StringValues())
		}
		for i, r := range rows {
			for j, c := range cols {
				v, ok := values[tkey{tk, r, c}]
				if !ok {
					continue
				}
				s := benchmath.NewSample(v, &benchmath.DefaultThresholds)
				t.cells[[2]int{i, j}] = &cell{sample: s, summary: t.assumption.Summary(s, confidence)}
			}
			base := t.cells[[2]int{i, 0}]
			for j := 1; j < len(cols) && base != nil; j++ {
				if cl := t.cells[[2]int{i, j}]; cl != nil {
					cmp := t.assumption.Compare(base.sample, cl.sample)
					cl.cmp = &cmp
				}
			}
		}
		tables = append(tables, t)
	}
	return tables, nil
}

func sortedKeys(m map[benchproc.Key]bool) []benchproc.Key {
	keys := make([]benchproc.Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	benchproc.SortKeys(keys)
	return keys
}

// center returns the median of row i, column j, and whether there is one.
func (t *table) center(i, j int) (float64, bool) {
	c := t.cells[[2]int{i, j}]
	if c == nil {
		return 0, false
	}
	return c.summary.Center, true
}

// lowerIsBetter reports whether smaller values of the unit are the good
// ones (time, allocations) rather than larger (throughput).
func lowerIsBetter(unit string) bool { return !strings.HasSuffix(unit, "/s") }

// speedup returns how many times faster column j is than the baseline in
// row i (the ratio of medians, oriented by the unit), and whether both
// exist.
func (t *table) speedup(i, j int) (float64, bool) {
	b, ok1 := t.center(i, 0)
	v, ok2 := t.center(i, j)
	if !ok1 || !ok2 || b == 0 || v == 0 {
		return 0, false
	}
	if lowerIsBetter(t.unit) {
		return b / v, true
	}
	return v / b, true
}

// geomean returns the geometric mean of the positive values, or false.
func geomean(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	var s float64
	for _, x := range xs {
		if !(x > 0) {
			return 0, false
		}
		s += math.Log(x)
	}
	return math.Exp(s / float64(len(xs))), true
}

// grid is a text table of flat columns; a header row may span groups of
// them.
type grid struct {
	rows  [][]string
	right []bool // per column: right-aligned
	seps  []string
}

func (g *grid) widths() []int {
	var w []int
	for _, r := range g.rows {
		for i, s := range r {
			for len(w) <= i {
				w = append(w, 0)
			}
			w[i] = max(w[i], textWidth(s))
		}
	}
	return w
}

// textWidth counts runes, which is the column count for the µ, ±, × and
// │ this tool prints.
func textWidth(s string) int { return len([]rune(s)) }

func pad(s string, w int, right bool) string {
	n := w - textWidth(s)
	if n <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", n) + s
	}
	return s + strings.Repeat(" ", n)
}

func center(s string, w int) string {
	n := w - textWidth(s)
	if n <= 0 {
		return s
	}
	return strings.Repeat(" ", n/2) + s + strings.Repeat(" ", n-n/2)
}

// formatTable writes t in the layout of cmd/benchstat: per column the
// median ± the 95% confidence range, and outside the baseline the change
// against it with its p-value ("~" when not significant at α = 0.05).
// A geomean row closes tables of more than one row.
func formatTable(w io.Writer, t *table) {
	cls := benchunit.ClassOf(t.unit)
	// Flat columns: label, then per table column: center, "± range",
	// and outside the baseline: delta, "(p=… n=…)".
	start := func(j int) int {
		if j == 0 {
			return 1
		}
		return 3 + (j-1)*4
	}
	ncol := start(len(t.cols))
	g := grid{right: make([]bool, ncol), seps: make([]string, ncol)}
	for j := range t.cols {
		s := start(j)
		g.right[s], g.right[s+1] = true, true
		g.seps[s], g.seps[s+1] = " │ ", " ± "
		if j > 0 {
			g.right[s+2] = true
			g.seps[s+2], g.seps[s+3] = "  ", " "
		}
	}
	geo := make([][]float64, len(t.cols))
	ratios := make([][]float64, len(t.cols))
	for i, label := range t.rows {
		row := make([]string, ncol)
		row[0] = label
		var vals []float64
		for j := range t.cols {
			if v, ok := t.center(i, j); ok {
				vals = append(vals, v)
			}
		}
		sc := benchunit.CommonScale(vals, cls)
		for j := range t.cols {
			c := t.cells[[2]int{i, j}]
			if c == nil {
				continue
			}
			s := start(j)
			row[s], row[s+1] = sc.Format(c.summary.Center), c.summary.PctRangeString()
			geo[j] = append(geo[j], c.summary.Center)
			if c.cmp != nil {
				b, _ := t.center(i, 0)
				row[s+2] = c.cmp.FormatDelta(b, c.summary.Center)
				row[s+3] = "(" + c.cmp.String() + ")"
				if b != 0 {
					ratios[j] = append(ratios[j], c.summary.Center/b)
				}
			}
		}
		g.rows = append(g.rows, row)
	}
	if len(t.rows) > 1 {
		row := make([]string, ncol)
		row[0] = "geomean"
		for j := range t.cols {
			s := start(j)
			if v, ok := geomean(geo[j]); ok {
				row[s] = benchunit.Scale(v, cls)
			}
			if j > 0 {
				if r, ok := geomean(ratios[j]); ok {
					row[s+2] = fmt.Sprintf("%+.2f%%", (r-1)*100)
				}
			}
		}
		g.rows = append(g.rows, row)
	}

	// The two header rows span each column's flat columns; widen the last
	// flat column of a group when its header is wider than the group.
	wd := g.widths()
	for len(wd) < ncol {
		wd = append(wd, 0)
	}
	span := func(j int) (int, int) { return start(j), start(j + 1) }
	groupWidth := func(a, b int) int {
		n := 0
		for k := a; k < b; k++ {
			if k > a {
				n += textWidth(g.seps[k])
			}
			n += wd[k]
		}
		return n
	}
	// Group j's second header line: the unit over the medians and ranges,
	// "vs base" over the changes.
	sub := func(j int) string {
		a, b := span(j)
		if j == 0 {
			return center(t.unit, groupWidth(a, b))
		}
		return center(t.unit, groupWidth(a, a+2)) + "  " + pad("vs base", groupWidth(a+2, b), false)
	}
	for j, name := range t.cols {
		a, b := span(j)
		if need := max(textWidth(name), textWidth(sub(j))); groupWidth(a, b) < need {
			wd[b-1] += need - groupWidth(a, b)
		}
	}

	var buf strings.Builder
	hdr := func(text func(j int) string) {
		buf.WriteString(strings.Repeat(" ", wd[0]))
		for j := range t.cols {
			a, b := span(j)
			buf.WriteString(" │ ")
			buf.WriteString(pad(text(j), groupWidth(a, b), false))
		}
		buf.WriteString(" │\n")
	}
	hdr(func(j int) string { a, b := span(j); return center(t.cols[j], groupWidth(a, b)) })
	hdr(sub)
	for _, r := range g.rows {
		buf.WriteString(pad(r[0], wd[0], false))
		for k := 1; k < ncol; k++ {
			sep := g.seps[k]
			if r[k] == "" && (sep == " ± " || sep == " ") {
				sep = strings.Repeat(" ", textWidth(sep))
			}
			buf.WriteString(sep)
			buf.WriteString(pad(r[k], wd[k], g.right[k]))
		}
		buf.WriteString(" │\n")
	}
	io.WriteString(w, buf.String())
}

// formatSpeedups writes, for tables whose unit is time, how many times
// faster each column is than the baseline (title says which way round),
// with the geomean.
func formatSpeedups(w io.Writer, t *table, title string, invert bool) {
	g := grid{right: make([]bool, len(t.cols)), seps: make([]string, len(t.cols))}
	hdr := []string{title}
	for j := 1; j < len(t.cols); j++ {
		hdr = append(hdr, t.cols[j])
		g.right[j], g.seps[j] = true, "  "
	}
	g.rows = append(g.rows, hdr)
	ratios := make([][]float64, len(t.cols))
	for i, label := range t.rows {
		row := []string{label}
		for j := 1; j < len(t.cols); j++ {
			s, ok := t.speedup(i, j)
			if !ok {
				row = append(row, "")
				continue
			}
			if invert {
				s = 1 / s
			}
			ratios[j] = append(ratios[j], s)
			row = append(row, formatRatio(s, t.cells[[2]int{i, j}].cmp))
		}
		g.rows = append(g.rows, row)
	}
	if len(t.rows) > 1 {
		row := []string{"geomean"}
		for j := 1; j < len(t.cols); j++ {
			s, ok := geomean(ratios[j])
			if !ok {
				row = append(row, "")
				continue
			}
			row = append(row, fmt.Sprintf("%.2f×", s))
		}
		g.rows = append(g.rows, row)
	}
	wd := g.widths()
	for _, r := range g.rows {
		for k, s := range r {
			io.WriteString(w, g.seps[k]+pad(s, wd[k], g.right[k]))
		}
		io.WriteString(w, "\n")
	}
}

// formatRatio prints a speed-up, marked "~" when the U-test cannot tell
// the two samples apart.
func formatRatio(s float64, cmp *benchmath.Comparison) string {
	r := fmt.Sprintf("%.2f×", s)
	if cmp != nil && cmp.P > cmp.Alpha {
		r += " ~"
	} else {
		r += "  "
	}
	return r
}

// A target is a figure the project promised: column col must be at least
// min times faster than the baseline (or, with invert, the baseline min
// times faster than col) in every row whose name starts with prefix.
type target struct {
	prefix, col string
	min         float64
	invert      bool
}

// checkTargets prints one line per target and row found: the measured
// ratio and whether it meets the target. It returns how many fall short.
func checkTargets(w io.Writer, t *table, targets []target) (short int) {
	for _, tg := range targets {
		j := slices.Index(t.cols, tg.col)
		if j < 0 {
			continue
		}
		for i, row := range t.rows {
			if !strings.HasPrefix(row, tg.prefix) {
				continue
			}
			s, ok := t.speedup(i, j)
			if !ok {
				continue
			}
			who, vs := tg.col, t.cols[0]
			if tg.invert {
				s, who, vs = 1/s, t.cols[0], tg.col
			}
			verdict := "ok"
			if s < tg.min {
				verdict = "SHORT"
				short++
			}
			fmt.Fprintf(w, "  %-28s %s %.2f× %s (target ≥ %.2g×): %s\n", row, who, s, vs, tg.min, verdict)
		}
	}
	return short
}
