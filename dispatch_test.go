package renoflow

import (
	"testing"
	"time"
)

func TestRankDesigners(t *testing.T) {
	p := DefaultPolicy()
	cal := DefaultCalendar()
	now := at("2026-11-25 10:00")
	person := func(id string) Person { return Person{ID: id, Name: id} }
	base := func(id string) DesignerInfo { return DesignerInfo{Person: person(id), OnDuty: true} }
	with := func(d DesignerInfo, edit func(*DesignerInfo)) DesignerInfo { edit(&d); return d }
	tests := []struct {
		name   string
		ds     []DesignerInfo
		order  DispatchOrder
		want   []string // ranked IDs, eligible first
		reason map[string]string
	}{
		{
			name: "suspended, off duty, full and stuck are not eligible",
			ds: []DesignerInfo{
				with(base("susp"), func(d *DesignerInfo) { d.SuspendedUntil = now.Add(time.Hour) }),
				with(base("off"), func(d *DesignerInfo) { d.OnDuty = false }),
				with(base("full"), func(d *DesignerInfo) { d.DepositCustomers = 3 }),
				with(base("stuck"), func(d *DesignerInfo) { d.StuckSince = now.AddDate(0, -2, 0) }),
				with(base("ok"), func(d *DesignerInfo) { d.DepositCustomers = 2; d.StuckSince = now.AddDate(0, 0, -10) }),
				with(base("was-suspended"), func(d *DesignerInfo) { d.SuspendedUntil = now.Add(-time.Hour) }),
			},
			want:   []string{"ok", "was-suspended", "full", "off", "stuck", "susp"},
			reason: map[string]string{"susp": "拒单停派至2026-11-25 11:00", "off": "今日不在岗", "full": "已有3位交定金客户（上限3）", "stuck": "有客户设计超过1个月未签约"},
		},
		{
			name:  "a stuck designer may take an off-plan customer",
			ds:    []DesignerInfo{with(base("stuck"), func(d *DesignerInfo) { d.StuckSince = now.AddDate(0, -2, 0) })},
			order: DispatchOrder{OffPlan: true},
			want:  []string{"stuck"},
		},
		{
			name: "material target, then department ranking, then fewer held",
			ds: []DesignerInfo{
				with(base("a"), func(d *DesignerInfo) { d.DepartmentRank = 1; d.Held = 9 }),
				with(base("b"), func(d *DesignerInfo) { d.MaterialTargetMet = true; d.DepartmentRank = 5 }),
				with(base("c"), func(d *DesignerInfo) { d.DepartmentRank = 1; d.Held = 2 }),
				with(base("d"), func(d *DesignerInfo) { d.DepartmentRank = 0 }), // unranked after the ranked
			},
			want: []string{"b", "c", "a", "d"},
		},
		{
			name: "large orders go to senior or fee-charging designers first",
			ds: []DesignerInfo{
				with(base("top"), func(d *DesignerInfo) { d.MaterialTargetMet = true; d.DepartmentRank = 1 }),
				with(base("senior"), func(d *DesignerInfo) { d.Senior = true; d.DepartmentRank = 7 }),
				with(base("fee"), func(d *DesignerInfo) { d.ChargesFee = true; d.DepartmentRank = 3 }),
			},
			order: DispatchOrder{BudgetWan: 50},
			want:  []string{"fee", "senior", "top"},
		},
		{
			name: "a small order ignores seniority",
			ds: []DesignerInfo{
				with(base("top"), func(d *DesignerInfo) { d.MaterialTargetMet = true }),
				with(base("senior"), func(d *DesignerInfo) { d.Senior = true }),
			},
			order: DispatchOrder{BudgetWan: 10},
			want:  []string{"top", "senior"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RankDesigners(tt.ds, tt.order, now, p, &cal)
			var ids []string
			for _, r := range got {
				ids = append(ids, r.ID)
				if want, ok := tt.reason[r.ID]; ok && (r.Eligible || r.Reason != want) {
					t.Errorf("%s: eligible=%v reason=%q, want %q", r.ID, r.Eligible, r.Reason, want)
				}
			}
			if len(ids) != len(tt.want) {
				t.Fatalf("ranked %v, want %v", ids, tt.want)
			}
			for i := range ids {
				if ids[i] != tt.want[i] {
					t.Fatalf("ranked %v, want %v", ids, tt.want)
				}
			}
		})
	}
}
