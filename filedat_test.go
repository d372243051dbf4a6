package renoflow

import (
	"strings"
	"testing"
	"time"
)

// NewCustomerFiledAt keeps an imported customer's original filing time (issue 13) while
// its claim and verification clocks count from now; a zero or future time is now.
func TestNewCustomerFiledAt(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, Zone)
	orig := time.Date(2024, 3, 5, 10, 30, 0, 0, Zone)
	rec := Record{Name: "陈", Gender: GenderFemale, Phone: "13812345678", Channel: ChannelReferral, StoreID: "s1"}
	cm := Actor{ID: "cm1", Name: "张经理", Role: RoleCustomerManager, StoreID: "s1"}
	plain, _ := NewCustomer(testEnv(now), "c1", rec, cm, "")
	tests := []struct {
		name    string
		filedAt time.Time
		want    time.Time
	}{
		{"no filing time: now", time.Time{}, now},
		{"original filing time kept", orig, orig},
		{"a future time is now", now.Add(time.Hour), now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := NewCustomerFiledAt(testEnv(now), "c1", rec, cm, "", tt.filedAt)
			if !c.FiledAt.Equal(tt.want) {
				t.Fatalf("FiledAt = %v, want %v", c.FiledAt, tt.want)
			}
			if !c.ClaimDue.Equal(plain.ClaimDue) || !c.OwnerSince.Equal(now) {
				t.Fatalf("clocks moved: ClaimDue %v (want %v), OwnerSince %v", c.ClaimDue, plain.ClaimDue, c.OwnerSince)
			}
			v, ok := c.Clocks.Find(RuleVerify, "")
			pv, _ := plain.Clocks.Find(RuleVerify, "")
			if !ok || !v.Due.Equal(pv.Due) {
				t.Fatalf("verify clock %v, want %v", v.Due, pv.Due)
			}
		})
	}
}

// ParseFiledAt reads a sheet's 报备时间: the formats a spreadsheet writes, in the company
// zone; refuses a malformed one, one outside the input range and one after now.
func TestParseFiledAt(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, Zone)
	tests := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{"2024-03-05 10:30", time.Date(2024, 3, 5, 10, 30, 0, 0, Zone), ""},
		{"2024-03-05 10:30:15", time.Date(2024, 3, 5, 10, 30, 15, 0, Zone), ""},
		{"2024-03-05", time.Date(2024, 3, 5, 0, 0, 0, 0, Zone), ""},
		{"2024/3/5 9:05", time.Date(2024, 3, 5, 9, 5, 0, 0, Zone), ""},
		{"2024/3/5", time.Date(2024, 3, 5, 0, 0, 0, 0, Zone), ""},
		{"昨天", time.Time{}, "格式须为"},
		{"1900-01-01", time.Time{}, "须在1950-01-01到2099-12-31之间"},
		{"2026-11-25 10:01", time.Time{}, "不能晚于现在"},
		{"2026-11-25 10:00", now, ""},
	}
	for _, tt := range tests {
		got, err := ParseFiledAt(tt.in, now)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%q: %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
