package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
)

// Batch is everything one transition of a customer writes: the customer's new state and
// the transition's effects. Persist writes it in one transaction.
type Batch struct {
	Customer renoflow.Customer `json:"customer"`
	Effects  renoflow.Effects  `json:"effects"`
	// UpdatedAt is the workflow time of the transition.
	UpdatedAt time.Time `json:"updated_at"`
	// SkipCustomer writes only the effects, not the customer row: the alert of a
	// transition whose data could never be written (ErrUnwritable).
	SkipCustomer bool `json:"skip_customer,omitempty"`
}

// customerRow is the customers table: searchable columns plus the whole state as JSON.
type customerRow struct {
	bun.BaseModel `bun:"table:customers"`

	ID             string          `bun:"id,pk"`
	Revision       int64           `bun:"revision"`
	Phone          string          `bun:"phone"`
	Name           string          `bun:"name"`
	Gender         string          `bun:"gender"`
	Community      string          `bun:"community"`
	Channel        string          `bun:"channel"`
	StoreID        string          `bun:"store_id"`
	Stage          string          `bun:"stage"`
	Grade          string          `bun:"grade"`
	OwnerID        string          `bun:"owner_id"`
	OwnerName      string          `bun:"owner_name"`
	OwnerSince     time.Time       `bun:"owner_since,nullzero"`
	DesignerID     string          `bun:"designer_id"`
	DesignerName   string          `bun:"designer_name"`
	DesignSince    time.Time       `bun:"design_since,nullzero"`
	FiledBy        string          `bun:"filed_by"`
	FiledByName    string          `bun:"filed_by_name"`
	FiledAt        time.Time       `bun:"filed_at"`
	VerifiedAt     time.Time       `bun:"verified_at,nullzero"`
	ClaimDue       time.Time       `bun:"claim_due,nullzero"`
	FirstConsultAt time.Time       `bun:"first_consult_at,nullzero"`
	FirstConsult   string          `bun:"first_consult"`
	LastServiceAt  time.Time       `bun:"last_service_at,nullzero"`
	DepositAt      time.Time       `bun:"deposit_at,nullzero"`
	ContractAt     time.Time       `bun:"contract_at,nullzero"`
	CompletedAt    time.Time       `bun:"completed_at,nullzero"`
	Flagged        bool            `bun:"flagged"`
	FlagReason     string          `bun:"flag_reason"`
	Invalid        bool            `bun:"invalid"`
	Record         json.RawMessage `bun:"record,type:jsonb"`
	State          json.RawMessage `bun:"state,type:jsonb"`
	UpdatedAt      time.Time       `bun:"updated_at"`
	// RelatedIDs: the staff tied to the customer now (renoflow.Customer.Related), which
	// the row scope of sales advisors and designers reads.
	RelatedIDs []string `bun:"related_ids,array"`
}

func newCustomerRow(c renoflow.Customer, at time.Time) (*customerRow, error) {
	rec, err := json.Marshal(c.Record)
	if err != nil {
		return nil, err
	}
	state, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return &customerRow{
		ID: c.ID, Revision: c.Revision, Phone: string(c.Record.Phone), Name: c.Record.Name,
		Gender: string(c.Record.Gender), Community: c.Record.House.Community, Channel: string(c.Record.Channel),
		StoreID: c.StoreID, Stage: string(c.Stage), Grade: string(c.Grade),
		OwnerID: c.Owner.ID, OwnerName: c.Owner.Name, OwnerSince: c.OwnerSince,
		DesignerID: c.Designer.ID, DesignerName: c.Designer.Name, DesignSince: c.DesignSince,
		FiledBy: c.FiledBy.ID, FiledByName: c.FiledBy.Name, FiledAt: c.FiledAt, VerifiedAt: c.VerifiedAt,
		ClaimDue: c.ClaimDue, FirstConsultAt: c.FirstConsultAt, FirstConsult: c.FirstConsult,
		LastServiceAt: c.LastServiceAt, DepositAt: c.DepositAt, ContractAt: c.ContractAt, CompletedAt: c.CompletedAt, Flagged: c.Flag != "", FlagReason: c.Flag, Invalid: c.Stage == renoflow.StageInvalid,
		Record: rec, State: state, UpdatedAt: at, RelatedIDs: c.Related(),
	}, nil
}

