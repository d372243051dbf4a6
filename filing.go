package renoflow

import (
	"fmt"
	"strconv"
	"time"
)

// TimeLayout is how times are written in Chinese summaries (company zone, to the minute).
const TimeLayout = "2006-01-02 15:04"

func fmtTime(t time.Time) string { return t.In(Zone).Format(TimeLayout) }

// NewCustomer files a customer (SPEC.md step 1): the filer becomes the owner and holds a
// claim for the claim window; customer service must verify within VerifyWithin; the
// owner is reminded ClaimReminderBefore the claim lapses. A filing made while the customer
// is at the store or on the phone records that first consultation too.
func NewCustomer(env Env, id string, rec Record, filer Actor, consultation Consultation) (Customer, Effects) {
	return NewCustomerFiledAt(env, id, rec, filer, consultation, time.Time{})
}

// NewCustomerFiledAt is NewCustomer keeping an original filing time (the customer import,
// issue 13): filedAt, when not zero and not after env.Now, is the record's filing time
// (报备登记时间, the first evidence in a 撞单 dispute); the claim and verification clocks
// still count from env.Now. A zero filedAt is NewCustomer.
func NewCustomerFiledAt(env Env, id string, rec Record, filer Actor, consultation Consultation, filedAt time.Time) (Customer, Effects) {
	if filedAt.IsZero() || filedAt.After(env.Now) {
		filedAt = env.Now
	}
	c := Customer{
		ID: id, Record: rec, Stage: StageFiled, StoreID: rec.StoreID,
		Owner: filer.Person(), OwnerSince: env.Now, FiledBy: filer.Person(), FiledAt: filedAt,
		LastServiceAt: env.Now,
	}
	var eff Effects
	c.ClaimDue = env.Add(env.Now, env.Policy.ClaimWindow)
	e := eff.log(env, "filed", filer.Person(), fmt.Sprintf("%s报备客户%s（%s），来源：%s；报备保护期至%s",
		filer.Name, rec.Name, rec.Phone.Masked(), rec.Channel.Label(), fmtTime(c.ClaimDue)))
	e.Rule, e.PolicyVersion, e.CalendarVersion, e.Due = RuleClaimExpiry, env.Policy.Version, env.Calendar.Version, c.ClaimDue
	c.openWork(env, &eff, RuleVerify, "", env.Add(env.Now, env.Policy.VerifyWithin),
		fmt.Sprintf("%s报备，请于%s前核实", filer.Name, fmtTime(env.Add(env.Now, env.Policy.VerifyWithin))))
	c.arm(env, RuleClaimReminder, "", 0, env.Calendar.Sub(c.ClaimDue, env.Policy.ClaimReminderBefore), time.Time{})
	c.arm(env, RuleClaimExpiry, "", 0, c.ClaimDue, time.Time{})
	switch consultation {
	case ConsultVisit:
		c.visit(env, &eff, filer)
	case ConsultPhone:
		c.consult(env, &eff, ConsultPhone)
	}
	c.noteCalendarFallbacks(env, &eff)
	c.TracksTasks = true
	c.track(eff)
	return c, eff
}

// CheckVerify says whether actor may verify the filing now.
func (c *Customer) CheckVerify(actor Actor) error {
	if err := actor.Require(PermVerify, "核实报备"); err != nil {
		return err
	}
	if !c.VerifiedAt.IsZero() {
		return Errorf(CodeConflict, "该报备已于%s由%s核实", fmtTime(c.VerifiedAt), c.VerifiedBy.Name)
	}
	if c.Stage == StageInvalid {
		return Errorf(CodeConflict, "无效客户不能核实")
	}
	return nil
}

// Verify records customer service's verification of the filing (核单); the verification
// task and any overdue alert it raised are done.
func (c *Customer) Verify(env Env, actor Actor, note string) (Effects, error) {
	if err := c.CheckVerify(actor); err != nil {
		return Effects{}, err
	}
	var eff Effects
	c.VerifiedBy, c.VerifiedAt = actor.Person(), env.Now
	c.closeWork(env, &eff, RuleVerify, "", TaskDone, actor.Person(), note)
	eff.log(env, "verified", actor.Person(), withNote(actor.Name+"核实了报备", note))
	return eff, nil
}

// PoolStats are the counts the public-pool rules need, read from the database.
type PoolStats struct {
	ClaimedToday int // customers the actor took from the pool today
	Held         int // active customers the actor owns
}

// CheckStoreVisit says whether actor may record a store visit now. For a customer in the
// public pool the visit is a claim: the pool's daily limit, the previous owner's
// cooling-off and the owner's capacity apply (SPEC.md step 2 "Public pool rules").
func (c *Customer) CheckStoreVisit(env Env, actor Actor, stats PoolStats) error {
	if err := c.canStoreVisit(actor); err != nil {
		return err
	}
	if c.Stage != StagePool {
		return nil
	}
	p := env.Policy
	if err := p.Take(LimitPoolDailyClaims, actor.Person()).Check(stats.ClaimedToday); err != nil {
		return err
	}
	if actor.ID == c.PreviousOwner.ID {
		until := env.Add(c.PreviousOwnerUntil, p.PoolCoolingOff)
		if env.Now.Before(until) {
			return Errorf(CodeConflict, "您是该客户的原归属人，冷静期内（至%s）不能重新认领", fmtTime(until))
		}
	}
	return p.Take(LimitOwnerCapacity, actor.Person()).Check(stats.Held)
}

