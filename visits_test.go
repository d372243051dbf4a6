package renoflow

import (
	"strings"
	"testing"
	"time"
)

var (
	csActor = Actor{ID: "cs1", Name: "客服", Role: RoleCustomerService, StoreID: "s1"}
	cmActor = Actor{ID: "cm1", Name: "张经理", Role: RoleCustomerManager, StoreID: "s1"}
)

// completedCustomer is a customer whose construction was completed at done under the
// rules of version.
func completedCustomer(t *testing.T, done time.Time, version int) (*Customer, Env) {
	t.Helper()
	c := &Customer{ID: "c1", Stage: StageConstruction, StoreID: "s1", Owner: cmActor.Person(), Record: Record{Name: "王女士"}}
	env := testEnv(done)
	env.Version = version
	var eff Effects
	c.complete(env, &eff)
	return c, env
}

// fireUntil fires every clock due up to until, in order, and returns what the firings wrote.
func fireUntil(c *Customer, env Env, until time.Time) Effects {
	var eff Effects
	for {
		clk, ok := c.Clocks.PopNext(until)
		if !ok {
			return eff
		}
		e := env
		e.Now, e.Key = clk.Due, "clock:"+clk.Key()
		eff.Merge(c.Fire(e, clk))
	}
}

// tasksOf lists the keys of the work tasks (not the escalations) of rules.
func tasksOf(eff Effects, rules ...Rule) []string {
	var out []string
	for _, task := range eff.Tasks {
		for _, r := range rules {
			if task.Rule == r && task.Seq == 0 {
				out = append(out, task.Key()+"@"+task.Due.In(Zone).Format(TimeLayout))
			}
		}
	}
	return out
}

// summaries joins the timeline summaries.
func summaries(eff Effects) string {
	var b strings.Builder
	for _, e := range eff.Timeline {
		b.WriteString(e.Summary + "\n")
	}
	return b.String()
}

// Seed 004: every visit of the table (三个月居住感受回访, 一年房屋检查) is announced a week
// before (回访前一周发出回访通知和邀请); the customer who moved in gets both visits.
func TestTableVisitsAnnouncedAWeekBefore(t *testing.T) {
	c, env := completedCustomer(t, at("2027-01-10 10:00"), RulesVersion)
	env.Now = at("2027-01-20 10:00")
	if _, err := c.RecordMovedIn(env, csActor, "2027-01-18", ""); err != nil {
		t.Fatal(err)
	}
	eff := fireUntil(c, env, at("2028-01-10 10:00"))
	got := tasksOf(eff, RuleAfterSalesNotice, RuleLivingExperience, RuleHouseCheck)
	want := []string{
		"aftersales.notice/living/0@2027-04-03 10:00", "aftersales.living//0@2027-04-13 10:00",
		"aftersales.notice/1/0@2027-07-03 10:00",
		"aftersales.notice/2/0@2028-01-03 10:00", "aftersales.notice/check/0@2028-01-03 10:00", "aftersales.check//0@2028-01-13 10:00",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("tasks\n got %v\nwant %v", got, want)
	}
	if !strings.Contains(summaries(eff), "入住三个月居住感受回访预告（回访时间2027-04-10 10:00）") {
		t.Errorf("timeline:\n%s", summaries(eff))
	}
	// The notice stays open until its visit is done (moot tasks, issue 10 §4).
	c2, env2 := completedCustomer(t, at("2027-01-10 10:00"), RulesVersion)
	c2.TracksTasks = true
	env2.Now = at("2027-01-20 10:00")
	if _, err := c2.RecordMovedIn(env2, csActor, "", ""); err != nil {
		t.Fatal(err)
	}
	var eff2 Effects
	eff2.Merge(fireUntil(c2, env2, at("2027-04-03 10:00")))
	c2.Conclude(env2, &eff2)
	for _, cl := range eff2.Closed {
		if cl.Rule == RuleAfterSalesNotice {
			t.Fatalf("the notice of a visit still to come is closed: %+v", cl)
		}
	}
	if r := c2.Moot(OpenTask{Rule: RuleAfterSalesNotice, Subject: "living"}); r != "" {
		t.Fatalf("notice moot before its visit: %s", r)
	}
	eff2 = fireUntil(c2, env2, at("2027-04-10 10:00"))
	env2.Now = at("2027-04-11 10:00")
	if _, err := c2.CompleteTask(env2, csActor, RuleLivingExperience, "", 0, nil, ""); err != nil {
		t.Fatal(err)
	}
	if r := c2.Moot(OpenTask{Rule: RuleAfterSalesNotice, Subject: "living"}); r == "" {
		t.Fatal("the notice is not moot once its visit is done")
	}
}

