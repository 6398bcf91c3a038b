//go:build !race

package engine_test

// raceSlowdown scales the time bounds of tests (see race_on_test.go).
const raceSlowdown = 1
