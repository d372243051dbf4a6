package renoflow

import (
	"fmt"
	"slices"
	"time"
)

// release returns a pre-sale customer without a deposit to the public pool when the
// protection period ends (SPEC.md step 2).
func (c *Customer) release(env Env, eff *Effects, clk Clock) {
	if !(c.Stage == StagePresale || c.Stage == StageDesign) || !c.DepositAt.IsZero() {
		return
	}
	prev := c.Owner
	c.toPool(env, eff, "售前保护期满，客户释放到公海")
	c.notify(env, eff, clk, ToStoreManager, "售前保护期满：客户释放到公海",
		fmt.Sprintf("%s自%s起%s内未交定金，已从%s名下释放到公海", c.Record.Name, fmtTime(clk.ArmedAt), env.Policy.PresaleProtection.Label(), prev.Name))
	eff.Pool = append(eff.Pool, PoolMove{Key: "clock:" + clk.Key(), Kind: "release", At: env.Now, StoreID: c.StoreID,
		From: prev.ID, Rule: clk.Rule, PolicyVersion: clk.PolicyVersion, Due: clk.Due})
	fired(env, eff, clk, fmt.Sprintf("售前保护期满（%s）未交定金，客户从%s名下释放到公海", fmtTime(clk.Due), prev.Name))
}

// toPool moves a pre-sale customer into the public pool: its follow-ups, protection and
// neglect clocks stop; from rules v3 the previous owner's open call-backs, a dispatch still
// waiting and an open dispute no longer apply (Conclude closes their tasks). why names the
// voided dispute's reason.
func (c *Customer) toPool(env Env, eff *Effects, why string) {
	prev := c.Owner
	c.stopPresale(env, eff, "客户已释放到公海")
	c.Clocks.Cancel(RuleNeglect, "")
	if env.Version >= 3 {
		// Work that was the previous owner's no longer applies (Conclude closes its tasks
		// and stops its clocks): open call-backs and a dispatch still waiting.
		c.Callbacks = slices.DeleteFunc(c.Callbacks, func(cb Callback) bool { return cb.Reached == nil })
		if d := c.dispatch(); d != nil && (d.Status == DispatchProposed || d.Status == DispatchConfirmed) {
			d.Status, d.AnsweredAt, d.Reason = DispatchReturned, env.Now, "客户已释放到公海"
		}
		c.voidDispute(env, eff, why)
	}
	c.PreviousOwner, c.PreviousOwnerUntil = prev, env.Now
	c.Owner, c.OwnerSince, c.Stage = Person{}, env.Now, StagePool
}

// CheckRelease says whether actor may put the customer into the public pool by hand
// (放入公海, issue 13): the store manager or a supervisor (PermReassign), a pre-sale or
// design customer without a deposit — the customers the protection period releases.
func (c *Customer) CheckRelease(actor Actor) error {
	if err := actor.Require(PermReassign, "放入公海"); err != nil {
		return err
	}
	if !(c.Stage == StagePresale || c.Stage == StageDesign) {
		return Errorf(CodeConflict, "%s客户不能放入公海", c.Stage.Label())
	}
	if !c.DepositAt.IsZero() {
		return Errorf(CodeConflict, "已交定金的客户不能放入公海")
	}
	return nil
}

// Release puts the customer into the public pool by hand (放入公海): the same move as the
// protection period's release (toPool), logged with the actor and note; a pool event of
// kind "release" records it.
func (c *Customer) Release(env Env, actor Actor, note string) (Effects, error) {
	if err := c.CheckRelease(actor); err != nil {
		return Effects{}, err
	}
	var eff Effects
	prev := c.Owner
	c.toPool(env, &eff, actor.Name+"将客户放入公海")
	eff.Pool = append(eff.Pool, PoolMove{Key: "release:" + env.Key, Kind: "release", At: env.Now, StoreID: c.StoreID, From: prev.ID})
	eff.log(env, "released", actor.Person(), withNote(fmt.Sprintf("%s将客户从%s名下放入公海", actor.Name, prev.Name), note))
	return eff, nil
}

// served records service to the customer and restarts the neglect watch (SPEC.md step 13).
func (c *Customer) served(env Env) {
	c.LastServiceAt = env.Now
	if i := slices.IndexFunc(c.FlagCauses, func(f FlagCause) bool { return f.Rule == RuleNeglect }); i >= 0 {
		c.FlagCauses = slices.Delete(c.FlagCauses, i, i+1)
		c.settleFlag()
	}
	if env.Version < 1 {
		return
	}
	switch c.Stage {
	case StagePresale, StageDesign, StageDeposit, StageConstruction:
		c.arm(env, RuleNeglect, "", 0, env.Add(env.Now, env.Policy.NeglectAfter), time.Time{})
	default:
		c.Clocks.Cancel(RuleNeglect, "")
	}
}

