package jit

// SyncICache makes the n bytes at offset off of b, just written through
// b.RW, visible to instruction fetch through b.RX on every processor's
// caches. It is the writer's half of the cross-modification rule; the
// executing threads' half (a context-synchronising event) is the barrier.
//
//   - ppc64le: for each cache line, dcbst (push the data-cache line to
//     memory) then sync, then icbi on each line of the executable view, sync,
//     isync (Power ISA Book II §1.7 / "Instruction Storage"; the sequence
//     CMODX prescribes for the modifying processor).
//   - amd64: nothing: instruction caches are coherent with data writes
//     (Intel SDM Vol. 3 §8.1.3); serialising the executing cores is the
//     barrier's job.
func SyncICache(b Block, off, n int) {
	if n <= 0 {
		return
	}
	if off < 0 || off+n > len(b.RW) {
		panic("BUG: SyncICache range outside the block")
	}
	syncICache(b, off, n)
}
