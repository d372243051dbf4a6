package renoflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestDefaultPolicyIsValidAndRoundTrips(t *testing.T) {
	p := DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePolicy(body)
	if err != nil {
		t.Fatal(err)
	}
	if back != p {
		t.Fatalf("round trip changed the policy:\n%+v\n%+v", back, p)
	}
	if p.VerifyWithin.String() != "2h" || p.ClaimWindow.String() != "7d" || p.FollowUpsPerMonth.Of(GradeB) != 3 {
		t.Fatalf("defaults differ from SPEC.md: %+v", p)
	}
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantFields []string
		check      func(Policy) bool
	}{
		{name: "partial keeps defaults", body: `{"claim_window":"3d"}`,
			check: func(p Policy) bool { return p.ClaimWindow == MustSpan("3d") && p.VerifyWithin == MustSpan("2h") }},
		{name: "working days", body: `{"first_callback_within":"2wd"}`,
			check: func(p Policy) bool { return p.FirstCallbackWithin.Unit == UnitWorkingDay }},
		{name: "zero span", body: `{"verify_within":"0h","claim_window":"0d"}`, wantFields: []string{"verify_within", "claim_window"}},
		{name: "reminder outside window", body: `{"claim_window":"1d","claim_reminder_before":"2d"}`, wantFields: []string{"claim_reminder_before"}},
		{name: "negative count", body: `{"follow_ups_per_month":{"A":-1,"B":3,"C":2,"D":1}}`, wantFields: []string{"follow_ups_per_month.A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(tt.body))
			if len(tt.wantFields) == 0 {
				if err != nil || !tt.check(p) {
					t.Fatalf("ParsePolicy = %+v, %v", p, err)
				}
				return
			}
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("want a domain error, got %v", err)
			}
			if len(de.Fields) != len(tt.wantFields) {
				t.Fatalf("fields = %+v, want %v", de.Fields, tt.wantFields)
			}
			for i, f := range tt.wantFields {
				if de.Fields[i].Field != f {
					t.Fatalf("fields = %+v, want %v", de.Fields, tt.wantFields)
				}
			}
		})
	}
	for _, bad := range []string{`{"claim_window":"soon"}`, `{"no_such_rule":"1d"}`, `[`} {
		if _, err := ParsePolicy([]byte(bad)); ErrorCodeOf(err) != CodeInvalid {
			t.Errorf("ParsePolicy(%s) = %v, want invalid", bad, err)
		}
	}
}

func TestUsesWorkingDays(t *testing.T) {
	p := DefaultPolicy()
	if p.UsesWorkingDays() {
		t.Fatal("the defaults are in calendar time")
	}
	p.FirstCallbackWithin = MustSpan("2wd")
	if !p.UsesWorkingDays() {
		t.Fatal("a working-day span needs the calendar")
	}
}

// Every setting of the policy is in the one table of policy fields (the admin page, the
// validation and docs/rules.md read it), every row is a setting, and the table writes each
// value as the policy's JSON does.
func TestPolicyFieldsCoverPolicy(t *testing.T) {
	p := DefaultPolicy()
	p.FollowUpsPerMonth.C, p.LargeOrderBudgetWan, p.Warranty = 7, 12.5, MustSpan("3wd")
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for k, v := range raw {
		if sub, ok := v.(map[string]any); ok {
			for sk, sv := range sub {
				want[k+"."+sk] = fmt.Sprint(sv)
			}
			continue
		}
		want[k] = fmt.Sprint(v)
	}
	got := PolicyValues(p)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PolicyValues = %v\nthe policy's JSON = %v", got, want)
	}
	seen := map[string]bool{}
	for _, f := range PolicyFields() {
		if seen[f.Key] || f.Label == "" || f.Section == "" {
			t.Errorf("%s: listed twice, or without a label or section", f.Key)
		}
		seen[f.Key] = true
		if f.Kind == PolicySpan {
			if _, err := ParseSpan(got[f.Key]); err != nil {
				t.Errorf("%s: %v", f.Key, err)
			}
		}
	}
	if !p.UsesWorkingDays() || DefaultPolicy().UsesWorkingDays() {
		t.Error("UsesWorkingDays does not read the spans")
	}
}