// taskRow is the tasks table.
type taskRow struct {
	bun.BaseModel `bun:"table:tasks"`

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
}

// timelineRow is the timeline table.
type timelineRow struct {
	bun.BaseModel `bun:"table:timeline"`

	ID              int64             `bun:"id,pk,autoincrement"`
	CustomerID      string            `bun:"customer_id"`
	Key             string            `bun:"key"`
	At              time.Time         `bun:"at"`
	Kind            string            `bun:"kind"`
	ActorID         string            `bun:"actor_id"`
	ActorName       string            `bun:"actor_name"`
	Summary         string            `bun:"summary"`
	Rule            string            `bun:"rule"`
	PolicyVersion   int               `bun:"policy_version"`
	CalendarVersion int               `bun:"calendar_version"`
	DueAt           time.Time         `bun:"due_at,nullzero"`
	Data            map[string]string `bun:"data,type:jsonb"`
}

// poolRow is the pool_events table.
type poolRow struct {
	bun.BaseModel `bun:"table:pool_events"`

	ID            int64     `bun:"id,pk,autoincrement"`
	CustomerID    string    `bun:"customer_id"`
	Key           string    `bun:"key"`
	Kind          string    `bun:"kind"`
	At            time.Time `bun:"at"`
	StoreID       string    `bun:"store_id"`
	FromOwner     string    `bun:"from_owner"`
	ToOwner       string    `bun:"to_owner"`
	Rule          string    `bun:"rule"`
	PolicyVersion int       `bun:"policy_version"`
	DueAt         time.Time `bun:"due_at,nullzero"`
}

// Persist writes one transition of a customer in one transaction. It is idempotent: the
// customer row only moves forward (revision), a task or timeline entry or pool move
// whose key exists is left alone (so a done task is never re-created), and closing a
// task touches only open ones. Data that can never be written fails with the
// non-retryable ErrUnwritable (nothing written); any other error is retried.
// The tasks the transition made moot (renoflow's
// Customer.Conclude) are among its closes: cancelled, with the reason, in this same
// transaction.
func (a *Activities) Persist(ctx context.Context, b Batch) error {
	if err := checkText(b); err != nil {
		return classify(err)
	}
	return classify(a.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return persist(ctx, tx, b)
	}))
}

func persist(ctx context.Context, tx bun.Tx, b Batch) error {
	if err := TakeLimits(ctx, tx, b.Customer.ID, b.UpdatedAt, b.Effects.Limits); err != nil {
		return err
	}
	if !b.SkipCustomer {
		if err := saveCustomer(ctx, tx, b); err != nil {
			return err
		}
	}
	if err := writeEffects(ctx, tx, b); err != nil {
		return err
	}
	return writeOutbox(ctx, tx, b)
}

