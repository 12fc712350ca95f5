// Package bench compares syncore with what a VM implementer would use
// instead: wazero (a Wasm runtime with an optimising compiler), cgo and
// plain Go. It is a module of its own, so the main module does not depend on
// wazero; the benchmarks are in bench_test.go and the results, with the
// goals they are judged against, in ../docs/PERFORMANCE.md.
//
// Run them with `make bench` (benchstat over -count 6) or `make bench-quick`
// from the repository root.
package bench
