package postgres

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

// ScopeCustomers restricts a query on table customers (alias alias) to scope sc: the
// domain's row scope (renoflow.ScopeOf, the query form of Customer.Sees — access follows
// the customer's current relation, kept in related_ids, never its history).
func ScopeCustomers(q *bun.SelectQuery, sc renoflow.Scope, alias string) *bun.SelectQuery {
	col := func(c string) bun.Ident { return bun.Ident(alias + "." + c) }
	if sc.All {
		return q
	}
	if len(sc.Stores) == 0 && sc.Person == "" && sc.PoolStore == "" {
		return q.Where("false")
	}
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("false")
		if len(sc.Stores) > 0 {
			q = q.WhereOr("? IN (?)", col("store_id"), bun.In(sc.Stores))
		}
		if sc.Person != "" {
			q = q.WhereOr("? = ANY(?)", sc.Person, col("related_ids"))
		}
		if sc.PoolStore != "" {
			q = q.WhereOr("(? = ? AND ? = ?)", col("store_id"), sc.PoolStore, col("stage"), string(renoflow.StagePool))
		}
		return q
	})
}

// CustomerIn reads customer id if scope sc holds it; sql.ErrNoRows when it does not
// exist or sc does not hold it.
func CustomerIn(ctx context.Context, db bun.IDB, sc renoflow.Scope, id string) (*Customer, error) {
	var row Customer
	if err := ScopeCustomers(db.NewSelect().Model(&row).Where("c.id = ?", id), sc, "c").Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("load customer %s: %w", id, err)
	}
	return &row, nil
}

// CustomerFilter narrows, sorts and pages a customer list (issue 13). Zero fields do
// not narrow; times are instants (the caller turns company days and months into them).
type CustomerFilter struct {
	Q                               string // part of the phone (Digits), name or community (Q)
	Digits                          string // the phone digits of Q ("" → Q)
	Stage, Grade, OwnerID, StoreID  string
	DesignerID, Channel             string
	FiledFrom, FiledBefore          time.Time // filed_at in [FiledFrom, FiledBefore)
	ConsultedFrom, ConsultedBefore  time.Time // first_consult_at in [from, before)
	SignedFrom, SignedBefore        time.Time // contract_at in [from, before)
	OverdueAt                       time.Time // has open work due before this
	Flagged, InPool, IncludeInvalid bool
	Sort                            string // a CustomerSorts key; "" is filed
	Desc                            bool
	Limit, Offset                   int // Limit 0: every row
}

// CustomerSorts are the columns a customer list sorts by, by sort code.
var CustomerSorts = map[string]string{"filed": "c.filed_at", "name": "c.name", "stage": "c.stage", "grade": "c.grade",
	"owner": "c.owner_name", "updated": "c.updated_at"}

