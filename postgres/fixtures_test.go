package postgres

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/renoflow/renoflow"
)

// at is a wall-clock time in the company zone (Asia/Shanghai).
func at(year int, month time.Month, day, hour, min int) time.Time {
	return time.Date(year, month, day, hour, min, 0, 0, renoflow.Zone)
}

var filedAt = at(2026, time.March, 2, 10, 0)

// customer is customer id at revision rev in stage, owned by owner, filed by adv1.
func customer(id string, rev int64, stage renoflow.Stage, owner string) renoflow.Customer {
	return renoflow.Customer{
		ID:       id,
		Record:   renoflow.Record{Name: "陈", Phone: renoflow.Phone("138" + id), Gender: renoflow.GenderFemale, Channel: renoflow.ChannelReferral, StoreID: "s1"},
		Stage:    stage,
		StoreID:  "s1",
		Owner:    renoflow.Person{ID: owner, Name: "经理" + owner},
		FiledBy:  renoflow.Person{ID: "adv1", Name: "王顾问"},
		FiledAt:  filedAt,
		Revision: rev,
	}
}

// save writes c as its transition at time at does.
func save(t *testing.T, db bun.IDB, c renoflow.Customer, at time.Time) {
	t.Helper()
	row, err := NewCustomer(c, at)
	require.NoError(t, err)
	require.NoError(t, SaveCustomer(t.Context(), db, row))
}
