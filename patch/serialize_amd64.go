package patch

// serialize executes a serialising instruction (CPUID); see serialize_amd64.s.
func serialize()
