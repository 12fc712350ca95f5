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
//   - arm64 (Arm ARM DDI 0487, "Concurrent modification and execution of
//     instructions" and "Synchronization and coherency issues between data
//     and instruction accesses"): unless
//     CTR_EL0.IDC says the data cache needs no cleaning to the point of
//     unification, DC CVAU on every data-cache line of the RW view (the data
//     caches are physically addressed, so either view cleans the same
//     lines; RW is the one just written), then DSB ISH; unless CTR_EL0.DIC
//     says so, IC IVAU on every instruction-cache line of the RX view (the
//     address instruction fetch uses: an instruction cache may be
//     virtually indexed), then DSB ISH; then ISB. Line sizes come from
//     CTR_EL0 (DminLine, IminLine), read once.
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
