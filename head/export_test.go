package head

// SetCutTries sets the number of rejection draws of a cut (0 forces the
// exact fallback) and returns a function that restores it.
func SetCutTries(n int) func() {
	old := cutTries
	cutTries = n
	return func() { cutTries = old }
}

// CutCounts returns the number of s's cut draws so far and how many of
// them fell back to the exact selection.
func CutCounts(s *Sampler) (draws, fallbacks int) { return s.cutDraws, s.cutFallbacks }
