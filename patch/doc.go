// Package patch changes machine code while other threads execute it: patch
// sites, the per-ISA protocols (amd64 atomic slot and self-loop, ppc64le patch
// class and data slots), barrier strategies with membarrier SYNC_CORE as the
// default, batching, and the stress harness.
//
// Not built yet: this package holds only its documentation until the patch
// issue lands (see README.md, "Status").
package patch
