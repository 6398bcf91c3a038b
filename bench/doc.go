// Package bench compares Kubus with raw goja, expr, cel-go and grule on the same decisions (see
// README.md). It is its own module so that the peer engines never enter Kubus's go.mod.
//
// Each competitor is written the way its own users would write it for speed: compiled once, one
// runtime or VM reused, one call per decision. compare_test.go checks that they all give identical
// answers before it benchmarks them.
package bench
