package jit

import (
	"encoding/binary"
	"fmt"
	"runtime"
)

// ProbeResult is what the coherence probe saw: whether code written through
// the RW view of a dual-mapped heap, then patched there, was executed as
// written through the RX view.
type ProbeResult struct {
	Ran      bool   // the probe ran
	Coherent bool   // the patched code was seen through the RX view
	Detail   string // what happened, in words
}

// probeCode returns a function that returns v: amd64 `mov eax, v; ret`
// (b8 imm32 c3); ppc64le `li r3, v; blr` (0x38600000|v, 0x4e800020);
// arm64 `movz w0, #v; ret` (0x52800000|v<<5, 0xd65f03c0).
func probeCode(v uint16) []byte {
	switch runtime.GOARCH {
	case "amd64":
		return []byte{0xb8, byte(v), byte(v >> 8), 0, 0, 0xc3}
	case "ppc64le":
		return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 0x38600000|uint32(v)), 0x4e800020)
	case "arm64": // movz w0, #v; ret
		return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 0x52800000|uint32(v)<<5), 0xd65f03c0)
	}
	return nil
}

// probeHeap writes a function through h's RW view, runs it through the RX
// view, patches it in place, and runs it again. With patched == false the
// second run is skipped (used to report the stale result in tests).
func probeHeap(h *Heap, pool *stackPool) (ProbeResult, error) {
	if err := Supported(); err != nil {
		return ProbeResult{Detail: err.Error()}, err
	}
	b, err := h.Alloc(16)
	if err != nil {
		return ProbeResult{}, err
	}
	run := func(v uint16) (int64, error) {
		code := probeCode(v)
		copy(b.RW, code)
		SyncICache(b, 0, len(code))
		return rawCall(pool, b.RX, b.RX, nil, nil, nil)
	}
	first, err := run(1)
	if err != nil {
		return ProbeResult{}, err
	}
	if first != 1 {
		return ProbeResult{Ran: true, Detail: fmt.Sprintf("freshly written code returned %d, want 1", first)}, nil
	}
	second, err := run(2)
	if err != nil {
		return ProbeResult{}, err
	}
	if second != 2 {
		return ProbeResult{Ran: true, Detail: fmt.Sprintf(
			"a patch written through the RW view was not executed through the RX view (returned %d, want 2): instruction fetch does not see writes made through the alias (qemu-user behaves so)", second)}, nil
	}
	return ProbeResult{Ran: true, Coherent: true, Detail: "a patch written through the RW view was executed through the RX view"}, nil
}