// Seed 004 以下客户无需安排回访 ①: a customer who has had a major complaint (marked when
// logged or later, open or closed) gets neither visit; the timeline says why.
func TestTableVisitsSkippedAfterMajorComplaint(t *testing.T) {
	tests := []struct {
		name string
		mark func(c *Customer, env Env) error
	}{
		{"major when logged", func(c *Customer, env Env) error {
			_, err := c.OpenComplaint(env, csActor, "material", SeverityMajor, Person{}, "地板起鼓")
			return err
		}},
		{"marked major later", func(c *Customer, env Env) error {
			if _, err := c.OpenComplaint(env, csActor, "material", "", Person{}, "地板起鼓"); err != nil {
				return err
			}
			env.Now = env.Now.Add(time.Hour)
			_, err := c.MarkComplaintMajor(env, csActor, "K1", "业主投诉至消协")
			return err
		}},
	}
	for _, tt := range tests {
		c, env := completedCustomer(t, at("2027-01-10 10:00"), RulesVersion)
		env.Now = at("2027-01-20 10:00")
		if _, err := c.RecordMovedIn(env, csActor, "", ""); err != nil {
			t.Fatal(err)
		}
		if err := tt.mark(c, env); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		eff := fireUntil(c, env, at("2029-02-01 00:00"))
		if got := tasksOf(eff, RuleLivingExperience, RuleHouseCheck); len(got) != 0 {
			t.Errorf("%s: visits still made: %v", tt.name, got)
		}
		for _, task := range eff.Tasks {
			if task.Rule == RuleAfterSalesNotice && !strings.Contains(task.Detail, "售后回访") {
				t.Errorf("%s: notice of a skipped visit: %+v", tt.name, task)
			}
		}
		text := summaries(eff)
		if !strings.Contains(text, "不安排入住三个月居住感受回访：客户有过重大投诉（K1）") || !strings.Contains(text, "不安排竣工一年房屋检查：客户有过重大投诉（K1）") {
			t.Errorf("%s: timeline does not say why:\n%s", tt.name, text)
		}
		if c.Clocks.Has(RuleLivingExperience) || c.Clocks.Has(RuleHouseCheck) {
			t.Errorf("%s: clocks left %+v", tt.name, c.Clocks)
		}
	}
}

// Seed 004 ②③: a customer who has not moved in (装修期 / 没有实际入住) is not visited
// yet: the visit (and its notice) is postponed by VisitPostponeEvery until they move in,
// and given up at the end of the warranty.
func TestTableVisitsPostponedUntilMovedIn(t *testing.T) {
	c, env := completedCustomer(t, at("2027-01-10 10:00"), RulesVersion)
	eff := fireUntil(c, env, at("2027-05-01 00:00"))
	if got := tasksOf(eff, RuleLivingExperience); len(got) != 0 {
		t.Fatalf("visited before moving in: %v", got)
	}
	if !strings.Contains(summaries(eff), "入住三个月居住感受回访顺延至2027-05-10 10:00：客户尚未实际入住") {
		t.Fatalf("timeline:\n%s", summaries(eff))
	}
	env.Now = at("2027-05-01 09:00")
	if _, err := c.RecordMovedIn(env, csActor, "2027-04-28", "刚搬入"); err != nil {
		t.Fatal(err)
	}
	if got := c.MovedInAt.In(Zone).Format(time.DateOnly); got != "2027-04-28" {
		t.Fatalf("MovedInAt %s", got)
	}
	eff = fireUntil(c, env, at("2027-05-11 00:00"))
	if got := tasksOf(eff, RuleLivingExperience, RuleAfterSalesNotice); strings.Join(got, " ") != "aftersales.notice/living.1/0@2027-05-03 10:00 aftersales.living/1/0@2027-05-13 10:00" {
		t.Fatalf("postponed visit: %v", got)
	}
	// The postponed visit's task is done like any visit.
	env.Now = at("2027-05-11 10:00")
	if _, err := c.CompleteTask(env, csActor, RuleLivingExperience, "1", 0, nil, "住得满意"); err != nil {
		t.Fatal(err)
	}

	// Never moved in: postponed month by month, given up when the warranty ends.
	c, env = completedCustomer(t, at("2027-01-10 10:00"), RulesVersion)
	eff = fireUntil(c, env, at("2029-03-01 00:00"))
	if got := tasksOf(eff, RuleLivingExperience, RuleHouseCheck); len(got) != 0 {
		t.Fatalf("visited without moving in: %v", got)
	}
	if !strings.Contains(summaries(eff), "不再安排竣工一年房屋检查：客户尚未实际入住，顺延已超出质保期") {
		t.Fatalf("timeline:\n%s", summaries(eff))
	}
	if c.Stage != StageArchived {
		t.Fatalf("stage %s, clocks %+v: the held visits must not keep the customer open", c.Stage, c.Clocks)
	}
}

