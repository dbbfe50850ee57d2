package lmhead_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead"
)

func TestSupported(t *testing.T) {
	s := lmhead.Supported()
	require.NotEmpty(t, s)
	require.Equal(t, lmhead.Generic, s[len(s)-1], "Generic is always last")
	for i, isa := range s[:len(s)-1] {
		require.NotEqual(t, lmhead.Generic, isa, "Generic only at the end (index %d)", i)
	}
	if os.Getenv("LMHEAD_ISA") == "" {
		require.Equal(t, s[0], lmhead.Active(), "with no LMHEAD_ISA the best level is active")
	}
	t.Logf("supported %v, active %v", s, lmhead.Active())
}

// TestExpectedISA lets CI state what the dispatch must choose on a given CPU
// (e.g. avx2 under qemu -cpu Haswell, generic under -cpu Nehalem).
func TestExpectedISA(t *testing.T) {
	want := os.Getenv("LMHEAD_EXPECT_ISA")
	if want == "" {
		t.Skip("LMHEAD_EXPECT_ISA not set; .ci/run sets it for the emulated CPUs")
	}
	require.Equal(t, want, lmhead.Active().String())
}

func TestUse(t *testing.T) {
	prev := lmhead.Active()
	defer func() { require.NoError(t, lmhead.Use(prev)) }()
	supported := map[lmhead.ISA]bool{}
	for _, isa := range lmhead.Supported() {
		supported[isa] = true
		require.NoError(t, lmhead.Use(isa))
		require.Equal(t, isa, lmhead.Active())
	}
	for _, isa := range []lmhead.ISA{lmhead.Generic, lmhead.AVX2, lmhead.AVX512, lmhead.NEON} {
		if supported[isa] {
			continue
		}
		before := lmhead.Active()
		err := lmhead.Use(isa)
		require.Error(t, err, "Use(%v) on a CPU or build without it", isa)
		require.Contains(t, err.Error(), isa.String())
		require.Equal(t, before, lmhead.Active(), "a failed Use changes nothing")
		t.Log(err)
	}
}

func TestISAString(t *testing.T) {
	for isa, name := range map[lmhead.ISA]string{lmhead.Generic: "generic", lmhead.AVX2: "avx2", lmhead.AVX512: "avx512", lmhead.NEON: "neon"} {
		require.Equal(t, name, isa.String())
		got, err := lmhead.ParseISA(strings.ToUpper(name))
		require.NoError(t, err)
		require.Equal(t, isa, got)
	}
	require.Equal(t, "ISA(9)", lmhead.ISA(9).String())
	_, err := lmhead.ParseISA("sse9")
	require.ErrorContains(t, err, `"sse9"`)
}
