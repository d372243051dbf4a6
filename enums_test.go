package renoflow

import (
	"strings"
	"testing"
)

// Every status a customer's state or a task row can hold has its Chinese label in
// enums.go; the pages, the exports and the reports show these.
func TestStatusLabels(t *testing.T) {
	labels := map[string]string{}
	for _, s := range []DispatchStatus{DispatchProposed, DispatchConfirmed, DispatchAccepted, DispatchRefused, DispatchReturned} {
		labels["dispatch "+string(s)] = s.Label()
	}
	for _, s := range []ComplaintStatus{ComplaintOpen, ComplaintAnswered, ComplaintResolved, ComplaintClosed} {
		labels["complaint "+string(s)] = s.Label()
	}
	for _, s := range []TaskStatus{TaskOpen, TaskDone, TaskCancelled, TaskAcknowledged} {
		labels["task "+string(s)] = s.Label()
	}
	for _, s := range []ComplaintSeverity{SeverityNormal, SeverityMajor} {
		labels["severity "+string(s)] = s.Label()
	}
	for _, k := range []Consultation{ConsultVisit, ConsultPhone} {
		labels["consultation "+string(k)] = k.Label()
		if k.Short() == "" || !k.Valid() {
			t.Errorf("consultation %s: no short label or not valid", k)
		}
	}
	for _, o := range []DisputeOutcome{DisputeOwner, DisputeClaimant, DisputeSplit, DisputeClaimantSubsidy} {
		labels["ruling "+string(o)] = o.Label()
		if !o.Ruling() {
			t.Errorf("%s is not a ruling", o)
		}
	}
	for what, label := range labels {
		if label == "" || strings.HasSuffix(what, " "+label) {
			t.Errorf("%s has no Chinese label (%q)", what, label)
		}
	}
	if DisputeVoid.Ruling() || DisputeOutcome("").Ruling() || DisputeVoid.Label() != "" {
		t.Error("void and open disputes are no ruling and have no label")
	}
	if Consultation("fax").Valid() || !Consultation("").Valid() {
		t.Error("Consultation.Valid")
	}
	if got := DispatchConfirmed.Label(); got != "待设计师接单" {
		t.Errorf("DispatchConfirmed.Label() = %q", got)
	}
}