// saveCustomer upserts the customer row unless the stored revision is newer.
func saveCustomer(ctx context.Context, tx bun.Tx, b Batch) error {
	c := b.Customer
	row, err := newCustomerRow(c, b.UpdatedAt)
	if err != nil {
		return fmt.Errorf("encode customer %s: %w", c.ID, &encodeError{err})
	}
	if _, err := tx.NewInsert().Model(row).
		On("CONFLICT (id) DO UPDATE").
		Set("revision = EXCLUDED.revision, phone = EXCLUDED.phone, name = EXCLUDED.name, gender = EXCLUDED.gender").
		Set("community = EXCLUDED.community, channel = EXCLUDED.channel, store_id = EXCLUDED.store_id").
		Set("stage = EXCLUDED.stage, grade = EXCLUDED.grade, owner_id = EXCLUDED.owner_id, owner_name = EXCLUDED.owner_name").
		Set("owner_since = EXCLUDED.owner_since, designer_id = EXCLUDED.designer_id, designer_name = EXCLUDED.designer_name").
		Set("design_since = EXCLUDED.design_since").
		Set("verified_at = EXCLUDED.verified_at, claim_due = EXCLUDED.claim_due").
		Set("first_consult_at = EXCLUDED.first_consult_at, first_consult = EXCLUDED.first_consult").
		Set("last_service_at = EXCLUDED.last_service_at, flagged = EXCLUDED.flagged, flag_reason = EXCLUDED.flag_reason").
		Set("deposit_at = EXCLUDED.deposit_at, contract_at = EXCLUDED.contract_at, completed_at = EXCLUDED.completed_at").
		Set("invalid = EXCLUDED.invalid, record = EXCLUDED.record, state = EXCLUDED.state, updated_at = EXCLUDED.updated_at").
		Set("related_ids = EXCLUDED.related_ids").
		Where("?TableAlias.revision < EXCLUDED.revision").
		Exec(ctx); err != nil {
		return fmt.Errorf("save customer %s: %w", c.ID, err)
	}
	return nil
}

