package postgres

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/renoflow/renoflow"
)

// TestSuspendDesigner: a suspension keeps the later of two ends, and lifting one ends
// only the suspension set until that time (a later one stays) — SPEC.md step 5.
func TestSuspendDesigner(t *testing.T) {
	t.Parallel()
	until1, until2 := at(2026, time.March, 5, 18, 0), at(2026, time.March, 9, 18, 0)
	tests := []struct {
		name  string
		steps []renoflow.Suspension
		want  time.Time // zero: not suspended
	}{
		{"suspended", []renoflow.Suspension{{Until: until1}}, until1},
		{"a later suspension extends", []renoflow.Suspension{{Until: until1}, {Until: until2}}, until2},
		{"an earlier one does not shorten", []renoflow.Suspension{{Until: until2}, {Until: until1}}, until2},
		{"lifted", []renoflow.Suspension{{Until: until1}, {Until: until1, Lift: true}}, time.Time{}},
		{"lifting an older one leaves the later", []renoflow.Suspension{{Until: until1}, {Until: until2}, {Until: until1, Lift: true}}, until2},
		{"lifting without one", []renoflow.Suspension{{Until: until1, Lift: true}}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			ctx := t.Context()
			require.NoError(t, EnsureStore(ctx, db, "s1", "一店"))
			_, err := db.NewInsert().Model(&Staff{ID: "d1", Login: "d1", Name: "吴设计", Role: renoflow.RoleDesigner, StoreID: "s1", Active: true}).Exec(ctx)
			require.NoError(t, err)
			for _, s := range tt.steps {
				s.DesignerID = "d1"
				require.NoError(t, SuspendDesigner(ctx, db, s))
			}
			ds, err := Designers(ctx, db, "s1")
			require.NoError(t, err)
			require.Len(t, ds, 1)
			require.True(t, tt.want.Equal(ds[0].SuspendedUntil), "suspended until %v, want %v", ds[0].SuspendedUntil, tt.want)
		})
	}
}
