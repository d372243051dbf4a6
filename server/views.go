package server

import (
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/server/apiview"
	"time"
)

// The JSON API answers with the view models of server/apiview, built here from the
// workflow's state and the read models' rows. Nothing else of the state travels: not its
// revision, its clock map, its open task keys, a follow-up month's slot counter or a
// complaint's task generation (TestAPIViewContract).

// customerView is the customer as the API shows it.
func customerView(c renoflow.Customer) apiview.Customer {
	v := apiview.Customer{
		ID: c.ID, Record: c.Record, Stage: c.Stage, Grade: c.Grade, StoreID: c.StoreID, Owner: c.Owner, OwnerSince: c.OwnerSince,
		PreviousOwner: c.PreviousOwner, PreviousOwnerUntil: c.PreviousOwnerUntil,
		FiledBy: c.FiledBy, FiledAt: c.FiledAt, VerifiedBy: c.VerifiedBy, VerifiedAt: c.VerifiedAt, ClaimDue: c.ClaimDue,
		FirstConsultAt: c.FirstConsultAt, FirstConsult: string(c.FirstConsult), LastVisitAt: c.LastVisitAt, Measured: c.Measured,
		Callbacks: c.Callbacks, LastServiceAt: c.LastServiceAt, Flag: c.Flag, FlagCauses: c.FlagCauses,
		Scores: c.Scores, Dispatches: c.Dispatches, Designer: c.Designer, DesignSince: c.DesignSince,
		MeasuredAt: c.MeasuredAt, DepositAt: c.DepositAt, DepositYuan: c.DepositYuan,
		ContractAt: c.ContractAt, ContractYuan: c.ContractYuan, Milestones: c.Milestones, CompletedAt: c.CompletedAt,
		WarrantyEnd: c.WarrantyEnd, WeeklyChecks: c.WeeklyChecks, Visits: c.Visits, MovedInAt: c.MovedInAt,
		Disputes: c.Disputes, InvalidProposal: c.InvalidProposal, InvalidAt: c.InvalidAt, InvalidBy: c.InvalidBy,
		ArchivedAt: c.ArchivedAt,
	}
	if f := c.FollowUp; f != nil {
		v.FollowUp = &apiview.FollowUpMonth{Month: f.Month, From: f.From, Done: f.Done}
	}
	for _, k := range c.Complaints {
		v.Complaints = append(v.Complaints, apiview.Complaint{ID: k.ID, Category: k.Category, Major: k.Major, MajorAt: k.MajorAt,
			MajorBy: k.MajorBy, Text: k.Text, Status: string(k.Status), OpenedBy: k.OpenedBy, OpenedAt: k.OpenedAt, Handler: k.Handler,
			AnsweredAt: k.AnsweredAt, Answer: k.Answer, ResolvedAt: k.ResolvedAt, Resolution: k.Resolution,
			Escalated: k.Escalated, ClosedAt: k.ClosedAt, Archived: k.Archived})
	}
	return v
}

// actionView is the answer to an action or a task done.
func actionView(c renoflow.Customer) apiview.Action { return apiview.Action{State: customerView(c)} }

// customerRowView is one row of the customer list (r filled).
func customerRowView(r *CustomerRow) apiview.CustomerRow {
	return apiview.CustomerRow{ID: r.ID, Phone: r.Phone, Name: r.Name, Gender: r.Gender, Community: r.Community,
		Channel: r.Channel, ChannelLabel: r.ChannelLabel, StoreID: r.StoreID, StoreName: r.StoreName,
		Stage: r.Stage, StageLabel: r.StageLabel, Grade: r.Grade, OwnerID: r.OwnerID, OwnerName: r.OwnerName,
		OwnerSince: timeOrNil(r.OwnerSince), DesignerID: r.DesignerID, DesignerName: r.DesignerName,
		FiledBy: r.FiledBy, FiledByName: r.FiledByName, FiledAt: r.FiledAt, ClaimDue: timeOrNil(r.ClaimDue),
		FirstConsult: r.FirstConsult, Flagged: r.Flagged, FlagReason: r.FlagReason, Invalid: r.Invalid, UpdatedAt: r.UpdatedAt}
}

