package membarrier

import (
	"fmt"
	"math/bits"
	"strings"
)

// Cmd is a membarrier(2) command (the cmd argument), one of the MEMBARRIER_CMD_*
// values of include/uapi/linux/membarrier.h. Every command but [CmdQuery] is a
// single bit, so a set of commands is a [CmdSet].
type Cmd int32

// The membarrier commands, with their uapi values.
const (
	CmdQuery                            Cmd = 0
	CmdGlobal                           Cmd = 1 << 0
	CmdGlobalExpedited                  Cmd = 1 << 1
	CmdRegisterGlobalExpedited          Cmd = 1 << 2
	CmdPrivateExpedited                 Cmd = 1 << 3
	CmdRegisterPrivateExpedited         Cmd = 1 << 4
	CmdPrivateExpeditedSyncCore         Cmd = 1 << 5
	CmdRegisterPrivateExpeditedSyncCore Cmd = 1 << 6
	CmdPrivateExpeditedRseq             Cmd = 1 << 7
	CmdRegisterPrivateExpeditedRseq     Cmd = 1 << 8
	CmdGetRegistrations                 Cmd = 1 << 9
)

// Flags is the flags argument of membarrier(2).
type Flags uint32

// FlagCPU (MEMBARRIER_CMD_FLAG_CPU) limits [CmdPrivateExpeditedRseq] to the
// CPU given as cpu_id. No other command accepts a flag.
const FlagCPU Flags = 1 << 0

// AllCmds is the set of every command this package knows (0x3ff).
const AllCmds CmdSet = 1<<10 - 1

var cmdNames = [...]string{
	"GLOBAL",
	"GLOBAL_EXPEDITED",
	"REGISTER_GLOBAL_EXPEDITED",
	"PRIVATE_EXPEDITED",
	"REGISTER_PRIVATE_EXPEDITED",
	"PRIVATE_EXPEDITED_SYNC_CORE",
	"REGISTER_PRIVATE_EXPEDITED_SYNC_CORE",
	"PRIVATE_EXPEDITED_RSEQ",
	"REGISTER_PRIVATE_EXPEDITED_RSEQ",
	"GET_REGISTRATIONS",
}

// Name is the uapi name without the MEMBARRIER_CMD_ prefix, e.g.
// "PRIVATE_EXPEDITED_SYNC_CORE"; an unknown value prints as hex.
func (c Cmd) Name() string {
	if c == CmdQuery {
		return "QUERY"
	}
	if c > 0 && bits.OnesCount32(uint32(c)) == 1 {
		if i := bits.TrailingZeros32(uint32(c)); i < len(cmdNames) {
			return cmdNames[i]
		}
	}
	return fmt.Sprintf("%#x", uint32(c))
}

// String returns the uapi name, e.g. "MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE".
func (c Cmd) String() string {
	if c.known() {
		return "MEMBARRIER_CMD_" + c.Name()
	}
	return fmt.Sprintf("MEMBARRIER_CMD(%#x)", uint32(c))
}

func (c Cmd) known() bool {
	return c == CmdQuery || (c > 0 && CmdSet(c)&^AllCmds == 0 && bits.OnesCount32(uint32(c)) == 1)
}

// IsRegister reports whether c is one of the REGISTER_* commands that [Register] takes.
func (c Cmd) IsRegister() bool {
	switch c {
	case CmdRegisterGlobalExpedited, CmdRegisterPrivateExpedited,
		CmdRegisterPrivateExpeditedSyncCore, CmdRegisterPrivateExpeditedRseq:
		return true
	}
	return false
}

// IsBarrier reports whether c is a barrier command that [Barrier] takes.
func (c Cmd) IsBarrier() bool {
	switch c {
	case CmdGlobal, CmdGlobalExpedited, CmdPrivateExpedited,
		CmdPrivateExpeditedSyncCore, CmdPrivateExpeditedRseq:
		return true
	}
	return false
}

// Registration returns the REGISTER_* command that the calling process must
// have issued before it may issue barrier c, or false when c needs none
// (GLOBAL, GLOBAL_EXPEDITED, and every command that is not a barrier).
func (c Cmd) Registration() (Cmd, bool) {
	switch c {
	case CmdPrivateExpedited:
		return CmdRegisterPrivateExpedited, true
	case CmdPrivateExpeditedSyncCore:
		return CmdRegisterPrivateExpeditedSyncCore, true
	case CmdPrivateExpeditedRseq:
		return CmdRegisterPrivateExpeditedRseq, true
	}
	return 0, false
}

// CmdSet is a set of commands, as QUERY and GET_REGISTRATIONS return it: bit
// i set means the command 1<<i is in the set. [CmdQuery] (0) is never a member.
type CmdSet uint32

// Has reports whether c is in s. It is false for [CmdQuery] and for any value
// that is not a single known command.
func (s CmdSet) Has(c Cmd) bool {
	return c != CmdQuery && c.known() && s&CmdSet(c) != 0
}

// Cmds lists the commands in s in ascending order; bits this package does
// not know are left out (see [CmdSet.String]).
func (s CmdSet) Cmds() []Cmd {
	var out []Cmd
	for b := s & AllCmds; b != 0; b &= b - 1 {
		out = append(out, Cmd(1)<<bits.TrailingZeros32(uint32(b)))
	}
	return out
}

// String lists the members by their short uapi names joined with "|", e.g.
// "PRIVATE_EXPEDITED|PRIVATE_EXPEDITED_SYNC_CORE"; bits this package does not
// know follow in hex; the empty set is "none".
func (s CmdSet) String() string {
	if s == 0 {
		return "none"
	}
	var parts []string
	for _, c := range s.Cmds() {
		parts = append(parts, c.Name())
	}
	if rest := s &^ AllCmds; rest != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(rest)))
	}
	return strings.Join(parts, "|")
}
