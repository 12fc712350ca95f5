//go:build !cgo

package bench

// CgoAvailable reports whether the cgo benchmark can run: this build has no
// cgo (CGO_ENABLED=0 or no C compiler).
const CgoAvailable = false

// CIdentity is unavailable without cgo.
func CIdentity(x int64) int64 { panic("bench: built without cgo") }
