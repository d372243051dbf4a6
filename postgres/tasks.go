package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
)

// Task is a row of table tasks: one due point (customer, rule, subject, seq) of a
// customer's work or notices. A retry or replay cannot make a second, and a done task is
// never re-opened by one.
type Task struct {
	bun.BaseModel `bun:"table:tasks,alias:t"`

	ID              int64     `bun:"id,pk,autoincrement"`
	CustomerID      string    `bun:"customer_id"`
	Rule            string    `bun:"rule"`
	Subject         string    `bun:"subject"`
	Seq             int       `bun:"seq"`
	Title           string    `bun:"title"`
	Detail          string    `bun:"detail"`
	AssigneeID      string    `bun:"assignee_id"`
	AssigneeRole    string    `bun:"assignee_role"`
	StoreID         string    `bun:"store_id"`
	DueAt           time.Time `bun:"due_at"`
	WorkDueAt       time.Time `bun:"work_due_at,nullzero"`
	Status          string    `bun:"status"`
	Kind            string    `bun:"kind"` // renoflow.TaskKindOf: work or notice
	PolicyVersion   int       `bun:"policy_version"`
	CalendarVersion int       `bun:"calendar_version"`
	CreatedAt       time.Time `bun:"created_at"`
	DoneAt          time.Time `bun:"done_at,nullzero"`
	DoneBy          string    `bun:"done_by"`
	Outcome         string    `bun:"outcome"`
	Reason          string    `bun:"reason"` // why a cancelled task no longer applies
}

// CreateTasks inserts the open tasks of customer customerID; a task whose due point
// (rule, subject, seq) exists is left alone, so a done task is never re-created.
func CreateTasks(ctx context.Context, db bun.IDB, customerID string, tasks []renoflow.Task) error {
	if len(tasks) == 0 {
		return nil
	}
	rows := make([]Task, 0, len(tasks))
	for _, t := range tasks {
		rows = append(rows, Task{CustomerID: customerID, Rule: string(t.Rule), Subject: t.Subject, Seq: t.Seq,
			Title: t.Title, Detail: t.Detail, AssigneeID: t.AssigneeID, AssigneeRole: string(t.AssigneeRole),
			StoreID: t.StoreID, DueAt: t.Due, WorkDueAt: t.WorkDue, Status: string(renoflow.TaskOpen),
			Kind:          string(renoflow.TaskKindOf(t.Rule, t.Seq)),
			PolicyVersion: t.PolicyVersion, CalendarVersion: t.CalendarVersion, CreatedAt: t.CreatedAt})
	}
	if _, err := db.NewInsert().Model(&rows).On("CONFLICT (customer_id, rule, subject, seq) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("create tasks of %s: %w", customerID, err)
	}
	return nil
}

// CloseTasks closes the open tasks of customer customerID that cl names (every rung when
// cl.Seq is -1) with cl's status, time, actor, outcome and reason; closed ones stay as
// they are.
func CloseTasks(ctx context.Context, db bun.IDB, customerID string, cl renoflow.TaskClose) error {
	q := db.NewUpdate().Model((*Task)(nil)).
		Set("status = ?", string(cl.Status)).Set("done_at = ?", cl.At).Set("done_by = ?", cl.By.ID).Set("outcome = ?", cl.Outcome).
		Set("reason = ?", cl.Reason).
		Where("customer_id = ?", customerID).Where("rule = ?", string(cl.Rule)).Where("subject = ?", cl.Subject).
		Where("status = ?", string(renoflow.TaskOpen))
	if cl.Seq >= 0 {
		q = q.Where("seq = ?", cl.Seq)
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("close tasks %s/%s of %s: %w", cl.Rule, cl.Subject, customerID, err)
	}
	return nil
}

// CloseAllTasks closes every open task of customer customerID with status at time at,
// for reason (an invalid or archived customer).
func CloseAllTasks(ctx context.Context, db bun.IDB, customerID string, status renoflow.TaskStatus, reason string, at time.Time) error {
	if _, err := db.NewUpdate().Model((*Task)(nil)).Set("status = ?", string(status)).Set("done_at = ?", at).
		Set("outcome = ?", reason).Set("reason = ?", reason).
		Where("customer_id = ?", customerID).Where("status = ?", string(renoflow.TaskOpen)).Exec(ctx); err != nil {
		return fmt.Errorf("close all tasks of %s: %w", customerID, err)
	}
	return nil
}

// ReassignTasks moves the open tasks of customer customerID addressed to staff member
// from to staff member to.
func ReassignTasks(ctx context.Context, db bun.IDB, customerID, from, to string) error {
	if _, err := db.NewUpdate().Model((*Task)(nil)).Set("assignee_id = ?", to).Where("customer_id = ?", customerID).
		Where("assignee_id = ?", from).Where("status = ?", string(renoflow.TaskOpen)).Exec(ctx); err != nil {
		return fmt.Errorf("reassign tasks of %s: %w", customerID, err)
	}
	return nil
}

// MoveOpenTasks moves the open tasks of customer customerID to store storeID, the store
// the customer is in now (a supervisor may move a customer between stores): the old
// store's staff no longer see them.
func MoveOpenTasks(ctx context.Context, db bun.IDB, customerID, storeID string) error {
	if _, err := db.NewUpdate().Model((*Task)(nil)).Set("store_id = ?", storeID).Where("customer_id = ?", customerID).
		Where("store_id <> ?", storeID).Where("status = ?", string(renoflow.TaskOpen)).Exec(ctx); err != nil {
		return fmt.Errorf("move the open tasks of %s to store %s: %w", customerID, storeID, err)
	}
	return nil
}