// ListCustomers lists the customers scope sc holds that match f (one page of f.Limit
// from f.Offset, ordered by f.Sort then id), each with its store's name, and the number
// of all that match.
func ListCustomers(ctx context.Context, db bun.IDB, sc renoflow.Scope, f CustomerFilter) ([]ListedCustomer, int, error) {
	var rows []customerMatch
	// The store's name comes with each row (a key probe per listed row), not from a
	// second query (issue 15).
	q := ScopeCustomers(db.NewSelect().Model(&rows).ColumnExpr("?TableColumns").
		ColumnExpr("COALESCE((SELECT s.name FROM stores AS s WHERE s.id = c.store_id), '') AS store_name"), sc, "c")
	// A search's matches are read through its indexes in one pass that gives both the
	// page and, beside each row, how many match: one query instead of a page and a count.
	search := f.Q != "" && f.Limit > 0
	if f.Q != "" {
		cond, args := SearchCondition(f.Q)
		q = q.Where(cond, args...)
	}
	if search {
		q = q.ColumnExpr("count(*) OVER () AS matches")
	}
	eq := map[string]string{"c.stage": f.Stage, "c.grade": f.Grade, "c.owner_id": f.OwnerID, "c.store_id": f.StoreID,
		"c.designer_id": f.DesignerID, "c.channel": f.Channel}
	for col, v := range eq {
		if v != "" {
			q = q.Where("? = ?", bun.Ident(col), v)
		}
	}
	for _, r := range []struct {
		col          string
		from, before time.Time
	}{{"c.filed_at", f.FiledFrom, f.FiledBefore}, {"c.first_consult_at", f.ConsultedFrom, f.ConsultedBefore},
		{"c.contract_at", f.SignedFrom, f.SignedBefore}} {
		if !r.from.IsZero() {
			q = q.Where("? >= ?", bun.Ident(r.col), r.from)
		}
		if !r.before.IsZero() {
			q = q.Where("? < ?", bun.Ident(r.col), r.before)
		}
	}
	if !f.OverdueAt.IsZero() {
		q = q.Where("EXISTS (SELECT 1 FROM tasks AS ot WHERE ot.customer_id = c.id AND ot.status = 'open' AND ot.kind = ? AND ot.due_at < ?)",
			renoflow.TaskWork, f.OverdueAt)
	}
	if f.Flagged {
		q = q.Where("c.flagged")
	}
	if f.InPool {
		q = q.Where("c.stage = ?", renoflow.StagePool)
	}
	if !f.IncludeInvalid && f.Stage != string(renoflow.StageInvalid) {
		q = q.Where("NOT c.invalid")
	}
	col := CustomerSorts[f.Sort]
	if col == "" {
		col = "c.filed_at"
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	q = q.OrderExpr(col + dir).OrderExpr("c.id" + dir)
	if f.Limit > 0 {
		q = q.Limit(int64(f.Limit)).Offset(int64(f.Offset))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, 0, fmt.Errorf("list customers: %w", err)
	}
	// A search's rows carry the total; a page that is not full, and not past the end, is
	// the last, and its rows give it. Only a full page of the unsearched list, or one past
	// the end, counts every match again (issue 15).
	total := f.Offset + len(rows)
	if search && len(rows) > 0 {
		total = int(rows[0].Matches)
	} else if f.Limit > 0 && (len(rows) == f.Limit || (len(rows) == 0 && f.Offset > 0)) {
		n, err := q.Count(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("count customers: %w", err)
		}
		total = int(n)
	}
	var out []ListedCustomer
	if rows != nil {
		out = make([]ListedCustomer, 0, len(rows))
	}
	for _, r := range rows {
		out = append(out, ListedCustomer{Customer: r.Customer, StoreName: r.StoreName})
	}
	return out, total, nil
}

// customerMatch is a customer a search found, with the number of all it found.
type customerMatch struct {
	Customer `bun:",extend"`
	// Matches is a search's count(*) OVER (): every row it matches.
	Matches int64 `bun:"matches,scanonly"`
	// StoreName is the name of the customer's store, read in the same query.
	StoreName string `bun:"store_name,scanonly"`
}

// ListedCustomer is a customer of a list with its store's name.
type ListedCustomer struct {
	Customer
	StoreName string
}

// SearchCondition is the list's search (电话、姓名、小区 containing q) as a condition on
// customers c, in the shape the indexes of migration 20261130600001 serve: the phone by
// its trigrams, only when q is digits (a phone holds nothing else; a full number typed
// with separators or +86 is normalised first); the name and the community by the
// trigrams of their UTF-8 bytes in hex, rechecked on the text itself.
func SearchCondition(q string) (string, []any) {
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(q) + "%"
	hexLike := "%" + hexText(q) + "%"
	cond := "(encode(c.name::bytea, 'hex') LIKE ? AND c.name LIKE ?) OR (encode(c.community::bytea, 'hex') LIKE ? AND c.community LIKE ?)"
	args := []any{hexLike, like, hexLike, like}
	digits := q
	if p, err := renoflow.ParsePhone(q); err == nil {
		digits = string(p)
	}
	if strings.Trim(digits, "0123456789") == "" {
		cond += " OR c.phone LIKE ?"
		args = append(args, "%"+digits+"%")
	}
	return "(" + cond + ")", args
}

// hexText is s's UTF-8 bytes in lower-case hex, as PostgreSQL's encode(s::bytea, 'hex').
func hexText(s string) string { return hex.EncodeToString([]byte(s)) }

// CustomerByPhone is the customer holding phone (its reservation joined with its row);
// sql.ErrNoRows when no written customer holds it.
func CustomerByPhone(ctx context.Context, db bun.IDB, phone string) (*Customer, error) {
	var row Customer
	err := db.NewSelect().Model(&row).Join("JOIN phone_claims AS pc ON pc.customer_id = c.id").
		Where("pc.phone = ?", phone).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("find customer by phone: %w", err)
	}
	return &row, nil
}

// FiledChannel is the PostgreSQL NOTIFY channel on which a filing's write is announced
// (NotifyFiled): the filing request waiting for it answers 201 without asking the
// workflow (issue 15).
const FiledChannel = "renoflow_filed"

// FiledRefused ends the payload of a filing's announcement when the filing could never
// be written (its alert was written instead): "<customer id>" + FiledRefused.
const FiledRefused = ":refused"

// NotifyFiled announces on FiledChannel, when tx commits, that customer id's filing is
// written (refused false) or was refused (its alert written instead).
func NotifyFiled(ctx context.Context, tx bun.IDB, id string, refused bool) error {
	payload := id
	if refused {
		payload += FiledRefused
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_notify(?, ?)", FiledChannel, payload); err != nil {
		return fmt.Errorf("postgres.NotifyFiled %s: %w", id, err)
	}
	return nil
}

// CustomerByID reads the customer row with id, or nil when it is not written (yet).
func CustomerByID(ctx context.Context, db bun.IDB, id string) (*Customer, error) {
	row := new(Customer)
	err := db.NewSelect().Model(row).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres.CustomerByID %s: %w", id, err)
	}
	return row, nil
}
