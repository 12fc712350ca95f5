//go:build linux

package membarrier_test

import (
	"errors"
	"fmt"

	"github.com/syncore/syncore/membarrier"
)

// Register for the core-serialising barrier once, at start-up, then issue it
// after every change to code that other threads may be running.
func Example() {
	supported, err := membarrier.Query()
	if err != nil || !supported.Has(membarrier.CmdPrivateExpeditedSyncCore) {
		fmt.Println("no SYNC_CORE barrier here:", err)
		return
	}
	// Once per process: it waits for an RCU grace period (milliseconds).
	if err := membarrier.Register(membarrier.CmdRegisterPrivateExpeditedSyncCore); err != nil {
		fmt.Println(err)
		return
	}
	// After each patch: when it returns nil, every running sibling thread
	// has executed a core-serialising instruction.
	err = membarrier.SyncCore()
	fmt.Println("SYNC_CORE barrier:", err)
	// Output: SYNC_CORE barrier: <nil>
}

// Which registration a barrier needs.
func ExampleCmd_Registration() {
	for _, c := range []membarrier.Cmd{membarrier.CmdPrivateExpeditedSyncCore, membarrier.CmdGlobal} {
		reg, ok := c.Registration()
		if !ok {
			fmt.Println(c.Name(), "needs no registration")
			continue
		}
		fmt.Println(c.Name(), "needs", reg.Name())
	}
	// Output:
	// PRIVATE_EXPEDITED_SYNC_CORE needs REGISTER_PRIVATE_EXPEDITED_SYNC_CORE
	// GLOBAL needs no registration
}

// Errors carry a sentinel to test with errors.Is. A barrier command is not a
// registration, so Register refuses it without a system call.
func ExampleRegister_invalidCmd() {
	err := membarrier.Register(membarrier.CmdPrivateExpedited)
	fmt.Println(errors.Is(err, membarrier.ErrInvalidCmd))
	// Output: true
}

// A CmdSet prints its members by their short uapi names.
func ExampleCmdSet_String() {
	s := membarrier.CmdSet(membarrier.CmdRegisterPrivateExpedited | membarrier.CmdRegisterPrivateExpeditedSyncCore)
	fmt.Println(s, s.Has(membarrier.CmdRegisterPrivateExpedited))
	// Output: REGISTER_PRIVATE_EXPEDITED|REGISTER_PRIVATE_EXPEDITED_SYNC_CORE true
}
