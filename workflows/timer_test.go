package workflows

import (
	"fmt"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/stretchr/testify/require"
)

// A staff action that leaves the earliest clock where it was costs no timer commands
// (issue 15 "per transition cost"): the main loop keeps its timer instead of cancelling
// it and starting it again on every transition. The timer still fires.
func TestTimerKeptWhenEarliestClockUnchanged(t *testing.T) {
	h := newHarness(t, nil)
	var scheduled, cancelled, fired int
	h.env.SetOnTimerScheduledListener(func(string, time.Duration) { scheduled++ })
	h.env.SetOnTimerCanceledListener(func(string) { cancelled++ })
	h.env.SetOnTimerFiredListener(func(string) { fired++ })
	h.at(time.Minute, func() { h.update("visit", UpdateStoreVisit, Action{Actor: filer, Note: "看样板间"}) })
	var before, after, firedBefore int
	h.at(2*time.Minute, func() { before, firedBefore = scheduled+cancelled, fired })
	grades := []renoflow.Grade{renoflow.GradeC, renoflow.GradeB, renoflow.GradeC}
	for i, g := range grades {
		h.at(2*time.Minute+time.Duration(i+1)*time.Second, func() {
			h.update(fmt.Sprint("grade", i), UpdateGrade, GradeInput{Action: Action{Actor: filer}, Grade: g})
		})
	}
	h.at(3*time.Minute, func() { after = scheduled + cancelled })
	h.run(8*24*time.Hour, CustomerInput{})
	require.NoError(t, h.results["visit"])
	for i := range grades {
		require.NoError(t, h.results[fmt.Sprint("grade", i)])
	}
	t.Logf("timer commands: %d before the gradings, %d after", before, after)
	require.Equal(t, before, after, "gradings that do not move the earliest clock start or cancel no timer")
	require.Greater(t, fired, firedBefore, "the kept timer fires")
}
