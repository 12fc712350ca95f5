module github.com/syncore/syncore/bench

go 1.26.8

require (
	github.com/syncore/syncore v0.0.0
	github.com/tetratelabs/wazero v1.12.0
)

require (
	golang.org/x/arch v0.33.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/syncore/syncore => ../
