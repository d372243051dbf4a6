package renoflow

import (
	"testing"
	"unicode/utf8"
)

func TestParsePhone(t *testing.T) {
	tests := []struct {
		in   string
		want Phone
		ok   bool
	}{
		{"13812345678", "13812345678", true},
		{" 138 1234 5678 ", "13812345678", true},
		{"138-1234-5678", "13812345678", true},
		{"+86 138 1234 5678", "13812345678", true},
		{"+86-13812345678", "13812345678", true},
		{"0086 13812345678", "13812345678", true},
		{"8613812345678", "13812345678", true},
		{"(+86) 138.1234.5678", "13812345678", true},
		{"１３８１２３４５６７８", "13812345678", true},
		{"＋８６ 199 0000 0000", "19900000000", true},
		{"138\u00a01234\u30005678", "13812345678", true},
		{"", "", false},
		{"1381234567", "", false},    // 10 digits
		{"138123456789", "", false},  // 12 digits
		{"23812345678", "", false},   // not starting with 1
		{"12812345678", "", false},   // second digit 2
		{"010-12345678", "", false},  // landline
		{"+1 4155550100", "", false}, // other country
		{"+8513812345678", "", false},
		{"138123x5678", "", false},
		{"1381234+5678", "", false},
		{"008613812345678 ", "13812345678", true},
		{"86 1381234567", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePhone(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParsePhone(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if got != tt.want {
				t.Fatalf("ParsePhone(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPhoneMasked(t *testing.T) {
	if got := Phone("13812345678").Masked(); got != "138****5678" {
		t.Fatalf("Masked = %q", got)
	}
}

// FuzzParsePhone checks that whatever is accepted is a canonical number, that parsing is
// idempotent, and that the usual spellings of an accepted number parse to the same one.
func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"13812345678", "+86 138-1234-5678", "0086 199 0000 0000", "abc", "", "８６１３８"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParsePhone(in)
		if err != nil {
			if p != "" {
				t.Fatalf("error with a value %q", p)
			}
			return
		}
		if len(p) != 11 || !utf8.ValidString(string(p)) || p[0] != '1' {
			t.Fatalf("ParsePhone(%q) = %q: not canonical", in, p)
		}
		for _, c := range []byte(p) {
			if c < '0' || c > '9' {
				t.Fatalf("ParsePhone(%q) = %q: not digits", in, p)
			}
		}
		for _, spelling := range []string{string(p), "+86" + string(p), "0086 " + string(p), string(p[:3]) + "-" + string(p[3:7]) + "-" + string(p[7:])} {
			q, err := ParsePhone(spelling)
			if err != nil || q != p {
				t.Fatalf("ParsePhone(%q) = %q, %v; want %q", spelling, q, err, p)
			}
		}
	})
}

// Who reads full phone numbers in an export (issue 13): those who call customers.
func TestSeesPhone(t *testing.T) {
	p := Phone("13800138000")
	for _, tc := range []struct {
		role Role
		want string
	}{
		{RoleCustomerManager, "13800138000"}, {RoleSalesAdvisor, "13800138000"}, {RoleCustomerService, "13800138000"},
		{RoleDesigner, "13800138000"}, {RoleStoreManager, "13800138000"},
		{RoleSupervisor, "138****8000"}, {RoleAdmin, "138****8000"},
	} {
		if got := p.PhoneFor(Actor{Role: tc.role}); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.role, got, tc.want)
		}
	}
}