// writeEffects writes the effects of a transition.
func writeEffects(ctx context.Context, tx bun.Tx, b Batch) error {
	c := b.Customer
	eff := b.Effects
	if len(eff.Tasks) > 0 {
		rows := make([]taskRow, 0, len(eff.Tasks))
		for _, t := range eff.Tasks {
			rows = append(rows, taskRow{CustomerID: c.ID, Rule: string(t.Rule), Subject: t.Subject, Seq: t.Seq,
				Title: t.Title, Detail: t.Detail, AssigneeID: t.AssigneeID, AssigneeRole: string(t.AssigneeRole),
				StoreID: t.StoreID, DueAt: t.Due, WorkDueAt: t.WorkDue, Status: string(renoflow.TaskOpen),
				Kind:          string(renoflow.TaskKindOf(t.Rule, t.Seq)),
				PolicyVersion: t.PolicyVersion, CalendarVersion: t.CalendarVersion, CreatedAt: t.CreatedAt})
		}
		if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (customer_id, rule, subject, seq) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("create tasks of %s: %w", c.ID, err)
		}
	}
	for _, cl := range eff.Closed {
		q := tx.NewUpdate().Table("tasks").
			Set("status = ?", string(cl.Status)).Set("done_at = ?", cl.At).Set("done_by = ?", cl.By.ID).Set("outcome = ?", cl.Outcome).
			Set("reason = ?", cl.Reason).
			Where("customer_id = ?", c.ID).Where("rule = ?", string(cl.Rule)).Where("subject = ?", cl.Subject).
			Where("status = ?", string(renoflow.TaskOpen))
		if cl.Seq >= 0 {
			q = q.Where("seq = ?", cl.Seq)
		}
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("close tasks %s/%s of %s: %w", cl.Rule, cl.Subject, c.ID, err)
		}
	}
	if len(eff.Timeline) > 0 {
		rows := make([]timelineRow, 0, len(eff.Timeline))
		for _, e := range eff.Timeline {
			data := e.Data
			if data == nil {
				data = map[string]string{}
			}
			rows = append(rows, timelineRow{CustomerID: c.ID, Key: e.Key, At: e.At, Kind: e.Kind, ActorID: e.Actor.ID,
				ActorName: e.Actor.Name, Summary: e.Summary, Rule: string(e.Rule), PolicyVersion: e.PolicyVersion,
				CalendarVersion: e.CalendarVersion, DueAt: e.Due, Data: data})
		}
		if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (customer_id, key) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("write timeline of %s: %w", c.ID, err)
		}
	}
	if len(eff.Pool) > 0 {
		rows := make([]poolRow, 0, len(eff.Pool))
		for _, p := range eff.Pool {
			rows = append(rows, poolRow{CustomerID: c.ID, Key: p.Key, Kind: p.Kind, At: p.At, StoreID: p.StoreID,
				FromOwner: p.From, ToOwner: p.To, Rule: string(p.Rule), PolicyVersion: p.PolicyVersion, DueAt: p.Due})
		}
		if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (customer_id, key) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("record pool moves of %s: %w", c.ID, err)
		}
	}
	if eff.CloseAll != "" {
		reason := eff.CloseAllReason
		if reason == "" {
			reason = renoflow.ReasonInvalid
		}
		if _, err := tx.NewUpdate().Table("tasks").Set("status = ?", string(eff.CloseAll)).Set("done_at = ?", b.UpdatedAt).
			Set("outcome = ?", reason).Set("reason = ?", reason).
			Where("customer_id = ?", c.ID).Where("status = ?", string(renoflow.TaskOpen)).Exec(ctx); err != nil {
			return fmt.Errorf("close all tasks of %s: %w", c.ID, err)
		}
	}
	if r := eff.Reassign; r != nil {
		if _, err := tx.NewUpdate().Table("tasks").Set("assignee_id = ?", r.To).Where("customer_id = ?", c.ID).
			Where("assignee_id = ?", r.From).Where("status = ?", string(renoflow.TaskOpen)).Exec(ctx); err != nil {
			return fmt.Errorf("reassign tasks of %s: %w", c.ID, err)
		}
	}
	// Open work follows the customer to the store it is in now (a supervisor may move a
	// customer between stores): the old store's staff no longer see it.
	if _, err := tx.NewUpdate().Table("tasks").Set("store_id = ?", c.StoreID).Where("customer_id = ?", c.ID).
		Where("store_id <> ?", c.StoreID).Where("status = ?", string(renoflow.TaskOpen)).Exec(ctx); err != nil {
		return fmt.Errorf("move the open tasks of %s to store %s: %w", c.ID, c.StoreID, err)
	}
	for _, sc := range eff.Scores {
		if _, err := tx.NewRaw(`INSERT INTO followup_scores (customer_id, month, owner_id, store_id, grade, quota, done, missing, points)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (customer_id, month) DO NOTHING`,
			c.ID, sc.Month, sc.OwnerID, sc.StoreID, string(sc.Grade), sc.Quota, sc.Done, sc.Missing, sc.Points).Exec(ctx); err != nil {
			return fmt.Errorf("record follow-up score of %s: %w", c.ID, err)
		}
	}
	for _, s := range eff.Suspensions {
		q := tx.NewUpdate().Table("staff").Where("id = ?", s.DesignerID)
		if s.Lift {
			q = q.Set("suspended_until = NULL").Where("suspended_until = ?", s.Until)
		} else {
			q = q.Set("suspended_until = GREATEST(COALESCE(suspended_until, ?), ?)", s.Until, s.Until)
		}
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("suspend designer %s: %w", s.DesignerID, err)
		}
	}
	if eff.ReleasePhone {
		if _, err := tx.NewDelete().Table("phone_claims").Where("customer_id = ?", c.ID).Exec(ctx); err != nil {
			return fmt.Errorf("release phone of %s: %w", c.ID, err)
		}
	}
	return nil
}

// PoolStats reads the counts the public-pool rules need for staff member staffID on the
// company day of now: claims from the pool that day and active customers held.
func (a *Activities) PoolStats(ctx context.Context, staffID string, now time.Time) (renoflow.PoolStats, error) {
	var s renoflow.PoolStats
	claimed, err := ClaimedToday(ctx, a.DB, staffID, "", now)
	if err != nil {
		return s, err
	}
	held, err := HeldCustomers(ctx, a.DB, staffID, "", now)
	if err != nil {
		return s, err
	}
	return renoflow.PoolStats{ClaimedToday: claimed, Held: held}, nil
}
