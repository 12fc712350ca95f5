// Package patch changes machine code while other threads execute it.
//
// # Contract
//
// After a patch (Site.SetConst, Retarget, Arm, Disarm, or Batch.Commit)
// returns nil, every thread that next reaches the site executes the new
// code; a thread that is at or inside the site while it changes executes
// either the complete old or the complete new instruction, never a mix; no
// thread executes bytes that the protocol did not write.
//
// # Protocols
//
// Which protocol patches a site follows from the guarantee the assembler
// recorded for it (codegen.Site.Guarantee):
//
//   - AtomicSlot (amd64): the changed bytes lie inside one naturally aligned
//     qword; one atomic 8-byte store through the RW view replaces them,
//     then one barrier. Intel SDM Vol. 3 §8.1.1 makes that store atomic
//     for data only; that instruction fetch sees the whole old or new qword
//     is behaviour V8's jump-table slots and HotSpot's verified entry also
//     rely on, not an architectural promise (Intel's cross-modifying-code
//     errata are why Linux's text_poke_bp uses int3 and IPIs). The barrier
//     is §8.1.3's step: every executing thread serialises.
//   - SelfLoop (amd64, sites wider than a qword: pconst compiled as a
//     10-byte movabs): write a jump over the head that parks arriving threads
//     (HotSpot's jmp $-2, or here a jmp to a per-site stub that polls and
//     jumps back, so a parked thread can still yield to Go's
//     stop-the-world), barrier; write the tail, barrier; write the new head,
//     barrier.
//   - PatchClass (ppc64le, arm64): one aligned 4-byte store of an
//     instruction that may replace another under running threads, the
//     writer's cache maintenance (jit.SyncICache), then the barrier. On
//     ppc64le: b, bl or the preferred nop, then dcbst; sync; icbi; sync;
//     isync (Power ISA Book II, "Concurrent Modification and Execution of
//     Instructions"). On arm64 the name stands for the Arm ARM's set (B,
//     BL, NOP, BRK, SVC, HVC, SMC, ISB; syncore writes B, BL and NOP),
//     then DC CVAU; DSB ISH; IC IVAU; DSB ISH; ISB (Arm ARM DDI 0487
//     B2.2.5, "Concurrent modification and execution of instructions").
//   - DataSlot (every ISA): pconst loads its value from an aligned 8-byte
//     data word; a patch is one atomic store of data, no instruction
//     changes. This is the only form on ppc64le and arm64, where no
//     instruction that carries an immediate may change under running
//     threads; on amd64 it is the default and SelfLoop is the
//     code-patching alternative (jit.PConstCode), for comparison.
//
// Two more exist only as negative controls for the stress harness: Unsafe
// (byte-by-byte writes with a pause between them) and Straddle (a site wider
// than one atomic store written with several stores and no parking).
//
// # Barriers
//
// After each protocol phase the patcher makes the other threads catch up
// through a Barrier: membarrier SYNC_CORE (the default: every running
// sibling executes a core-serialising instruction, or on Power and arm64 a
// context-synchronising event, before it returns),
// PRIVATE_EXPEDITED, the mprotect TLB-shootdown trick, a cooperative
// handshake, membarrier GLOBAL, or none. New picks SYNC_CORE when the
// process registered for it (jit.New registers once, at start-up) and
// otherwise falls back in FallbackOrder, saying why (Patcher.Reason).
//
// # Batching and concurrency
//
// A Batch writes phase k of every site before the k-th barrier, so patching
// n sites costs as many barriers as the longest protocol has phases (1, or
// 3 with a SelfLoop site), not n times that. Every commit holds the
// runtime's writer lock (jit.Runtime.LockWrites), whichever Patcher makes
// it: sites may share an aligned word and the protocols read-modify-write
// whole words. A site's state is shared by every handle for it (Site.Value
// is one atomic load), and a batch finds duplicates by code location. A
// commit stops at a failed barrier (ErrBarrierFailed); a multi-phase site
// then stays parked (Site.Parked) until its next change completes.
//
// # Patching and closing
//
// Sites of a closed program fail with jit.ErrClosed, checked at commit
// under the writer lock, so no write can land in a block that a later
// program reuses. Site.RetargetFunc retargets a call site to a function of
// another program (the tiering pattern); the callee's program then cannot
// be closed (jit.ErrInUse) until the site moves on, and closing it after
// the retarget waits for the calls already inside (jit.Program.Close).
package patch
