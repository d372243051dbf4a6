package renoflow

import (
	"testing"
	"time"
)

func testEnv(now time.Time) Env {
	cal := DefaultCalendar()
	return Env{Now: now, Policy: DefaultPolicy(), Calendar: &cal, Key: "k", Version: RulesVersion}
}

func TestMonthQuota(t *testing.T) {
	tests := []struct {
		grade Grade
		from  string
		want  int
	}{
		{GradeA, "2026-11-01 00:00", 4},
		{GradeB, "2026-11-01 00:00", 3},
		{GradeC, "2026-11-01 00:00", 2},
		{GradeD, "2026-11-01 00:00", 1},
		{GradeNone, "2026-11-01 00:00", 1}, // ungraded counts as D
		{GradeA, "2026-11-16 00:00", 2},    // half of November
		{GradeB, "2026-11-23 10:00", 1},    // a quarter, rounded up
		{GradeA, "2026-11-30 23:00", 1},    // the last hour still owes one
		{GradeC, "2026-02-15 00:00", 1},    // 14 of 28 days
		{GradeB, "2026-02-14 00:00", 2},    // 15 of 28 days: 1.6 → 2
	}
	for _, tt := range tests {
		c := Customer{Grade: tt.grade, FollowUp: &FollowUpMonth{From: at(tt.from)}}
		if got := c.monthQuota(DefaultPolicy()); got != tt.want {
			t.Errorf("grade %q from %s: quota %d, want %d", tt.grade, tt.from, got, tt.want)
		}
	}
}