// neglected flags a customer with no recorded service for the neglect period.
func (c *Customer) neglected(env Env, eff *Effects, clk Clock) {
	c.raiseFlag(FlagCause{Rule: RuleNeglect, Reason: neglectReason(env.Policy)})
	c.notify(env, eff, clk, ToStoreManager, "服务不到位：请跟进或重新分配",
		fmt.Sprintf("%s自%s起无服务记录（归属人%s）", c.Record.Name, fmtTime(c.LastServiceAt), c.Owner.Name))
	fired(env, eff, clk, fmt.Sprintf("服务不到位：自%s起%s无服务记录，标记待重新分配", fmtTime(c.LastServiceAt), env.Policy.NeglectAfter.Label()))
}

// CheckReassignTo says whether actor may give the customer to owner and, when store is
// another store, move the customer there: only a supervisor who oversees both stores
// moves a customer between stores.
func (c *Customer) CheckReassignTo(actor Actor, owner Person, store string) error {
	if err := c.canReassign(actor); err != nil {
		return err
	}
	if store != "" && store != c.StoreID && !(actor.Role == RoleSupervisor && actor.InStore(store) && actor.InStore(c.StoreID)) {
		return &Error{Code: CodeForbidden, Message: "只有总监可以把客户调到其管辖的其他门店",
			Fields: []FieldError{{Field: InStore, Message: "须为客户所在门店"}}}
	}
	if owner.ID == "" {
		return &Error{Code: CodeInvalid, Message: "请选择新的归属人", Fields: []FieldError{{Field: "person", Message: "必选"}}}
	}
	if owner.ID == c.Owner.ID && c.Flag == "" {
		return Errorf(CodeConflict, "%s已是归属人", owner.Name)
	}
	return nil
}

func (c *Customer) canReassign(actor Actor) error {
	if err := actor.Require(PermReassign, "重新分配客户"); err != nil {
		return err
	}
	if c.Stage == StageInvalid || c.Stage == StageArchived {
		return Errorf(CodeConflict, "%s客户不能重新分配", c.Stage.Label())
	}
	return nil
}

// Reassign gives the customer a new owner (store manager or supervisor): the flag is
// cleared and the open tasks addressed to the previous owner move to the new one.
// Reassigning a flagged customer (待重新分配) to its current owner confirms the owner:
// the flag and the escalations that raised it are cleared, the customer stays where it
// is, and the overdue work itself stays open (and overdue) with its owner.
func (c *Customer) Reassign(env Env, actor Actor, owner Person, note string) (Effects, error) {
	return c.ReassignTo(env, actor, owner, "", note)
}

// ReassignTo is Reassign, moving the customer to store first when it is another store:
// from then on the staff of that store see it, and those of the old store no longer do.
func (c *Customer) ReassignTo(env Env, actor Actor, owner Person, store, note string) (Effects, error) {
	if err := c.CheckReassignTo(actor, owner, store); err != nil {
		return Effects{}, err
	}
	var eff Effects
	if store != "" && store != c.StoreID {
		from := c.StoreID
		c.StoreID, c.Record.StoreID = store, store
		eff.log(env, "store_moved", actor.Person(), fmt.Sprintf("%s将客户从门店%s调到门店%s", actor.Name, from, store))
	}
	if owner.ID == c.Owner.ID {
		flag := c.Flag
		c.clearFlag()
		eff.log(env, "owner_confirmed", actor.Person(), withNote(fmt.Sprintf("%s确认%s继续为归属人，解除待重新分配标记（%s）", actor.Name, owner.Name, flag), note))
		return eff, nil
	}
	prev := c.Owner
	c.Owner, c.OwnerSince = owner, env.Now
	c.clearFlag()
	eff.Limits = append(eff.Limits, env.Policy.Take(LimitOwnerCapacity, owner))
	if prev.ID != "" {
		eff.Reassign = &Reassignment{From: prev.ID, To: owner.ID}
	}
	if c.Stage == StagePool {
		c.Stage = StagePresale
		c.closePoolNotices(env, &eff)
		eff.Pool = append(eff.Pool, PoolMove{Key: env.Key, Kind: "claim", At: env.Now, StoreID: c.StoreID, From: c.PreviousOwner.ID, To: owner.ID})
		c.enterPresale(env, &eff)
	}
	from := prev.Name
	if from == "" {
		from = "公海"
	}
	eff.log(env, "reassign", actor.Person(), withNote(fmt.Sprintf("%s将客户从%s重新分配给%s", actor.Name, from, owner.Name), note))
	c.served(env)
	return eff, nil
}