// canStoreVisit is the part of CheckStoreVisit that needs no counts: a live customer.
func (c *Customer) canStoreVisit(actor Actor) error {
	switch c.Stage {
	case StageInvalid:
		return Errorf(CodeConflict, "无效客户不能登记到店")
	case StageArchived:
		return Errorf(CodeConflict, "已归档客户不能登记到店")
	}
	return actor.Require(PermStoreVisit, "登记到店")
}

// StoreVisit records the customer coming to the store. Inside the claim window it keeps
// the claim; for a customer in the public pool it makes actor the owner (the first to
// bring them to the store); the first visit is the first consultation.
func (c *Customer) StoreVisit(env Env, actor Actor, stats PoolStats, note string) (Effects, error) {
	if err := c.CheckStoreVisit(env, actor, stats); err != nil {
		return Effects{}, err
	}
	var eff Effects
	if c.Stage == StagePool {
		c.Owner, c.OwnerSince, c.Stage = actor.Person(), env.Now, StagePresale
		c.clearFlag()
		c.closePoolNotices(env, &eff)
		eff.Limits = append(eff.Limits, env.Policy.Take(LimitPoolDailyClaims, actor.Person()), env.Policy.Take(LimitOwnerCapacity, actor.Person()))
		c.enterPresale(env, &eff)
		eff.Pool = append(eff.Pool, PoolMove{Key: env.Key, Kind: "claim", At: env.Now, StoreID: c.StoreID,
			From: c.PreviousOwner.ID, To: actor.ID, Rule: RuleClaimExpiry, PolicyVersion: env.Policy.Version})
		eff.log(env, "pool_claim", actor.Person(), withNote(fmt.Sprintf("%s带客户到店，从公海认领为归属人", actor.Name), note))
	} else {
		eff.log(env, "visit", actor.Person(), withNote(fmt.Sprintf("客户到店（%s登记）", actor.Name), note))
	}
	c.visit(env, &eff, actor)
	return eff, nil
}

// visit applies a store visit: the claim clocks stop, the customer enters pre-sale, and
// the first visit counts as the first consultation.
func (c *Customer) visit(env Env, eff *Effects, actor Actor) {
	c.LastVisitAt = env.Now
	if c.Stage == StageFiled {
		c.Stage = StagePresale
		c.enterPresale(env, eff)
		c.Clocks.Cancel(RuleClaimReminder, "")
		c.Clocks.Cancel(RuleClaimExpiry, "")
		eff.Closed = append(eff.Closed, TaskClose{Rule: RuleClaimReminder, Seq: -1, Status: TaskCancelled, At: env.Now, Outcome: "客户已到店", Reason: "客户已到店"})
		e := eff.log(env, "claim_kept", actor.Person(), fmt.Sprintf("客户在报备保护期内到店，%s的报备有效", c.Owner.Name))
		e.Rule = RuleClaimExpiry
	}
	c.served(env)
	c.consult(env, eff, ConsultVisit)
}

// CheckPhoneEnquiry says whether a phone enquiry may be recorded now.
func (c *Customer) CheckPhoneEnquiry(actor Actor) error {
	if err := actor.Require(PermPhoneEnquiry, "登记来电咨询"); err != nil {
		return err
	}
	if c.Stage == StageInvalid || c.Stage == StagePool || c.Stage == StageArchived {
		return Errorf(CodeConflict, "%s客户不能登记来电咨询", c.Stage.Label())
	}
	return nil
}

// PhoneEnquiry records the customer phoning in; the first one is the first consultation.
func (c *Customer) PhoneEnquiry(env Env, actor Actor, note string) (Effects, error) {
	if err := c.CheckPhoneEnquiry(actor); err != nil {
		return Effects{}, err
	}
	var eff Effects
	c.served(env)
	eff.log(env, "phone_enquiry", actor.Person(), withNote(fmt.Sprintf("客户来电咨询（%s登记）", actor.Name), note))
	c.consult(env, &eff, ConsultPhone)
	return eff, nil
}

// consult records the first consultation and, for a customer whose house is not yet
// measured, opens the first call-back due within FirstCallbackWithin (SPEC.md step 3).
func (c *Customer) consult(env Env, eff *Effects, kind Consultation) {
	if !c.FirstConsultAt.IsZero() {
		return
	}
	c.FirstConsultAt, c.FirstConsult = env.Now, kind
	if c.Measured {
		return
	}
	c.openCallback(env, eff, 1, env.Add(env.Now, env.Policy.FirstCallbackWithin))
}

