package stress

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/patch"
)

// TestConfigJSON: a Config goes to the child process as JSON and comes
// back in the Report: every field survives the round trip, the protocol is
// its name (not the number it used to be), an empty barrier is "auto",
// and durations are integers of nanoseconds.
func TestConfigJSON(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Site: "retire", Protocol: patch.Straddle, Barrier: "handshake", Threads: 3, Patchers: 2, Sites: 5,
			Duration: 1500 * time.Millisecond, Patches: 7, Seed: 1<<63 + 5, MinOverlap: 9, StopOnViolation: true,
			Reclaim: "unsafe", PublishEarly: true, ProgressEvery: 250 * time.Millisecond},
		{Site: "const", Protocol: patch.DataSlot, Barrier: "synccore", Duration: time.Second, Reclaim: "grace"},
	} {
		text, err := json.Marshal(cfg)
		require.NoError(t, err)
		var fields map[string]any
		require.NoError(t, json.Unmarshal(text, &fields))
		assert.Equal(t, cfg.Protocol.String(), fields["protocol"], "%s", text)
		if cfg.Barrier == "" {
			assert.Equal(t, "auto", fields["barrier"], "%s", text)
		}
		assert.Equal(t, float64(cfg.Duration.Nanoseconds()), fields["duration_ns"], "%s", text)
		assert.Equal(t, float64(cfg.ProgressEvery.Nanoseconds()), fields["progress_every_ns"], "%s", text)
		assert.NotContains(t, fields, "duration")

		var back Config
		require.NoError(t, json.Unmarshal(text, &back), "%s", text)
		assert.Equal(t, cfg, back, "%s", text)

		// Inside a Report, as the child writes it.
		rep, err := json.Marshal(Report{Config: cfg, Verdict: VerdictPass})
		require.NoError(t, err)
		var got Report
		require.NoError(t, json.Unmarshal(rep, &got))
		assert.Equal(t, cfg, got.Config)
	}

	var c Config
	assert.Error(t, json.Unmarshal([]byte(`{"protocol": 3}`), &c), "the old int protocol is refused")
	assert.Error(t, json.Unmarshal([]byte(`{"protocol": "fast"}`), &c))
	require.NoError(t, json.Unmarshal([]byte(`{"site": "call"}`), &c))
	assert.Equal(t, Config{Site: "call"}, c, "absent fields are zero: the protocol auto, the barrier auto")
}
