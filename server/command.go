package server

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
)

// commandActor is who creates accounts from the command line (`renoflow admin create`),
// on a database that may have no admin yet.
var commandActor = renoflow.Actor{ID: "", Name: "命令行", Role: renoflow.RoleAdmin}

// AddStaffAccount creates a staff account as the admin API does (login, ID, name, role,
// store and password checked, each bad field named; a login or ID that exists is a
// conflict), and also checks the password against the edge's text rule (at most 72
// bytes, no control character), since it does not come through an HTTP request.
// It is how `renoflow admin create` makes the first admin of an empty database.
func AddStaffAccount(ctx context.Context, db *bun.DB, log *slog.Logger, in CreateStaffInput) (StaffMember, error) {
	var p renoflow.Problems
	for _, f := range []struct{ field, value string }{{"login", in.Login}, {"id", in.ID}, {"name", in.Name},
		{"store_id", in.StoreID}, {"password", in.Password}} {
		renoflow.CheckTextField(&p, f.field, f.value)
	}
	if strings.TrimSpace(in.Password) != in.Password {
		p.Add("password", "首尾不能有空格")
	}
	if err := p.Err("员工信息有误"); err != nil {
		return StaffMember{}, err
	}
	s := &Server{db: db, log: log, cfg: Config{Now: time.Now}}
	return s.addStaff(ctx, commandActor, in)
}