// Customers completed before rules version 2 keep their visits as they were: no notice,
// no waiting for the move-in.
func TestTableVisitsVersion1Unchanged(t *testing.T) {
	c, env := completedCustomer(t, at("2027-01-10 10:00"), 1)
	eff := fireUntil(c, env, at("2028-01-20 00:00"))
	got := tasksOf(eff, RuleAfterSalesNotice, RuleLivingExperience, RuleHouseCheck)
	want := "aftersales.living//0@2027-04-13 10:00 aftersales.notice/1/0@2027-07-03 10:00 aftersales.notice/2/0@2028-01-03 10:00 aftersales.check//0@2028-01-13 10:00"
	if strings.Join(got, " ") != want {
		t.Fatalf("version 1 tasks\n got %v\nwant %v", got, want)
	}
}

func TestComplaintSeverity(t *testing.T) {
	c := &Customer{ID: "c1", Stage: StagePresale, StoreID: "s1", Owner: cmActor.Person()}
	env := testEnv(at("2026-11-10 10:00"))
	err := c.CheckOpenComplaint(csActor, "design", "urgent", "设计图迟迟不给")
	if de := asError(err); de == nil || len(de.Fields) != 1 || de.Fields[0].Field != "severity" {
		t.Fatalf("bad severity: %v", err)
	}
	if _, err := c.OpenComplaint(env, csActor, "design", SeverityNormal, Person{}, "设计图迟迟不给"); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.MajorComplaint(); ok {
		t.Fatal("a normal complaint is not major")
	}
	if err := c.CheckMarkComplaintMajor(Actor{ID: "d1", Role: RoleDesigner}, "K1"); err == nil {
		t.Error("a designer may not mark a complaint major")
	}
	if err := c.CheckMarkComplaintMajor(csActor, "K9"); err == nil {
		t.Error("no complaint K9")
	}
	if _, err := c.MarkComplaintMajor(env, csActor, "K1", ""); err != nil {
		t.Fatal(err)
	}
	if k, ok := c.MajorComplaint(); !ok || k.MajorBy.ID != "cs1" || !k.MajorAt.Equal(env.Now) {
		t.Fatalf("marked: %+v", c.Complaints)
	}
	if err := c.CheckMarkComplaintMajor(csActor, "K1"); err == nil {
		t.Error("marked twice")
	}
}

// Seed 004: 签约后一周内客户中心实施销售服务回访 — customer service, within ContractVisitWithin.
func TestContractVisit(t *testing.T) {
	for _, version := range []int{1, RulesVersion} {
		c := &Customer{ID: "c1", Stage: StageDeposit, StoreID: "s1", Owner: cmActor.Person()}
		env := testEnv(at("2026-11-10 10:00"))
		env.Version = version
		eff, err := c.Contract(env, cmActor, 200000, "")
		if err != nil {
			t.Fatal(err)
		}
		got := tasksOf(eff, RuleContractVisit)
		if version == 1 && len(got) != 0 || version == RulesVersion && (len(got) != 1 || got[0] != "contract.visit//0@2026-11-17 10:00" || eff.Tasks[0].AssigneeRole != ToCustomerService) {
			t.Errorf("version %d: contract visit tasks %v", version, got)
		}
	}
}

func TestMovedInChecks(t *testing.T) {
	c, env := completedCustomer(t, at("2027-01-10 10:00"), RulesVersion)
	env.Now = at("2027-02-01 10:00")
	tests := []struct {
		actor Actor
		date  string
		want  string // "" accepted; else the field or the message part
	}{
		{Actor{ID: "d1", Role: RoleDesigner}, "", "设计师"},
		{csActor, "2027-13-01", "date"},
		{csActor, "2027-02-02", "date"},
		{csActor, "2027-01-09", "date"},
		{csActor, "2027-01-10", ""},
	}
	for _, tt := range tests {
		cc := *c
		_, err := cc.RecordMovedIn(env, tt.actor, tt.date, "")
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.date, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error()+fieldsOf(err), tt.want)):
			t.Errorf("%s: err %v, want %s", tt.date, err, tt.want)
		}
	}
	pre := &Customer{Stage: StageConstruction}
	if err := pre.CheckMovedIn(csActor); err == nil {
		t.Error("moved in before completion")
	}
}

func asError(err error) *Error {
	de, _ := err.(*Error)
	return de
}

func fieldsOf(err error) string {
	var s string
	if de := asError(err); de != nil {
		for _, f := range de.Fields {
			s += " " + f.Field
		}
	}
	return s
}
