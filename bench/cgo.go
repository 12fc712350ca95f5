//go:build cgo

package bench

/*
#include <stdint.h>

static int64_t syncore_bench_identity(int64_t x) { return x; }
*/
import "C"

// CgoAvailable reports whether the cgo benchmark can run.
const CgoAvailable = true

// CIdentity calls a trivial C function through cgo.
func CIdentity(x int64) int64 { return int64(C.syncore_bench_identity(C.int64_t(x))) }
