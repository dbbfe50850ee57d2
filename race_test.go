//go:build race

package lmhead_test

// raceEnabled: under the race detector sync.Pool drops items at random (to
// expose misuse), so allocation counts are meaningless.
const raceEnabled = true
