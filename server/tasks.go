package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
	"github.com/renoflow/renoflow/workflows"
)

// TaskRow is a task as lists show it: its stored row with the customer's name and phone
// and who did it (postgres.TaskListItem), plus what is counted at the time of reading.
type TaskRow struct {
	postgres.TaskListItem
	Overdue   bool   // renoflow.TaskOverdue at the time of reading
	RuleTitle string // the rule's Chinese title
	Approval  bool   // an approval waiting for the reader (派单确认, 无效审核, 归属裁决)
}

// taskRowOf is t as lists show it at now.
func taskRowOf(t *postgres.TaskListItem, now time.Time) TaskRow {
	rule := renoflow.Rule(t.Rule)
	return TaskRow{TaskListItem: *t,
		Overdue:   renoflow.TaskOverdue(rule, t.Seq, renoflow.TaskStatus(t.Status), t.DueAt, now),
		RuleTitle: rule.Title(),
		Approval:  t.Seq == 0 && isApproval(rule)}
}

// taskRowsOf is items as lists show them at now (nil for none).
func taskRowsOf(items []postgres.TaskListItem, now time.Time) []TaskRow {
	var rows []TaskRow
	for i := range items {
		rows = append(rows, taskRowOf(&items[i], now))
	}
	return rows
}

// taskRoles are the role queues actor works from, besides tasks addressed to them.
func taskRoles(actor renoflow.Actor) (roles []string, stores []string) {
	switch actor.Role {
	case renoflow.RoleCustomerService:
		roles = []string{string(renoflow.ToCustomerService)}
		if actor.Lead {
			roles = append(roles, string(renoflow.ToCSLead))
		}
		stores = []string{actor.StoreID}
	case renoflow.RoleStoreManager:
		roles, stores = []string{string(renoflow.ToStoreManager)}, []string{actor.StoreID}
	case renoflow.RoleSupervisor:
		roles, stores = []string{string(renoflow.ToSupervisor)}, actor.Stores
	}
	return roles, stores
}

// queueOf is the tasks actor works on: addressed to them, or to a role queue of theirs.
func queueOf(actor renoflow.Actor) postgres.TaskQueue {
	roles, stores := taskRoles(actor)
	return postgres.TaskQueue{StaffID: actor.ID, Roles: roles, Stores: stores}
}

func isApproval(r renoflow.Rule) bool {
	return slices.Contains(postgres.ApprovalRules, string(r))
}

// Task views of the task list.
const (
	ViewTodo     = postgres.TasksTodo     // 待办: every open task, approvals first, overdue next, then due today
	ViewOpen     = postgres.TasksOpen     // every open task
	ViewToday    = postgres.TasksToday    // open, due by the end of today (overdue included)
	ViewOverdue  = postgres.TasksOverdue  // open work past due (a notice is never overdue)
	ViewUpcoming = postgres.TasksUpcoming // open, due after today
	ViewDone     = postgres.TasksDone     // done or acknowledged (知悉), newest first
)

// listTasks lists actor's tasks in a view.
func (s *Server) listTasks(ctx context.Context, actor renoflow.Actor, view string) ([]TaskRow, error) {
	now := s.now()
	items, err := postgres.ListTasks(ctx, s.db, queueOf(actor), view, now)
	if errors.Is(err, postgres.ErrUnknownView) {
		return nil, &renoflow.Error{Code: renoflow.CodeInvalid, Message: "任务视图有误",
			Fields: []renoflow.FieldError{{Field: "view", Message: "只能是 todo、open、today、overdue、upcoming 或 done"}}}
	}
	if err != nil {
		return nil, err
	}
	return taskRowsOf(items, now), nil
}

// taskCounts counts actor's tasks in each view of the task list.
func (s *Server) taskCounts(ctx context.Context, actor renoflow.Actor) (map[string]int, error) {
	n, err := postgres.CountTasks(ctx, s.db, queueOf(actor), s.now())
	if err != nil {
		return nil, err
	}
	return map[string]int{ViewTodo: n.Todo, "approval": n.Approval, ViewToday: n.Today, ViewOverdue: n.Overdue, ViewUpcoming: n.Upcoming, ViewDone: n.Done}, nil
}

// tasksOf lists a customer's open tasks.
func (s *Server) tasksOf(ctx context.Context, customerID string) ([]TaskRow, error) {
	items, err := postgres.OpenTasksOf(ctx, s.db, customerID)
	if err != nil {
		return nil, err
	}
	return taskRowsOf(items, s.now()), nil
}

