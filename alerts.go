package renoflow

import "fmt"

// RuleUnwritable marks the alert raised when a transition's data could never be written
// (a SQL data exception or integrity violation: SQLSTATE class 22 or 23). The change is
// not applied; the supervisor over the store is told. Issue 9 "Poison input", second line:
// the edge refuses such data first.
const RuleUnwritable Rule = "system.unwritable"

func init() {
	ruleSpecs[RuleUnwritable] = RuleSpec{Rule: RuleUnwritable, Title: "数据无法保存，请核查", Section: "issue 9"}
}

// Unwritable is the alert of a transition whose data can never be written: one timeline
// entry and one task for the supervisor over the store, both keyed by the transition's key
// (so a retried alert writes once) and written WITHOUT the offending data — they name only
// what was attempted (what, e.g. "登记跟进" or "到期：[…]") and the database's reason (an
// SQLSTATE and its class, never the value). The customer's state is not changed.
func (c *Customer) Unwritable(env Env, what, reason string) Effects {
	summary := fmt.Sprintf("数据无法保存：「%s」的数据无法写入数据库（%s），本次变更未生效，已通知督导核查", what, reason)
	d := dueNow(env, env.Now)
	var eff Effects
	eff.Tasks = append(eff.Tasks, c.newTask(env, RuleUnwritable, env.Key, 0, ToSupervisor, d, summary))
	eff.Timeline = append(eff.Timeline, Entry{Key: "unwritable:" + env.Key, At: env.Now, Kind: "alert",
		Summary: summary, Rule: RuleUnwritable, PolicyVersion: d.Policy, CalendarVersion: d.Calendar})
	return eff
}
