//go:build !linux

package membarrier

import "runtime"

// Call fails with [ErrUnsupported]: membarrier(2) exists on Linux only.
func Call(cmd Cmd, flags Flags, cpuID int) (int, error) {
	return -1, &Error{Op: "call", Cmd: cmd, Flags: flags, CPU: cpuID, Kind: ErrUnsupported,
		Why: "membarrier(2) is Linux only, this is " + runtime.GOOS}
}

// Query fails with [ErrUnsupported] off Linux.
func Query() (CmdSet, error) { _, err := Call(CmdQuery, 0, 0); return 0, err }

// Registrations fails with [ErrUnsupported] off Linux.
func Registrations() (CmdSet, error) { _, err := Call(CmdGetRegistrations, 0, 0); return 0, err }

// Register fails with [ErrUnsupported] off Linux.
func Register(cmd Cmd) error { _, err := Call(cmd, 0, 0); return err }

// Barrier fails with [ErrUnsupported] off Linux.
func Barrier(cmd Cmd) error { _, err := Call(cmd, 0, 0); return err }

// SyncCore fails with [ErrUnsupported] off Linux.
func SyncCore() error { return Barrier(CmdPrivateExpeditedSyncCore) }

// BarrierOnCPU fails with [ErrUnsupported] off Linux.
func BarrierOnCPU(cmd Cmd, cpu int) error { _, err := Call(cmd, FlagCPU, cpu); return err }
