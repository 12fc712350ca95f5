package membarrier

import "fmt"

func opOf(cmd Cmd) string {
	switch {
	case cmd == CmdQuery:
		return "query"
	case cmd == CmdGetRegistrations:
		return "registrations"
	case cmd.IsRegister():
		return "register"
	}
	return "barrier"
}

// Query returns the commands this kernel supports on this architecture
// (MEMBARRIER_CMD_QUERY). Linux 6.3+ on x86-64 reports every command, [AllCmds].
func Query() (CmdSet, error) {
	r, err := Call(CmdQuery, 0, 0)
	if err != nil {
		return 0, err
	}
	return CmdSet(r), nil
}

// Registrations returns the registrations of the calling process as a set of
// REGISTER_* commands (MEMBARRIER_CMD_GET_REGISTRATIONS, Linux 6.3+; on older
// kernels an [ErrUnsupported] error that says so).
//
// Beware a kernel quirk (seen on 6.18): after REGISTER_PRIVATE_EXPEDITED_SYNC_CORE
// (or _RSEQ) alone the set also holds REGISTER_PRIVATE_EXPEDITED, yet a plain
// PRIVATE_EXPEDITED barrier is still refused with EPERM until that command is
// registered itself. Test readiness by issuing the barrier, not by this set.
func Registrations() (CmdSet, error) {
	r, err := Call(CmdGetRegistrations, 0, 0)
	if err != nil {
		return 0, err
	}
	return CmdSet(r), nil
}

// Register issues a REGISTER_* command for the calling process. Registration
// is per process, permanent, inherited across fork() and cleared by exec(); in
// a multi-threaded process it waits for an RCU grace period (milliseconds), so
// do it once at start-up. Registering twice is harmless. A command that is not
// a registration gives [ErrInvalidCmd] without a system call.
func Register(cmd Cmd) error {
	if !cmd.IsRegister() {
		return &Error{Op: "register", Cmd: cmd, Kind: ErrInvalidCmd,
			Why: "not a REGISTER_* command"}
	}
	_, err := Call(cmd, 0, 0)
	return err
}

// Barrier issues barrier command cmd (GLOBAL, GLOBAL_EXPEDITED,
// PRIVATE_EXPEDITED, PRIVATE_EXPEDITED_SYNC_CORE or PRIVATE_EXPEDITED_RSEQ);
// when it returns nil, the command's guarantee (see the package doc) holds.
// Any other command gives [ErrInvalidCmd] without a system call; a private
// command before its registration gives [ErrNotRegistered].
func Barrier(cmd Cmd) error {
	if !cmd.IsBarrier() {
		return &Error{Op: "barrier", Cmd: cmd, Kind: ErrInvalidCmd,
			Why: "not a barrier command"}
	}
	_, err := Call(cmd, 0, 0)
	return err
}

// SyncCore is Barrier(CmdPrivateExpeditedSyncCore): when it returns nil, every
// running sibling thread of the process has executed a core-serialising
// instruction, so a thread that next fetches modified code fetches it anew
// (Intel SDM Vol. 3 §8.1.3; Power ISA Book II CMODX). It needs
// Register(CmdRegisterPrivateExpeditedSyncCore) first. It does not touch
// caches: on ppc64 the writer flushes them itself before calling it.
func SyncCore() error {
	_, err := Call(CmdPrivateExpeditedSyncCore, 0, 0)
	return err
}

// BarrierOnCPU issues cmd with [FlagCPU] and cpu as cpu_id; the kernel accepts
// this for [CmdPrivateExpeditedRseq] only (any other command gives
// [ErrUnsupported], EINVAL). The kernel treats a CPU that is offline or beyond
// the last one as nothing to do and returns success. A negative cpu gives
// [ErrInvalidCmd] without a system call (the kernel would read it as "all CPUs").
func BarrierOnCPU(cmd Cmd, cpu int) error {
	if cpu < 0 {
		return &Error{Op: "barrier", Cmd: cmd, Flags: FlagCPU, CPU: cpu, Kind: ErrInvalidCmd,
			Why: fmt.Sprintf("cpu %d is negative", cpu)}
	}
	_, err := Call(cmd, FlagCPU, cpu)
	return err
}
