// Package litmus runs cross-modification litmus tests: small code-patching
// tests, run millions of times, that report per outcome what the
// architecture allows and what this CPU did.
//
// A test (a .litmus file; docs/litmus.md describes the format) names the
// initial code of one or more patch sites and data words, two or more
// threads of operations — write a site's new version through the RW view or
// the executable mapping (in one store, byte by byte, straddling, or in the
// self-loop protocol's three phases: park, tail, head), store and load a
// data word, execute a site and
// record which version ran, serialise the thread, membarrier SYNC_CORE, the
// writer's cache maintenance — and a final condition such as
//
//	exists (1:flag=1 /\ 1:ran=old)
//
// with the verdict each ISA's rules give (allowed or forbidden) and the
// manual section it comes from: Intel SDM Vol. 3 §8.1.3 for amd64, Power
// ISA Book II "Concurrent Modification and Execution of Instructions" for
// ppc64le, Arm ARM B2.2.5 for arm64 (docs/protocols.md quotes each).
//
// One file is ISA-neutral: each site version is a tiny function that
// returns a value identifying the version, and the runner assembles it for
// the host (codegen/amd64, codegen/ppc64, codegen/arm64).
//
// [Run] runs a test's iterations in a child process (this executable started
// again: call [ChildMain] first thing in main or TestMain), so that code torn
// by a write that crashes counts as an outcome "crash" and the run goes on.
// Threads are locked to OS threads and pinned to distinct CPUs where
// possible; each iteration resets the sites (write, jit.SyncICache,
// membarrier SYNC_CORE), meets at a spin barrier, waits a random delay and
// runs the threads' operations, litmus7-style. The [Result] holds the
// outcome histogram, whether the condition was seen Never, Sometimes or
// Always, the verdict for the running ISA, and [Result.Forbidden] when an
// outcome the ISA forbids was observed.
//
// Under qemu-user (ppc64le, arm64) results are labelled emulated: qemu
// translates the guest's code and keeps its caches coherent, so it cannot
// show what hardware instruction fetch does.
//
// [All] is the catalogue embedded from litmus/tests.
package litmus
