package renoflow

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// SalvagePolicy: each setting comes from the newest version where it still reads; a
// retired key or a bad value is dropped, not a reason to fall back to the defaults.
func TestSalvagePolicy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		versions []string // newest first
		want     func(p *Policy)
		dropped  []string
		invalid  bool
	}{
		{name: "a retired key in every version", versions: []string{
			`{"owner_capacity": 212, "claim_window": "10d", "retired_setting": "1d"}`,
			`{"owner_capacity": 150, "retired_setting": "1d"}`},
			want: func(p *Policy) { p.OwnerCapacity, p.ClaimWindow = 212, MustSpan("10d") }, dropped: []string{"retired_setting"}},
		{name: "a bad value: the newest good one", versions: []string{
			`{"verify_within": "2x", "owner_capacity": 212}`,
			`{"verify_within": "3h"}`},
			want: func(p *Policy) { p.VerifyWithin, p.OwnerCapacity = MustSpan("3h"), 212 }, dropped: []string{"verify_within"}},
		{name: "a value out of range", versions: []string{`{"owner_capacity": -5}`, `{"owner_capacity": 90}`},
			want: func(p *Policy) { p.OwnerCapacity = 90 }, dropped: []string{"owner_capacity"}},
		{name: "not an object", versions: []string{`[1, 2]`, `{"owner_capacity": 90}`},
			want: func(p *Policy) { p.OwnerCapacity = 90 }},
		{name: "nothing stored", want: func(*Policy) {}},
		{name: "values that do not fit together", versions: []string{`{"claim_window": "1d", "claim_reminder_before": "2d"}`},
			invalid: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var bodies [][]byte
			for _, v := range tc.versions {
				bodies = append(bodies, []byte(v))
			}
			got, dropped, err := SalvagePolicy(bodies)
			if tc.invalid {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			want := DefaultPolicy()
			tc.want(&want)
			require.Equal(t, want, got)
			require.Equal(t, tc.dropped, dropped)
		})
	}
}
