package jit

// withHooks returns opts with code generation test hooks set (testHooks).
// They travel in the options of one runtime, so no package-level switch
// exists that one test could leave set for another.
func withHooks(opts Options, h testHooks) Options {
	opts.hooks = h
	return opts
}
