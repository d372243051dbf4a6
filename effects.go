package renoflow

import (
	"strconv"
	"time"
)

// Entry is one line of the customer's timeline.
type Entry struct {
	Key             string            `json:"key"`
	At              time.Time         `json:"at"`
	Kind            string            `json:"kind"`
	Actor           Person            `json:"actor,omitzero"`
	Summary         string            `json:"summary"`
	Rule            Rule              `json:"rule,omitempty"`
	PolicyVersion   int               `json:"policy_version,omitempty"`
	CalendarVersion int               `json:"calendar_version,omitempty"`
	Due             time.Time         `json:"due,omitzero"`
	Data            map[string]string `json:"data,omitempty"`
}

// PoolMove records a customer entering or leaving the public pool (公海).
type PoolMove struct {
	Key           string    `json:"key"`
	Kind          string    `json:"kind"` // "lapse", "release" (into the pool) or "claim" (out of it)
	At            time.Time `json:"at"`
	StoreID       string    `json:"store_id"`
	From          string    `json:"from,omitempty"`
	To            string    `json:"to,omitempty"`
	Rule          Rule      `json:"rule,omitempty"`
	PolicyVersion int       `json:"policy_version,omitempty"`
	Due           time.Time `json:"due,omitzero"`
}

// Effects are the writes one transition asks for; the workflow hands them to an activity.
type Effects struct {
	Tasks        []Task      `json:"tasks,omitempty"`
	Closed       []TaskClose `json:"closed,omitempty"`
	Timeline     []Entry     `json:"timeline,omitempty"`
	Pool         []PoolMove  `json:"pool,omitempty"`
	ReleasePhone bool        `json:"release_phone,omitempty"`
	// CloseAll closes every open task of the customer with this status (invalid or
	// archived customer), for CloseAllReason.
	CloseAll       TaskStatus `json:"close_all,omitempty"`
	CloseAllReason string     `json:"close_all_reason,omitempty"`
	// Scores are closed follow-up months for the scorecard.
	Scores []MonthScore `json:"scores,omitempty"`
	// Suspensions take designers off dispatch until a time; a zero Until lifts one.
	Suspensions []Suspension `json:"suspensions,omitempty"`
	// Reassign moves the open tasks addressed to one person to another.
	Reassign *Reassignment `json:"reassign,omitempty"`
	// Limits are the cross-customer limits the transition takes (库容, 公海每日认领,
	// 设计师定金客户); the persist checks each atomically and refuses the whole
	// transition when one is reached.
	Limits []LimitTake `json:"limits,omitempty"`
}

// Suspension takes a designer off dispatch until Until (SPEC.md step 5); Lift ends the
// suspension that was set until Until.
type Suspension struct {
	DesignerID string    `json:"designer_id"`
	Until      time.Time `json:"until"`
	Lift       bool      `json:"lift,omitempty"`
}

// Reassignment moves open tasks addressed to From to To.
type Reassignment struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Merge appends other's effects to e.
func (e *Effects) Merge(other Effects) {
	e.Tasks = append(e.Tasks, other.Tasks...)
	e.Closed = append(e.Closed, other.Closed...)
	e.Timeline = append(e.Timeline, other.Timeline...)
	e.Pool = append(e.Pool, other.Pool...)
	e.ReleasePhone = e.ReleasePhone || other.ReleasePhone
	if other.CloseAll != "" {
		e.CloseAll, e.CloseAllReason = other.CloseAll, other.CloseAllReason
	}
	e.Scores = append(e.Scores, other.Scores...)
	e.Suspensions = append(e.Suspensions, other.Suspensions...)
	if other.Reassign != nil {
		e.Reassign = other.Reassign
	}
	e.Limits = append(e.Limits, other.Limits...)
}

// log adds a timeline entry for an action by actor.
func (e *Effects) log(env Env, kind string, actor Person, summary string) *Entry {
	e.Timeline = append(e.Timeline, Entry{Key: env.Key + "#" + strconv.Itoa(len(e.Timeline)), At: env.Now, Kind: kind, Actor: actor, Summary: summary})
	return &e.Timeline[len(e.Timeline)-1]
}
