package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *report) writeText(w io.Writer) error {
	var b strings.Builder
	c := r.Config
	fmt.Fprintf(&b, "CPU:        %s\n", r.CPU)
	fmt.Fprintf(&b, "ISAs:       %s (active: %s)\n", strings.Join(r.Supported, ", "), r.Active)
	if m := r.Model; m != nil {
		tied := "untied"
		if m.Tied {
			tied = "tied"
		}
		arch := m.Architecture
		if arch == "" {
			arch = "architecture not stated"
		}
		fmt.Fprintf(&b, "model:      %s (%s, %s)\n", m.Path, m.Kind, arch)
		fmt.Fprintf(&b, "head:       %s: V = %d, d = %d, %s, %s, softcap %s, logit scale %s; %s in the file, %s on disk\n",
			m.Tensor, c.Vocab, c.Hidden, m.Format, tied, offIf(m.Softcap == 0, fmt.Sprint(m.Softcap)),
			offIf(m.LogitScale == 0, fmt.Sprint(m.LogitScale)), byteSize(r.WeightBytes), byteSize(uint64(m.FileBytes)))
		fmt.Fprintf(&b, "hidden:     %s\n", m.Hidden)
	} else {
		kind := "tied"
		if c.MoS > 0 {
			kind = fmt.Sprintf("tied, Mixture of Softmaxes K = %d", c.MoS)
		}
		fmt.Fprintf(&b, "head:       V = %d, d = %d, %s, %s, seed %d; %s of weights generated in %.1f s\n",
			c.Vocab, c.Hidden, kind, c.Format, c.Seed, byteSize(r.WeightBytes), r.WeightSeconds)
	}
	what := "the seeded hidden state"
	if r.Model != nil {
		what = "the hidden state"
	}
	fmt.Fprintf(&b, "\ntop %d next tokens of %s:\n", len(r.Top[0].Tokens), what)
	rows := [][]string{{""}}
	for _, l := range r.Top {
		rows[0] = append(rows[0], "", fmt.Sprintf("τ = %g", l.Temperature))
	}
	for i := range r.Top[0].Tokens {
		row := []string{fmt.Sprintf("%d.", i+1)}
		for _, l := range r.Top {
			if i < len(l.Tokens) {
				row = append(row, tokenLabel(l.Tokens[i].ID, l.Tokens[i].Text), fmt.Sprintf("%.4f", l.Tokens[i].Prob))
			}
		}
		rows = append(rows, row)
	}
	writeGrid(&b, rows, false)

	fmt.Fprintf(&b, "\n%d tokens sampled (seed %d, τ = %g, top-k %s, top-p %s, min-p %s):\n ",
		len(r.Samples), c.Seed, c.Temperature, offIf(c.TopK == 0, fmt.Sprint(c.TopK)),
		offIf(c.TopP == 1, fmt.Sprint(c.TopP)), offIf(c.MinP == 0, fmt.Sprint(c.MinP)))
	for _, t := range r.Samples {
		fmt.Fprintf(&b, " #%d", t)
	}
	b.WriteString("\n")

	fmt.Fprintf(&b, "\ntiming: median of %d steps, %d workers, %s of weights per step; read bandwidth measured now: %.1f GB/s\n",
		c.Steps, c.Workers, byteSize(r.WeightBytes), r.ReadGBps)
	rows = [][]string{{"op", r.Active, "GB/s", "% of read", "generic", "speed-up"}}
	for _, t := range r.Timing {
		rows = append(rows, []string{t.Op, duration(t.MedianSeconds), fmt.Sprintf("%.1f", t.GBps),
			fmt.Sprintf("%.0f%%", t.PctRead), duration(t.GenericSecs), fmt.Sprintf("%.2f×", t.Speedup)})
	}
	writeGrid(&b, rows, true)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeGrid writes rows as columns two spaces apart, the first column
// left-aligned when leftFirst, every other one right-aligned.
func writeGrid(b *strings.Builder, rows [][]string, leftFirst bool) {
	var wd []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(wd) {
				wd = append(wd, 0)
			}
			wd[i] = max(wd[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		line := ""
		for i, c := range r {
			gap := strings.Repeat(" ", wd[i]-utf8.RuneCountInString(c))
			if i == 0 && leftFirst {
				line += "  " + c + gap
			} else {
				line += "  " + gap + c
			}
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
}

func offIf(off bool, v string) string {
	if off {
		return "off"
	}
	return v
}

// duration prints seconds with three significant digits.
func duration(s float64) string {
	d := time.Duration(s * 1e9)
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.3g s", s)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.3g ms", s*1e3)
	case d >= time.Microsecond:
		return fmt.Sprintf("%.3g µs", s*1e6)
	}
	return fmt.Sprintf("%.3g ns", s*1e9)
}

// tokenLabel is "#id", followed by the token's string, quoted, if known.
func tokenLabel(id int, text string) string {
	if text == "" {
		return fmt.Sprintf("#%d", id)
	}
	q := strconv.Quote(text)
	if utf8.RuneCountInString(q) > 18 {
		q = string([]rune(q)[:17]) + "…"
	}
	return fmt.Sprintf("#%d %s", id, q)
}
