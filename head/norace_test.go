//go:build !race

package head_test

const raceEnabled = false