// completeTask marks a task done through the customer's workflow: doing the work it asks
// for (verifying, recording a call-back) or acknowledging a reminder. The task must be the
// actor's (a store manager or supervisor may close any task of their stores), and the
// actor must hold the permission its work needs — checked here before anything is sent.
func (s *Server) completeTask(ctx context.Context, actor renoflow.Actor, id int64, requestID string, reached *bool, note, channel string) (renoflow.Customer, error) {
	if err := actor.Require(renoflow.PermAcknowledge, "办理任务"); err != nil {
		return renoflow.Customer{}, err
	}
	var queue *postgres.TaskQueue
	if !actor.Is(renoflow.RoleStoreManager, renoflow.RoleSupervisor) {
		q := queueOf(actor)
		queue = &q
	}
	t, err := postgres.TaskByID(ctx, s.db, id, queue)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return renoflow.Customer{}, renoflow.Errorf(renoflow.CodeNotFound, "找不到该任务，或它不是您的任务")
		}
		return renoflow.Customer{}, err
	}
	if actor.Is(renoflow.RoleStoreManager, renoflow.RoleSupervisor) && !actor.InStore(t.StoreID) {
		return renoflow.Customer{}, renoflow.Errorf(renoflow.CodeNotFound, "找不到该任务，或它不是您的任务")
	}
	// A retry of the request that closed the task (same Idempotency-Key) answers as the
	// workflow answers a repeated key: the customer as it is, nothing changed.
	repeat := false
	if t.Status != string(renoflow.TaskOpen) {
		if repeat, err = s.applied(ctx, t.CustomerID, requestID); err != nil {
			return renoflow.Customer{}, err
		} else if !repeat {
			return renoflow.Customer{}, renoflow.Errorf(renoflow.CodeConflict, "该任务已办结")
		}
	}
	// The work a task asks for is done on a customer the actor is tied to now; a notice
	// addressed to them is theirs to acknowledge whatever became of the customer.
	perm, what := renoflow.TaskPermission(renoflow.Rule(t.Rule), t.Seq)
	if perm == renoflow.PermAcknowledge && t.AssigneeID == actor.ID {
		if err := actor.Require(perm, what); err != nil {
			return renoflow.Customer{}, err
		}
	} else if _, _, err := s.authorize(ctx, actor, t.CustomerID, perm, what); err != nil {
		return renoflow.Customer{}, err
	}
	if repeat {
		return s.liveState(ctx, t.CustomerID)
	}
	if channel != "" && renoflow.Rule(t.Rule) == renoflow.RuleFollowUp && t.Seq == 0 {
		// A follow-up done from the inbox is recorded with the channel it was made
		// through (电话/微信/到店/上门), as the 登记跟进 action records it.
		if !validOption(renoflow.FollowUpChannels(), channel) {
			return renoflow.Customer{}, &renoflow.Error{Code: renoflow.CodeInvalid, Message: "输入有误",
				Fields: []renoflow.FieldError{{Field: fieldChannel, Message: "只能是电话、到店/上门、微信或其他"}}}
		}
		return s.send(ctx, t.CustomerID, workflows.UpdateFollowUp, requestID, workflows.FollowUpInput{
			Action: workflows.Action{Actor: actor, Note: note}, Channel: channel})
	}
	return s.send(ctx, t.CustomerID, workflows.UpdateCompleteTask, requestID, workflows.CompleteTaskInput{
		Action: workflows.Action{Actor: actor, Note: note}, Rule: renoflow.Rule(t.Rule), Subject: t.Subject, Seq: t.Seq, Reached: reached,
	})
}

// apiTasks: GET /api/tasks?view=open|today|overdue|upcoming|done
func (s *Server) apiTasks(c *fiber.Ctx) error {
	rows, err := s.listTasks(c.UserContext(), actorOf(c), c.Query("view", ViewOpen))
	if err != nil {
		return err
	}
	return c.JSON(taskListView(rows))
}

// apiTaskDone: POST /api/tasks/:id/done {note, reached}
func (s *Server) apiTaskDone(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return renoflow.Errorf(renoflow.CodeNotFound, "找不到该任务")
	}
	var in struct {
		Note    string `json:"note"`
		Reached *bool  `json:"reached,omitempty"`
		Channel string `json:"channel,omitempty"` // a follow-up's channel (phone, visit, wechat, other)
	}
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	state, err := s.completeTask(c.UserContext(), actorOf(c), int64(id), c.Get("Idempotency-Key"), in.Reached, strings.TrimSpace(in.Note), in.Channel)
	if err != nil {
		return err
	}
	return c.JSON(actionView(state))
}

// applied says whether the customer's workflow applied the update with ID requestID
// (false for no ID).
func (s *Server) applied(ctx context.Context, customerID, requestID string) (bool, error) {
	if requestID == "" {
		return false, nil
	}
	v, err := s.temporal.QueryWorkflow(ctx, workflows.CustomerWorkflowID(customerID), "", workflows.QueryApplied, requestID)
	if err != nil {
		return false, fmt.Errorf("query applied %s: %w", customerID, err)
	}
	var ok bool
	if err := v.Get(&ok); err != nil {
		return false, fmt.Errorf("query applied %s: %w", customerID, err)
	}
	return ok, nil
}

// liveState is the customer's state as its workflow holds it now.
func (s *Server) liveState(ctx context.Context, customerID string) (renoflow.Customer, error) {
	v, err := s.temporal.QueryWorkflow(ctx, workflows.CustomerWorkflowID(customerID), "", workflows.QueryState)
	if err != nil {
		return renoflow.Customer{}, fmt.Errorf("query state %s: %w", customerID, err)
	}
	var state renoflow.Customer
	if err := v.Get(&state); err != nil {
		return renoflow.Customer{}, fmt.Errorf("query state %s: %w", customerID, err)
	}
	return state, nil
}
