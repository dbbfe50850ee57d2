package main

import (
	"bufio"
	"fmt"
	"math"
	"math/bits"
	"os"
	"strconv"
	"strings"
)

// mul returns a·b and whether it fits 64 bits.
func mul(a uint64, b ...uint64) (uint64, bool) {
	for _, x := range b {
		hi, lo := bits.Mul64(a, x)
		if hi != 0 {
			return 0, false
		}
		a = lo
	}
	return a, true
}

// sizes returns the element counts of the run's matrices: the V×d
// unembedding, the MoS prior (K×d) and latent (K·d×d), and the V-sized
// buffers of the head, the sampler and the report (a generous 8 + 2K of
// them). ok is false if a count overflows 64 bits.
func sizes(vocab, hidden, mos int) (emb, prior, latent, buffers uint64, ok bool) {
	v, d, k := uint64(vocab), uint64(hidden), uint64(mos)
	var ok1, ok2, ok3, ok4 bool
	emb, ok1 = mul(v, d)
	prior, ok2 = mul(k, d)
	latent, ok3 = mul(k, d, d)
	buffers, ok4 = mul(v, 8+2*k)
	return emb, prior, latent, buffers, ok1 && ok2 && ok3 && ok4 && k < 1<<32
}

// memoryNeeded returns the bytes a run needs, and false if that count
// overflows 64 bits.
func memoryNeeded(vocab, hidden, mos int) (uint64, bool) {
	emb, prior, latent, buffers, ok := sizes(vocab, hidden, mos)
	if !ok {
		return 0, false
	}
	var total uint64
	for _, n := range []uint64{emb, prior, latent, buffers} {
		b, ok := mul(n, 4)
		if !ok {
			return 0, false
		}
		var carry uint64
		if total, carry = bits.Add64(total, b, 0); carry != 0 {
			return 0, false
		}
	}
	return total, true
}

// weightBytes returns the bytes of seeded weights a run generates. Only
// call it once memoryNeeded has accepted the sizes.
func weightBytes(o *options) uint64 {
	emb, prior, latent, _, _ := sizes(o.vocab, o.hidden, o.mos)
	return 4 * (emb + prior + latent)
}

// memAvailable returns the memory the kernel says can be allocated
// without swapping (MemAvailable in /proc/meminfo), and false where that
// is unknown.
func memAvailable() (uint64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, false
		}
		return kb * 1024, true
	}
	return 0, false
}

// fitsMemory refuses, before anything is allocated, a head whose matrices
// could not be indexed by an int or would not fit in the available memory.
func fitsMemory(need uint64, o *options) error {
	emb, _, latent, _, _ := sizes(o.vocab, o.hidden, o.mos)
	for _, n := range []uint64{emb, latent} {
		if n > math.MaxInt {
			return usagef("-vocab %d × -hidden %d (-mos %d): %d elements in one matrix, more than this platform can index (%d)",
				o.vocab, o.hidden, o.mos, n, math.MaxInt)
		}
	}
	avail, ok := memAvailable()
	if !ok {
		// No /proc/meminfo (macOS, Windows): a fixed ceiling, so that a
		// mistyped size still fails with a message rather than the
		// runtime's fatal out-of-memory error.
		if need > unknownMemoryCeiling {
			return usagef("-vocab %d × -hidden %d (-mos %d) needs %s of memory (%s of weights), more than the %s this program allows where it cannot read the free memory",
				o.vocab, o.hidden, o.mos, byteSize(need), byteSize(weightBytes(o)), byteSize(unknownMemoryCeiling))
		}
		return nil
	}
	if need > avail {
		return usagef("-vocab %d × -hidden %d (-mos %d) needs %s of memory (%s of weights), but only %s is available",
			o.vocab, o.hidden, o.mos, byteSize(need), byteSize(weightBytes(o)), byteSize(avail))
	}
	return nil
}

// unknownMemoryCeiling is the most a run may need where the free memory
// cannot be read: 64 GiB, more than any single LM head needs (the largest
// open ones, 256k × 16k, are 16 GiB).
const unknownMemoryCeiling = 64 << 30

// byteSize formats a byte count in decimal units, as GB/s is.
func byteSize(n uint64) string {
	f := float64(n)
	for _, u := range []string{"B", "kB", "MB", "GB", "TB", "PB"} {
		if f < 1000 || u == "PB" {
			if u == "B" {
				return fmt.Sprintf("%d B", n)
			}
			return fmt.Sprintf("%.1f %s", f, u)
		}
		f /= 1000
	}
	return ""
}
