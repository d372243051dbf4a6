package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// PhoneClaim is a row of table phone_claims: a phone number held by an active customer,
// the arbiter of duplicate filings (撞单). The API inserts it before the customer's
// workflow starts; it is released when the customer is confirmed invalid.
type PhoneClaim struct {
	bun.BaseModel `bun:"table:phone_claims,alias:pc"`

	Phone      string    `bun:"phone,pk"`
	CustomerID string    `bun:"customer_id"`
	FiledBy    string    `bun:"filed_by"`
	FiledAt    time.Time `bun:"filed_at"`
	// RequestKey is the idempotency key of the filing request that reserved the phone
	// ("" without one): a repeat from the same filer answers with the same customer.
	RequestKey string `bun:"request_key"`
}

// ReleasePhone deletes the phone reservation of customer customerID (none is fine).
func ReleasePhone(ctx context.Context, db bun.IDB, customerID string) error {
	if _, err := db.NewDelete().Model((*PhoneClaim)(nil)).Where("customer_id = ?", customerID).Exec(ctx); err != nil {
		return fmt.Errorf("release phone of %s: %w", customerID, err)
	}
	return nil
}

// FilingPending reports whether a phone reservation of customer customerID exists: its
// filing is pending or done (the customer row may not be written yet).
func FilingPending(ctx context.Context, db bun.IDB, customerID string) (bool, error) {
	ok, err := db.NewSelect().Model((*PhoneClaim)(nil)).Where("customer_id = ?", customerID).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("look up pending filing %s: %w", customerID, err)
	}
	return ok, nil
}

// FiledByRequest is the ID of the customer whose phone filer filedBy reserved with
// request key key; sql.ErrNoRows when there is none.
func FiledByRequest(ctx context.Context, db bun.IDB, filedBy, key string) (string, error) {
	var id string
	err := db.NewSelect().Model((*PhoneClaim)(nil)).Column("customer_id").Where("filed_by = ?", filedBy).
		Where("request_key = ?", key).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("look up filing request: %w", err)
	}
	return id, nil
}

// ReservePhone inserts claim unless its phone is held already; false when it is (撞单).
// The filing runs it under the filer's limit lock (LockStaff) after counting their
// HeldCustomers, in the same transaction.
func ReservePhone(ctx context.Context, db bun.IDB, claim *PhoneClaim) (bool, error) {
	res, err := db.NewInsert().Model(claim).On("CONFLICT (phone) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("reserve phone: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("reserve phone: %w", err)
	}
	return n == 1, nil
}

// PhoneHolder describes who holds a phone number: its reservation, with the filer's
// name and the customer row's owner and stage when they exist.
type PhoneHolder struct {
	CustomerID         string         `bun:"customer_id"`
	FiledAt            time.Time      `bun:"filed_at"`
	FiledByName        sql.NullString `bun:"filed_by_name"`
	OwnerName          sql.NullString `bun:"owner_name"`
	OwnerSince         sql.NullTime   `bun:"owner_since"`
	Stage              sql.NullString `bun:"stage"`
	CustomerRowMissing bool           `bun:"row_missing"` // the filing's workflow has not written the row yet
}

// HolderOf is who holds phone; nil when nobody does.
func HolderOf(ctx context.Context, db bun.IDB, phone string) (*PhoneHolder, error) {
	var h PhoneHolder
	err := db.NewRaw(`SELECT pc.customer_id, pc.filed_at, st.name AS filed_by_name, c.owner_name, c.owner_since, c.stage,
			c.id IS NULL AS row_missing
		FROM phone_claims pc
		LEFT JOIN customers c ON c.id = pc.customer_id
		LEFT JOIN staff st ON st.id = pc.filed_by
		WHERE pc.phone = ?`, phone).Scan(ctx, &h)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up phone holder: %w", err)
	}
	return &h, nil
}

// ReleaseReservation deletes the reservation of phone by customer customerID; false when
// there was none (released or taken over in between).
func ReleaseReservation(ctx context.Context, db bun.IDB, phone, customerID string) (bool, error) {
	res, err := db.NewDelete().Model((*PhoneClaim)(nil)).Where("phone = ?", phone).Where("customer_id = ?", customerID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("release reservation of %s: %w", customerID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReservedWith reports whether filer filedBy reserved phone with request key key (a
// repeated import row: the phone is its own).
func ReservedWith(ctx context.Context, db bun.IDB, phone, filedBy, key string) (bool, error) {
	ok, err := db.NewSelect().Model((*PhoneClaim)(nil)).Where("phone = ?", phone).
		Where("filed_by = ?", filedBy).Where("request_key = ?", key).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("look up import row: %w", err)
	}
	return ok, nil
}