// timeOrNil is t, or nil for a time the customer does not have yet (zero).
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// customerListView is one page of the customer list.
func customerListView(rows []CustomerRow, total, page, perPage int) apiview.CustomerList {
	out := apiview.CustomerList{Customers: make([]apiview.CustomerRow, 0, len(rows)), Total: total, Page: page, PerPage: perPage}
	for i := range rows {
		out.Customers = append(out.Customers, customerRowView(&rows[i]))
	}
	return out
}

// apiTasksView are tasks as the API shows them (rows filled), never nil.
func apiTasksView(rows []TaskRow) []apiview.Task {
	out := make([]apiview.Task, 0, len(rows))
	for _, t := range rows {
		out = append(out, apiview.Task{ID: t.ID, CustomerID: t.CustomerID, CustomerName: t.CustomerName, Rule: t.Rule,
			RuleTitle: t.RuleTitle, Subject: t.Subject, Seq: t.Seq, Title: t.Title, Detail: t.Detail, AssigneeID: t.AssigneeID,
			AssigneeRole: t.AssigneeRole, StoreID: t.StoreID, DueAt: t.DueAt, Status: t.Status, Kind: t.Kind, Reason: t.Reason,
			PolicyVersion: t.PolicyVersion, CalendarVersion: t.CalendarVersion, CreatedAt: t.CreatedAt, DoneAt: timeOrNil(t.DoneAt),
			DoneBy: t.DoneBy, DoneByName: t.DoneByName, Outcome: t.Outcome, Overdue: t.Overdue, Approval: t.Approval})
	}
	return out
}

// timelineViews are a customer's timeline entries, never nil.
func timelineViews(rows []TimelineRow) []apiview.TimelineEntry {
	out := make([]apiview.TimelineEntry, 0, len(rows))
	for _, e := range rows {
		out = append(out, apiview.TimelineEntry{At: e.At, Kind: e.Kind, ActorID: e.ActorID, ActorName: e.ActorName,
			Summary: e.Summary, Rule: e.Rule, PolicyVersion: e.PolicyVersion, CalendarVersion: e.CalendarVersion,
			Due: timeOrNil(e.DueAt), Data: e.Data})
	}
	return out
}

// customerDetailView is the answer to GET /api/customers/:id.
func customerDetailView(d *CustomerDetail) apiview.CustomerDetail {
	return apiview.CustomerDetail{Customer: customerRowView(d.Customer), State: customerView(d.State),
		Timeline: timelineViews(d.Timeline), Tasks: apiTasksView(d.Tasks), WorkflowID: d.WorkflowID, WorkflowURL: d.WorkflowURL}
}

// filingView is the answer to a filing: 201 with the customer, or 202 pending.
func filingView(res FileResult) apiview.Filing {
	v := apiview.Filing{CustomerID: res.CustomerID, WorkflowID: res.WorkflowID}
	if res.Customer != nil {
		c := customerView(*res.Customer)
		v.Customer = &c
	} else {
		v.Pending, v.Message, v.StatusURL = true, "已受理，正在建档，请稍候查看", "/api/customers/"+res.CustomerID
	}
	return v
}

// taskListView is the answer to GET /api/tasks.
func taskListView(rows []TaskRow) apiview.TaskList {
	return apiview.TaskList{Tasks: apiTasksView(rows)}
}

// staffView is a staff account (d: a designer's dispatch attributes, admin API only).
func staffView(m StaffMember, d *DesignerAttributes) apiview.StaffMember {
	v := apiview.StaffMember{ID: m.ID, Login: m.Login, Name: m.Name, Role: m.Role, RoleLabel: m.RoleLabel,
		StoreID: m.StoreID, StoreName: m.StoreName, Lead: m.Lead, Active: m.Active, Stores: m.Stores}
	v.Designer = d
	return v
}

