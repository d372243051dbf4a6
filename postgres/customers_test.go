package postgres

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/renoflow/renoflow"
)

// TestSaveCustomerRevisionGuard: a customer row only moves forward by revision — a
// late or repeated write of an older or equal revision changes nothing — and a newer one
// moves every column (the generated SET), a time cleared included.
func TestSaveCustomerRevisionGuard(t *testing.T) {
	t.Parallel()
	rev := func(n int64) renoflow.Customer {
		c := customer("c1", n, renoflow.StageFiled, "cm1")
		switch n {
		case 2:
			c.VerifiedAt, c.ClaimDue = filedAt.Add(time.Hour), filedAt.AddDate(0, 0, 7)
		case 3:
			c.Stage, c.Grade, c.Owner = renoflow.StagePresale, renoflow.GradeB, renoflow.Person{ID: "cm2", Name: "刘经理"}
			c.VerifiedAt, c.Flag = filedAt.Add(time.Hour), "电话空号"
			c.Record.House.Community = "翠湖天地"
		}
		return c
	}
	tests := []struct {
		name  string
		order []int64
		want  int64
	}{
		{"in order", []int64{1, 2, 3}, 3},
		{"late retry of revision 2", []int64{1, 3, 2}, 3},
		{"newest first", []int64{3, 2, 1}, 3},
		{"same revision again", []int64{2, 2}, 2},
		{"a time cleared by a newer revision", []int64{2, 4}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			for _, n := range tt.order {
				// The updated_at of each write tells which one the row holds.
				save(t, db, rev(n), filedAt.Add(time.Duration(n)*time.Hour))
			}
			var got Customer
			require.NoError(t, db.NewSelect().Model(&got).Where("id = ?", "c1").Scan(t.Context()))
			want, err := NewCustomer(rev(tt.want), filedAt.Add(time.Duration(tt.want)*time.Hour))
			require.NoError(t, err)
			require.Equal(t, want.Revision, got.Revision)
			require.Equal(t, want.Stage, got.Stage)
			require.Equal(t, want.Grade, got.Grade)
			require.Equal(t, want.OwnerID, got.OwnerID)
			require.Equal(t, want.Community, got.Community)
			require.Equal(t, want.Flagged, got.Flagged)
			require.Equal(t, want.FlagReason, got.FlagReason)
			require.Equal(t, want.RelatedIDs, got.RelatedIDs)
			require.True(t, want.VerifiedAt.Equal(got.VerifiedAt), "verified_at %v, want %v", got.VerifiedAt, want.VerifiedAt)
			require.True(t, want.ClaimDue.Equal(got.ClaimDue), "claim_due %v, want %v", got.ClaimDue, want.ClaimDue)
			require.True(t, want.UpdatedAt.Equal(got.UpdatedAt))
			state, err := got.Decode()
			require.NoError(t, err)
			require.Equal(t, tt.want, state.Revision)
		})
	}
}
