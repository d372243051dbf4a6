package renoflow

import (
	"fmt"
	"sort"
	"time"
)

// Clock is one pending deadline of a customer: when it is due, which rule and subject it
// belongs to, the rung it stands for (0 = the work itself), and the policy and calendar
// versions that computed it — so every reminder can be explained.
type Clock struct {
	Rule            Rule      `json:"rule"`
	Subject         string    `json:"subject,omitempty"` // which complaint, milestone, month…; "" when the rule has one clock
	Seq             int       `json:"seq"`
	Due             time.Time `json:"due"`
	ArmedAt         time.Time `json:"armed_at"`
	PolicyVersion   int       `json:"policy_version"`
	CalendarVersion int       `json:"calendar_version"`
	WorkDue         time.Time `json:"work_due,omitempty"` // for a ladder rung: when the work itself was due
}

// Key identifies the clock's due point among all of a customer's: rule, subject and rung.
// The task and timeline entry a firing makes carry the same key, so a due point never
// yields two.
func (c Clock) Key() string { return TaskKey(c.Rule, c.Subject, c.Seq) }

// TaskKey is the key of the due point (rule, subject, seq).
func TaskKey(rule Rule, subject string, seq int) string {
	return fmt.Sprintf("%s/%s/%d", rule, subject, seq)
}

// Clocks is a customer's set of pending clocks, kept in firing order (due time, then key)
// so that iteration is deterministic.
type Clocks []Clock

func (cs Clocks) less(i, j int) bool {
	if !cs[i].Due.Equal(cs[j].Due) {
		return cs[i].Due.Before(cs[j].Due)
	}
	return cs[i].Key() < cs[j].Key()
}

// Set arms c, replacing a clock with the same rule, subject and rung.
func (cs *Clocks) Set(c Clock) {
	out := (*cs)[:0]
	for _, x := range *cs {
		if !(x.Rule == c.Rule && x.Subject == c.Subject && x.Seq == c.Seq) {
			out = append(out, x)
		}
	}
	out = append(out, c)
	sort.SliceStable(out, out.less)
	*cs = out
}

// Cancel drops every rung of (rule, subject) and returns how many it dropped.
func (cs *Clocks) Cancel(rule Rule, subject string) int {
	out := (*cs)[:0]
	n := 0
	for _, x := range *cs {
		if x.Rule == rule && x.Subject == subject {
			n++
			continue
		}
		out = append(out, x)
	}
	*cs = out
	return n
}

// CancelAll drops every clock (an invalid customer's timers stop).
func (cs *Clocks) CancelAll() { *cs = (*cs)[:0] }

// Next returns the earliest clock.
func (cs Clocks) Next() (Clock, bool) {
	if len(cs) == 0 {
		return Clock{}, false
	}
	return cs[0], true
}

// PopNext removes and returns the earliest clock if it is due at or before now. Firing
// clocks one at a time lets a firing cancel another clock due at the same instant.
func (cs *Clocks) PopNext(now time.Time) (Clock, bool) {
	if len(*cs) == 0 || (*cs)[0].Due.After(now) {
		return Clock{}, false
	}
	c := (*cs)[0]
	*cs = append((*cs)[:0], (*cs)[1:]...)
	return c, true
}

// Find returns the pending clock of (rule, subject) with the lowest rung.
func (cs Clocks) Find(rule Rule, subject string) (Clock, bool) {
	var best Clock
	found := false
	for _, x := range cs {
		if x.Rule == rule && x.Subject == subject && (!found || x.Seq < best.Seq) {
			best, found = x, true
		}
	}
	return best, found
}

// Has reports whether any clock of rule is pending.
func (cs Clocks) Has(rule Rule) bool {
	for _, x := range cs {
		if x.Rule == rule {
			return true
		}
	}
	return false
}