// staffListView is the directory (GET /api/staff), never nil.
func staffListView(rows []StaffMember) apiview.StaffList {
	out := apiview.StaffList{Staff: make([]apiview.StaffMember, 0, len(rows))}
	for _, m := range rows {
		out.Staff = append(out.Staff, staffView(m, nil))
	}
	return out
}

// adminStaffListView is every account with the designers' attributes (GET /api/admin/staff).
func adminStaffListView(rows []AdminStaffMember) apiview.StaffList {
	out := apiview.StaffList{Staff: make([]apiview.StaffMember, 0, len(rows))}
	for _, m := range rows {
		out.Staff = append(out.Staff, staffView(m.StaffMember, m.Designer))
	}
	return out
}

// storeView is one store.
func storeView(s Store) apiview.Store {
	return apiview.Store{ID: s.ID, Name: s.Name, Staff: s.Staff, CreatedAt: s.CreatedAt}
}

// storeListView is every store (GET /api/admin/stores), never nil.
func storeListView(rows []Store) apiview.StoreList {
	out := apiview.StoreList{Stores: make([]apiview.Store, 0, len(rows))}
	for _, s := range rows {
		out.Stores = append(out.Stores, storeView(s))
	}
	return out
}

// dutyView is the answer to PATCH /api/staff/:id/duty.
func dutyView(d DesignerDuty) apiview.DutyAnswer {
	return apiview.DutyAnswer{Designer: apiview.DesignerDuty{ID: d.ID, Name: d.Name, StoreID: d.StoreID,
		StoreName: d.StoreName, OnDuty: d.OnDuty, SuspendedUntil: d.SuspendedUntil}}
}

// batchView is the answer to POST /api/customers/batch.
func batchView(res []BatchResult) apiview.BatchAnswer {
	out := apiview.BatchAnswer{Results: make([]apiview.BatchResult, 0, len(res))}
	for _, r := range res {
		out.Results = append(out.Results, apiview.BatchResult{ID: r.ID, Name: r.Name, OK: r.OK, Message: r.Message})
	}
	return out
}

// healthView is the answer to GET /healthz.
func healthView(h Health) apiview.Health {
	return apiview.Health{Status: h.Status, Database: h.Database, Temporal: h.Temporal, Calendar: h.Calendar}
}

// calendarView is a calendar version as the API shows it.
func calendarView(cv CalendarVersion) apiview.Calendar {
	days := cv.Days
	if days == nil {
		days = []renoflow.CalendarDay{}
	}
	return apiview.Calendar{Version: cv.Version, Days: days, Note: cv.Note, CreatedBy: cv.CreatedBy, CreatedAt: cv.CreatedAt}
}

// policyView is the policy in force and its version.
func policyView(p renoflow.Policy) apiview.Policy {
	return apiview.Policy{Version: p.Version, Policy: p}
}

// adminStaffView is one account as the admin API answers it.
func adminStaffView(m AdminStaffMember) apiview.StaffAnswer {
	return apiview.StaffAnswer{Staff: staffView(m.StaffMember, m.Designer)}
}

// storeAnswerView is the answer to a store added.
func storeAnswerView(s Store) apiview.StoreAnswer { return apiview.StoreAnswer{Store: storeView(s)} }

// disputeFiledView is the answer to a dispute opened (POST /api/disputes).
func disputeFiledView() apiview.DisputeFiled {
	return apiview.DisputeFiled{Status: "submitted", Message: "已提交归属裁决申请，等待店经理裁决"}
}

// importView is the answer to an import or its preview (a nil list stays null, as it was).
func importView(rep *ImportReport) apiview.ImportReport {
	v := apiview.ImportReport{Rows: rep.Rows, Good: rep.Good, Filed: rep.Filed, Problems: rep.Problems}
	if rep.Refused != nil {
		v.Refused = make([]apiview.ImportRow, 0, len(rep.Refused))
	}
	for _, r := range rep.Refused {
		v.Refused = append(v.Refused, apiview.ImportRow{Row: r.Row, Name: r.Name, Problems: r.Problems, CustomerID: r.CustomerID})
	}
	return v
}
