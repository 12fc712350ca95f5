//go:build amd64 || arm64 || ppc64le

package litmus

// The operations' memory accesses, in assembly (ops_*.s) so that each is
// exactly the instruction the format promises: the compiler neither merges
// nor reorders them, Go's atomics add no fences of their own (on ppc64le an
// atomic load of Go ends with isync, which would serialise every load), and
// the race detector does not watch the stores into code, which are the
// test's point.

// load32 and load64 read the aligned word at addr (a plain load).
func load32(addr uintptr) uint32
func load64(addr uintptr) uint64

// store8, store32 and store64 write the aligned word at addr with one plain
// store.
func store8(addr uintptr, v uint8)
func store32(addr uintptr, v uint32)
func store64(addr uintptr, v uint64)

// loadAcquire reads *p, ordered before the thread's later loads and stores:
// amd64 mov (TSO), ppc64le ld; lwsync, arm64 ldar. It is not
// context-synchronising.
//
//go:noescape
func loadAcquire(p *uint64) uint64

// storeRelease writes v to *p after the thread's earlier loads and stores
// (code stores included) are visible: amd64 mov (TSO), ppc64le lwsync; std,
// arm64 stlr.
//
//go:noescape
func storeRelease(p *uint64, v uint64)

// serialise executes a serialising instruction: cpuid (Intel SDM Vol. 3
// §8.3), isync (Power ISA Book I §1.7.1: context-synchronising), isb (Arm
// ARM: a context synchronization event).
func serialise()

// spin counts n down in a register: the random delay before a thread's
// operations.
func spin(n uint64)
