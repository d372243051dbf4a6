package postgres

import (
	"time"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
)

// Staff is a row of staff: a staff account (SPEC.md "People (roles)") and, for a
// designer, the attributes dispatch ranks by (SPEC.md step 5).
type Staff struct {
	bun.BaseModel `bun:"table:staff,alias:st"`

	ID           string        `bun:"id,pk"`
	Login        string        `bun:"login,notnull"`
	Name         string        `bun:"name,notnull"`
	Role         renoflow.Role `bun:"role,notnull"`
	StoreID      string        `bun:"store_id,nullzero"` // NULL: works in no single store (supervisor, admin)
	Lead         bool          `bun:"lead,notnull"`
	PasswordHash string        `bun:"password_hash,notnull"` // bcrypt; "" cannot sign in
	Active       bool          `bun:"active,notnull"`
	DesignerAttributes
	WecomUserID string    `bun:"wecom_userid,notnull"` // 企业微信 user id, for app messages
	CreatedAt   time.Time `bun:"created_at,nullzero,notnull,default:current_timestamp"`
	UpdatedAt   time.Time `bun:"updated_at,nullzero,notnull,default:current_timestamp"`

	// Read with the account by the listing functions: the store's name and the stores a
	// supervisor oversees (supervisor_stores).
	StoreName string   `bun:"store_name,scanonly"`
	Stores    []string `bun:"stores,array,scanonly"`
}

// DesignerAttributes are the staff columns dispatch ranks a designer by (SPEC.md step
// 5; renoflow.RankDesigners).
type DesignerAttributes struct {
	OnDuty            bool       `bun:"on_duty,notnull"`             // on duty today (今日在岗)
	Senior            bool       `bun:"senior,notnull"`              // senior designer (资深)
	ChargesFee        bool       `bun:"charges_fee,notnull"`         // charges a design fee (收费)
	MaterialTargetMet bool       `bun:"material_target_met,notnull"` // main-material sales target met (主材达标)
	DepartmentRank    int        `bun:"department_rank,notnull"`     // 1 best, 0 unranked
	SuspendedUntil    *time.Time `bun:"suspended_until"`             // off dispatch until (停派至)
}