func (c *Customer) openCallback(env Env, eff *Effects, attempt int, due time.Time) {
	c.Callbacks = append(c.Callbacks, Callback{Attempt: attempt, Due: due})
	c.openWork(env, eff, RuleFirstCallback, strconv.Itoa(attempt), due,
		fmt.Sprintf("第%d次首谈回访，请于%s前完成", attempt, fmtTime(due)))
}

// openCallback returns the open first call-back attempt, if any.
func (c *Customer) openCallbackAttempt() (*Callback, bool) {
	for i := range c.Callbacks {
		if c.Callbacks[i].Reached == nil {
			return &c.Callbacks[i], true
		}
	}
	return nil, false
}

// CheckCallback says whether actor may record the outcome of the open call-back.
func (c *Customer) CheckCallback(actor Actor) error {
	if _, ok := c.openCallbackAttempt(); !ok {
		return Errorf(CodeConflict, "没有待办的首谈回访")
	}
	if err := actor.Require(PermCallback, "登记首谈回访"); err != nil {
		return err
	}
	return nil
}

// RecordCallback records the outcome of the open first call-back. An unreachable customer
// gets CallbackRetries more attempts, each due CallbackRetryAfter later.
func (c *Customer) RecordCallback(env Env, actor Actor, reached bool, note string) (Effects, error) {
	if err := c.CheckCallback(actor); err != nil {
		return Effects{}, err
	}
	cb, _ := c.openCallbackAttempt()
	cb.At, cb.By, cb.Reached, cb.Note = env.Now, actor.Person(), &reached, note
	attempt := cb.Attempt
	var eff Effects
	outcome := "已接通"
	if !reached {
		outcome = "未接通"
	}
	c.served(env)
	c.closeWork(env, &eff, RuleFirstCallback, strconv.Itoa(attempt), TaskDone, actor.Person(), outcome)
	eff.log(env, "callback", actor.Person(), withNote(fmt.Sprintf("第%d次首谈回访：%s", attempt, outcome), note))
	if !reached && attempt < 1+env.Policy.CallbackRetries {
		c.openCallback(env, &eff, attempt+1, env.Add(env.Now, env.Policy.CallbackRetryAfter))
	}
	return eff, nil
}

// lapse voids the claim (备档作废): the customer goes to the public pool.
func (c *Customer) lapse(env Env, eff *Effects, clk Clock) {
	prev := c.Owner
	c.PreviousOwner, c.PreviousOwnerUntil = prev, env.Now
	c.Owner, c.OwnerSince, c.Stage = Person{}, env.Now, StagePool
	t := c.newTask(env, clk.Rule, clk.Subject, clk.Seq, "", dueBy(clk),
		fmt.Sprintf("%s在报备后%s内未到店，报备作废，客户进入公海", c.Record.Name, env.Policy.ClaimWindow.Label()))
	t.Title, t.AssigneeID = "报备作废：客户进入公海", prev.ID
	eff.Tasks = append(eff.Tasks, t)
	eff.Pool = append(eff.Pool, PoolMove{Key: "clock:" + clk.Key(), Kind: "lapse", At: env.Now, StoreID: c.StoreID,
		From: prev.ID, Rule: clk.Rule, PolicyVersion: clk.PolicyVersion, Due: clk.Due})
	e := fired(env, eff, clk, fmt.Sprintf("报备作废：%s报备后未在保护期内到店（到期%s），客户进入公海", prev.Name, fmtTime(clk.Due)))
	e.Data = map[string]string{"previous_owner": prev.ID}
	// Work that was the previous owner's no longer applies, nor does the reminder.
	for _, cb := range c.Callbacks {
		if cb.Reached == nil {
			c.closeWork(env, eff, RuleFirstCallback, strconv.Itoa(cb.Attempt), TaskCancelled, Person{}, "报备作废")
		}
	}
	c.Callbacks = nil
	c.voidDispute(env, eff, "报备作废，客户进入公海")
	eff.Closed = append(eff.Closed, TaskClose{Rule: RuleClaimReminder, Seq: -1, Status: TaskCancelled, At: env.Now,
		Outcome: "报备作废", Reason: "报备作废"})
}

// closePoolNotices cancels the notices of the customer's going to the pool (the lapse
// told the previous owner, the release the store manager) once someone claims it. They
// are closed by rule as well as by Conclude, so that rows written before the workflow
// tracked its tasks close too.
func (c *Customer) closePoolNotices(env Env, eff *Effects) {
	reason := c.claimedReason()
	for _, r := range []Rule{RuleClaimExpiry, RulePresaleProtection} {
		eff.Closed = append(eff.Closed, TaskClose{Rule: r, Seq: -1, Status: TaskCancelled, At: env.Now, Outcome: reason, Reason: reason})
	}
}

func withNote(s, note string) string {
	if note == "" {
		return s
	}
	return s + "：" + note
}
