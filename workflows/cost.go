package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
)

// Cost counts what a stretch of a customer's workflow history cost Temporal (issue 15
// "Per transition cost"): workflow tasks completed, local activities (their markers),
// activities scheduled, timers started, cancelled and fired, and updates completed. The
// difference of two counts taken at rest (Sub) is the cost of what happened in between,
// e.g. one staff action or one timer firing.
type Cost struct {
	WorkflowTasks   int `json:"workflow_tasks"`
	LocalActivities int `json:"local_activities"`
	Activities      int `json:"activities"`
	TimersStarted   int `json:"timers_started"`
	TimersCancelled int `json:"timers_cancelled"`
	TimersFired     int `json:"timers_fired"`
	Updates         int `json:"updates"`
	VersionMarkers  int `json:"version_markers"`
	SearchUpserts   int `json:"search_upserts"`
	Events          int `json:"events"`
}

// CostOf counts events (a history, or part of one).
func CostOf(events []*historypb.HistoryEvent) Cost {
	var c Cost
	for _, ev := range events {
		c.Events++
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			c.WorkflowTasks++
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			switch ev.GetMarkerRecordedEventAttributes().GetMarkerName() {
			case "LocalActivity":
				c.LocalActivities++
			case "Version":
				c.VersionMarkers++
			}
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			c.SearchUpserts++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			c.Activities++
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			c.TimersStarted++
		case enumspb.EVENT_TYPE_TIMER_CANCELED:
			c.TimersCancelled++
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			c.TimersFired++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
			c.Updates++
		}
	}
	return c
}

// Sub is c minus o, field by field.
func (c Cost) Sub(o Cost) Cost {
	return Cost{WorkflowTasks: c.WorkflowTasks - o.WorkflowTasks, LocalActivities: c.LocalActivities - o.LocalActivities,
		Activities: c.Activities - o.Activities, TimersStarted: c.TimersStarted - o.TimersStarted,
		TimersCancelled: c.TimersCancelled - o.TimersCancelled, TimersFired: c.TimersFired - o.TimersFired,
		Updates: c.Updates - o.Updates, VersionMarkers: c.VersionMarkers - o.VersionMarkers,
		SearchUpserts: c.SearchUpserts - o.SearchUpserts, Events: c.Events - o.Events}
}
