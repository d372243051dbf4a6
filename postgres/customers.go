package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
)

// Customer is a row of table customers: the customer record as its workflow last wrote
// it — searchable columns plus the whole state as JSON (State). Times a customer does
// not have yet are zero (NULL in the table).
type Customer struct {
	bun.BaseModel `bun:"table:customers,alias:c"`

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
	// the row scope of sales advisors and designers reads (renoflow.ScopeOf).
	RelatedIDs []string `bun:"related_ids,array"`
}

// NewCustomer is the row of customer c as its transition at time at writes it. The
// error is a JSON encoding error of the record or state (data that can never be written).
func NewCustomer(c renoflow.Customer, at time.Time) (*Customer, error) {
	rec, err := json.Marshal(c.Record)
	if err != nil {
		return nil, err
	}
	state, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return &Customer{
		ID: c.ID, Revision: c.Revision, Phone: string(c.Record.Phone), Name: c.Record.Name,
		Gender: string(c.Record.Gender), Community: c.Record.House.Community, Channel: string(c.Record.Channel),
		StoreID: c.StoreID, Stage: string(c.Stage), Grade: string(c.Grade),
		OwnerID: c.Owner.ID, OwnerName: c.Owner.Name, OwnerSince: c.OwnerSince,
		DesignerID: c.Designer.ID, DesignerName: c.Designer.Name, DesignSince: c.DesignSince,
		FiledBy: c.FiledBy.ID, FiledByName: c.FiledBy.Name, FiledAt: c.FiledAt, VerifiedAt: c.VerifiedAt,
		ClaimDue: c.ClaimDue, FirstConsultAt: c.FirstConsultAt, FirstConsult: string(c.FirstConsult),
		LastServiceAt: c.LastServiceAt, DepositAt: c.DepositAt, ContractAt: c.ContractAt, CompletedAt: c.CompletedAt,
		Flagged: c.Flag != "", FlagReason: c.Flag, Invalid: c.Stage == renoflow.StageInvalid,
		Record: rec, State: state, UpdatedAt: at, RelatedIDs: c.Related(),
	}, nil
}

// Decode is the customer's workflow state stored in the row (State).
func (r *Customer) Decode() (renoflow.Customer, error) {
	var c renoflow.Customer
	if err := json.Unmarshal(r.State, &c); err != nil {
		return renoflow.Customer{}, fmt.Errorf("decode customer %s: %w", r.ID, err)
	}
	return c, nil
}

// SaveCustomer upserts row unless the stored row's revision is the same or newer: a
// customer row only moves forward, so a retried or late transition never overwrites a
// newer one. Every column moves with the revision (filed_by, filed_by_name and filed_at
// too: the workflow never changes them after the filing).
func SaveCustomer(ctx context.Context, db bun.IDB, row *Customer) error {
	if _, err := db.NewInsert().Model(row).
		On("CONFLICT (id) DO UPDATE").
		Where("?TableAlias.revision < EXCLUDED.revision").
		Exec(ctx); err != nil {
		return fmt.Errorf("save customer %s: %w", row.ID, err)
	}
	return nil
}
