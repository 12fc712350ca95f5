package patch

// serialize executes a context-synchronising instruction (isync); see
// serialize_ppc64le.s.
func serialize()
