package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/syncore/syncore/jit"
)

// The JSON output of every command follows one set of conventions (see
// docs/json.md; docs/schema/ holds a JSON Schema per command):
//
//   - one JSON object on stdout, with "schema_version": schemaVersion;
//   - a command that cannot do its work prints an error document instead,
//     {"schema_version": 1, "error": {"kind": …, "message": …}} (jsonError),
//     with the exit status it has without --json;
//   - enums are strings (a protocol, a barrier, a verdict, "dual"/"rwx");
//     the prose that explains one is a separate field ending in _reason;
//   - durations are integers of nanoseconds named …_ns, rates are named
//     …_per_s, counts are integers ≥ 0, flags are booleans;
//   - a field that does not apply is omitted, never null.

// schemaVersion is the "schema_version" of every JSON document jitdemo
// prints. It changes when a field is renamed, retyped or removed (not when
// one is added).
const schemaVersion = 1

// Error kinds of the error document (jsonError.Kind) that these commands
// emit; run FILE adds the runtime errors of jasm ("division by zero",
// "stack overflow", "interrupted").
const (
	errKindUsage  = "usage"  // a usage mistake (exit status 2)
	errKindConfig = "config" // stress: a configuration this machine or site kind refuses (exit status 2)
	errKindFailed = "failed" // the command could not do its work (exit status 1)
)

// jsonError is the "error" object of an error document.
type jsonError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Func    string `json:"func,omitempty"` // run FILE: the function the runtime error happened in
	Pos     string `json:"pos,omitempty"`  // run FILE: file:line:col of the instruction
}

// jsonErrorDoc is the error document.
type jsonErrorDoc struct {
	SchemaVersion int       `json:"schema_version"`
	Error         jsonError `json:"error"`
}

// writeJSON writes v as one indented JSON document and a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeJSONError writes the error document of e to w.
func writeJSONError(w io.Writer, e jsonError) error {
	return writeJSON(w, jsonErrorDoc{SchemaVersion: schemaVersion, Error: e})
}

// jsonFail writes the error document of e to stdout and returns code, the
// exit status.
func jsonFail(stdout io.Writer, code int, e jsonError) int {
	writeJSONError(stdout, e)
	return code
}

// commandFailed reports that command name could not do its work: with
// asJSON as an error document of kind errKindFailed on stdout, else as
// "jitdemo NAME: MESSAGE" on stderr. It returns code.
func commandFailed(asJSON bool, stdout, stderr io.Writer, name string, code int, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	if asJSON {
		return jsonFail(stdout, code, jsonError{Kind: errKindFailed, Message: msg})
	}
	prefix := "jitdemo"
	if name != "" {
		prefix += " " + name
	}
	fmt.Fprintf(stderr, "%s: %s\n", prefix, msg)
	return code
}

// heapModeName is a heap mode as the JSON enum "dual" or "rwx".
func heapModeName(m jit.HeapMode) string {
	switch m {
	case jit.HeapDual:
		return "dual"
	case jit.HeapRWX:
		return "rwx"
	}
	return m.String()
}

// heapModeText is the text reports' description of a heap mode named by
// heapModeName (or stress.Report.HeapMode): "dual (W^X: memfd mapped RW + RX)".
func heapModeText(name string) string {
	for _, m := range []jit.HeapMode{jit.HeapDual, jit.HeapRWX} {
		if heapModeName(m) == name {
			return m.String()
		}
	}
	return name
}
