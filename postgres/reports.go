package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
)

// The monthly report's reads (SPEC.md "Reports"). Each counts for the stores of stores
// only; the report's rules (renoflow.ReportCounts, ScorecardScore) stay in the domain.

// ReportFacts is one customer's facts a report counts, with its store.
type ReportFacts struct {
	StoreID        string    `bun:"store_id"`
	Channel        string    `bun:"channel"`
	FirstConsult   string    `bun:"first_consult"`
	FirstConsultAt time.Time `bun:"first_consult_at"`
	FirstVisitAt   time.Time `bun:"first_visit_at"`
	ContractAt     time.Time `bun:"contract_at"`
}

// ReportCustomerFacts reads the facts of every customer of stores first consulted, first
// at the store or signed in [from, before). The first store visit is the first timeline
// entry that records the customer at the store (renoflow.StoreVisitKinds), or the first
// consultation when it was a visit.
func ReportCustomerFacts(ctx context.Context, db bun.IDB, stores []string, from, before time.Time) ([]ReportFacts, error) {
	var rows []ReportFacts
	if len(stores) == 0 {
		return rows, nil
	}
	// ?0 from, ?1 before.
	err := db.NewRaw(`SELECT * FROM (
			SELECT c.store_id, c.channel, c.first_consult, c.first_consult_at, c.contract_at,
				LEAST(CASE WHEN c.first_consult = 'visit' THEN c.first_consult_at END, v.at) AS first_visit_at
			FROM customers AS c
			LEFT JOIN LATERAL (SELECT min(t.at) AS at FROM timeline AS t WHERE t.customer_id = c.id AND t.kind IN (?3)) AS v ON true
			WHERE c.store_id IN (?2)) AS f
		WHERE (f.first_consult_at >= ?0 AND f.first_consult_at < ?1) OR (f.first_visit_at >= ?0 AND f.first_visit_at < ?1)
			OR (f.contract_at >= ?0 AND f.contract_at < ?1)`,
		from, before, bun.In(stores), bun.In(renoflow.StoreVisitKinds)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("count consultations and contracts: %w", err)
	}
	return rows, nil
}

// OwnerFigures are the customers one owner holds in one store who were first consulted,
// and who signed, in a period.
type OwnerFigures struct {
	OwnerID       string `bun:"owner_id"`
	OwnerName     string `bun:"owner_name"`
	StoreID       string `bun:"store_id"`
	Consultations int    `bun:"consultations"`
	Contracts     int    `bun:"contracts"`
}

// ReportOwners counts each owner's customers of stores first consulted and signed in
// [from, before), by store and owner name.
func ReportOwners(ctx context.Context, db bun.IDB, stores []string, from, before time.Time) ([]OwnerFigures, error) {
	var rows []OwnerFigures
	if len(stores) == 0 {
		return rows, nil
	}
	err := db.NewRaw(`SELECT c.owner_id, max(c.owner_name) AS owner_name, c.store_id,
			count(*) FILTER (WHERE c.first_consult_at >= ?0 AND c.first_consult_at < ?1) AS consultations,
			count(*) FILTER (WHERE c.contract_at >= ?0 AND c.contract_at < ?1) AS contracts
		FROM customers AS c WHERE c.store_id IN (?2) AND c.owner_id <> ''
			AND ((c.first_consult_at >= ?0 AND c.first_consult_at < ?1) OR (c.contract_at >= ?0 AND c.contract_at < ?1))
		GROUP BY c.owner_id, c.store_id ORDER BY c.store_id, max(c.owner_name)`, from, before, bun.In(stores)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("count per staff: %w", err)
	}
	return rows, nil
}

// OwnerScore is one owner's follow-up scores of a month in one store: customers scored,
// follow-ups missing and points lost (SPEC.md step 4), with the owner's name ("" when
// the staff row is gone).
type OwnerScore struct {
	StoreID   string `bun:"store_id"`
	OwnerID   string `bun:"owner_id"`
	Name      string `bun:"name"`
	Customers int    `bun:"customers"`
	Missing   int    `bun:"missing"`
	Points    int    `bun:"points"`
}

// MonthScores sums the follow-up scores of month (YYYY-MM) per store of stores and owner.
func MonthScores(ctx context.Context, db bun.IDB, stores []string, month string) ([]OwnerScore, error) {
	var rows []OwnerScore
	if len(stores) == 0 {
		return rows, nil
	}
	if err := db.NewRaw(`SELECT f.store_id, f.owner_id, COALESCE(st.name, '') AS name, count(*) AS customers,
			COALESCE(sum(f.missing), 0) AS missing, COALESCE(sum(f.points), 0) AS points
		FROM followup_scores AS f LEFT JOIN staff AS st ON st.id = f.owner_id
		WHERE f.month = ? AND f.store_id IN (?)
		GROUP BY f.store_id, f.owner_id, st.name`, month, bun.In(stores)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("read follow-up scores: %w", err)
	}
	return rows, nil
}

// PoolCounts are one store's moves into the public pool (公海) in a period.
type PoolCounts struct {
	StoreID  string `bun:"store_id"`
	Lapsed   int    `bun:"lapsed"`
	Released int    `bun:"released"`
}

// PoolMovesIn counts the lapses and releases into the public pool of each store of
// stores in [from, before).
func PoolMovesIn(ctx context.Context, db bun.IDB, stores []string, from, before time.Time) ([]PoolCounts, error) {
	var rows []PoolCounts
	if len(stores) == 0 {
		return rows, nil
	}
	if err := db.NewSelect().Model((*PoolEvent)(nil)).
		ColumnExpr("pe.store_id, count(*) FILTER (WHERE pe.kind = 'lapse') AS lapsed").
		ColumnExpr("count(*) FILTER (WHERE pe.kind = 'release') AS released").
		Where("pe.at >= ?", from).Where("pe.at < ?", before).Where("pe.store_id IN (?)", bun.In(stores)).
		GroupExpr("pe.store_id").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("count public-pool moves: %w", err)
	}
	return rows, nil
}
