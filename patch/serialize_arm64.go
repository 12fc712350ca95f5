package patch

// serialize executes a context synchronization event (ISB); see
// serialize_arm64.s.
func serialize()
