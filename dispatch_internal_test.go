package lmhead

import (
	"reflect"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestGenericComplete checks that the generic set has every kernel, so that
// withGeneric can fill any gap.
func TestGenericComplete(t *testing.T) {
	v := reflect.ValueOf(genericKernels)
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsNil() {
			t.Errorf("genericKernels.%s is nil", v.Type().Field(i).Name)
		}
	}
	for _, l := range allLevels() {
		k := reflect.ValueOf(l.kernels)
		for i := 0; i < k.NumField(); i++ {
			if k.Field(i).IsNil() {
				t.Errorf("%v: kernel %s is nil", l.isa, k.Type().Field(i).Name)
			}
		}
	}
}

// TestCapLevel drives the LMHEAD_ISA logic with made-up CPUs.
func TestCapLevel(t *testing.T) {
	all := func(...cpuid.FeatureID) bool { return true }
	none := func(fs ...cpuid.FeatureID) bool { return len(fs) == 0 }
	levels := allLevels()
	best := levels[0].isa
	for _, c := range []struct {
		env  string
		has  func(...cpuid.FeatureID) bool
		want ISA
	}{
		{"generic", all, Generic},
		{"GENERIC", all, Generic},
		{"nonsense", all, Generic},
		{"", all, Generic},
		{best.String(), all, best},
		{best.String(), none, Generic},
	} {
		if got := capLevel(c.env, c.has).isa; got != c.want {
			t.Errorf("capLevel(%q) = %v, want %v", c.env, got, c.want)
		}
	}
	// Each level, asked for on a CPU that has everything, is itself; on a
	// CPU that lacks it, the next one down that the CPU has.
	for i, l := range levels {
		if got := capLevel(l.isa.String(), all).isa; got != l.isa {
			t.Errorf("capLevel(%v) on a full CPU = %v", l.isa, got)
		}
		lacks := func(fs ...cpuid.FeatureID) bool { return !reflect.DeepEqual(fs, l.features) || len(fs) == 0 }
		want := Generic
		for _, m := range levels[i+1:] {
			if lacks(m.features...) {
				want = m.isa
				break
			}
		}
		if got := capLevel(l.isa.String(), lacks).isa; got != want {
			t.Errorf("capLevel(%v) on a CPU without it = %v, want %v", l.isa, got, want)
		}
	}
	if got := bestLevel(none).isa; got != Generic {
		t.Errorf("bestLevel on a bare CPU = %v", got)
	}
}