func TestPlanFollowUpsSpreadsTheMonth(t *testing.T) {
	c := Customer{ID: "c", Stage: StagePresale, Grade: GradeA, Owner: Person{ID: "cm1"}, StoreID: "s1"}
	var eff Effects
	c.startMonth(testEnv(at("2026-11-01 00:00")), &eff, at("2026-11-01 00:00"))
	want := []string{"2026-11-07 00:00", "2026-11-13 00:00", "2026-11-19 00:00", "2026-11-25 00:00"}
	if len(eff.Tasks) != len(want) {
		t.Fatalf("tasks = %+v", eff.Tasks)
	}
	for i, task := range eff.Tasks {
		if got := task.Due.In(Zone).Format(TimeLayout); got != want[i] || task.AssigneeID != "cm1" || task.Rule != RuleFollowUp {
			t.Errorf("follow-up %d due %s to %s, want %s to cm1", i+1, got, task.AssigneeID, want[i])
		}
	}
	if !c.Clocks.Has(RuleFollowUpMonth) {
		t.Fatal("the month's closing clock is not armed")
	}
	// Two follow-ups done, then a downgrade to C: nothing more is owed this month.
	env := testEnv(at("2026-11-15 00:00"))
	for i := 0; i < 2; i++ {
		if _, err := c.RecordFollowUp(env, Actor{ID: "cm1", Role: RoleCustomerManager}, "phone", ""); err != nil {
			t.Fatal(err)
		}
	}
	c.DepositAt = time.Time{}
	eff2, err := c.SetGrade(env, Actor{ID: "cm1", Role: RoleCustomerManager}, GradeC, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(eff2.Tasks) != 0 || len(c.FollowUp.Open) != 0 {
		t.Fatalf("a C customer with 2 follow-ups done owes none: tasks %+v open %v", eff2.Tasks, c.FollowUp.Open)
	}
}

func TestGradeRules(t *testing.T) {
	cm := Actor{ID: "cm1", Role: RoleCustomerManager}
	tests := []struct {
		name    string
		c       Customer
		actor   Actor
		grade   Grade
		wantErr ErrorCode
	}{
		{"B in pre-sale", Customer{Stage: StagePresale}, cm, GradeB, ""},
		{"A needs a deposit", Customer{Stage: StagePresale}, cm, GradeA, CodeConflict},
		{"a paid customer stays A", Customer{Stage: StageDeposit, DepositAt: at("2026-11-01 10:00")}, cm, GradeB, CodeConflict},
		{"no grading under construction", Customer{Stage: StageConstruction}, cm, GradeB, CodeConflict},
		{"a designer may not grade", Customer{Stage: StagePresale}, Actor{Role: RoleDesigner}, GradeB, CodeForbidden},
		{"an unknown grade", Customer{Stage: StagePresale}, cm, "E", CodeInvalid},
	}
	for _, tt := range tests {
		err := tt.c.CheckGrade(tt.actor, tt.grade)
		got := ErrorCode("")
		if err != nil {
			got = ErrorCodeOf(err)
		}
		if got != tt.wantErr {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestCheckStoreVisitPoolRules(t *testing.T) {
	env := testEnv(at("2026-11-25 10:00"))
	pool := Customer{Stage: StagePool, PreviousOwner: Person{ID: "cm1"}, PreviousOwnerUntil: at("2026-11-20 10:00")}
	cm1 := Actor{ID: "cm1", Role: RoleCustomerManager}
	cm2 := Actor{ID: "cm2", Role: RoleCustomerManager}
	tests := []struct {
		name  string
		c     Customer
		actor Actor
		stats PoolStats
		want  ErrorCode
	}{
		{"anyone claims", pool, cm2, PoolStats{}, ""},
		{"the previous owner cools off", pool, cm1, PoolStats{}, CodeConflict},
		{"after the cooling-off", Customer{Stage: StagePool, PreviousOwner: Person{ID: "cm1"}, PreviousOwnerUntil: at("2026-10-20 10:00")}, cm1, PoolStats{}, ""},
		{"daily limit", pool, cm2, PoolStats{ClaimedToday: 5}, CodeConflict},
		{"capacity", pool, cm2, PoolStats{Held: 200}, CodeConflict},
		{"a designer may not", pool, Actor{Role: RoleDesigner}, PoolStats{}, CodeForbidden},
		{"a visit in the claim window is no claim", Customer{Stage: StageFiled}, cm2, PoolStats{ClaimedToday: 99}, ""},
		{"invalid", Customer{Stage: StageInvalid}, cm2, PoolStats{}, CodeConflict},
	}
	for _, tt := range tests {
		err := tt.c.CheckStoreVisit(env, tt.actor, tt.stats)
		got := ErrorCode("")
		if err != nil {
			got = ErrorCodeOf(err)
		}
		if got != tt.want {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestMilestoneOrder(t *testing.T) {
	cm := Actor{ID: "cm1", Role: RoleCustomerManager}
	c := Customer{Stage: StageConstruction}
	env := testEnv(at("2026-11-25 10:00"))
	steps := []struct {
		m    Milestone
		want ErrorCode
	}{
		{MilestoneConcealed, CodeConflict}, // out of order
		{"roof", CodeInvalid},
		{MilestoneMaterial, ""},
		{MilestoneMaterial, CodeConflict}, // twice
		{MilestoneMid, CodeConflict},
		{MilestoneConcealed, ""},
		{MilestoneMid, ""},
		{MilestoneCompletion, ""},
	}
	for i, s := range steps {
		before := len(c.Milestones)
		_, err := c.PassMilestone(env, cm, s.m, "")
		got := ErrorCode("")
		if err != nil {
			got = ErrorCodeOf(err)
			if len(c.Milestones) != before {
				t.Fatalf("step %d: a refusal changed the milestones", i)
			}
		}
		if got != s.want {
			t.Fatalf("step %d (%s): got %v, want %q", i, s.m, err, s.want)
		}
	}
	if c.Stage != StageAfterSales || c.WarrantyEnd.IsZero() {
		t.Fatalf("completion starts after-sales: %s %v", c.Stage, c.WarrantyEnd)
	}
	if !c.Clocks.Has(RuleAfterSalesVisit) || !c.Clocks.Has(RuleLivingExperience) || !c.Clocks.Has(RuleHouseCheck) {
		t.Fatalf("after-sales clocks not armed: %+v", c.Clocks)
	}
}
