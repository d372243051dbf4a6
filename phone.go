package renoflow

import (
	"errors"
	"strings"
	"unicode"
)

// Phone is a normalised mainland-China mobile number: 11 ASCII digits, the first 1 and
// the second 3–9 (SPEC.md "The customer record").
type Phone string

// ErrPhone says a phone number is not a mainland mobile number.
var ErrPhone = errors.New("须为11位中国大陆手机号码（1开头，可带+86/0086前缀）")

// ParsePhone normalises how staff type a number: it drops spaces (also full-width and
// non-breaking ones), dashes, dots and brackets, turns full-width digits into ASCII,
// strips a +86, 0086 or 86 country prefix, and refuses what is then not a mainland
// mobile number.
func ParsePhone(raw string) (Phone, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(raw) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == '+' || r == '＋':
			if b.Len() != 0 {
				return "", ErrPhone
			}
			b.WriteRune('+')
		case unicode.IsSpace(r), r == '-', r == '‐', r == '–', r == '—', r == '－', r == '.',
			r == '(', r == ')', r == '（', r == '）':
			// separators staff type between groups of digits
		default:
			return "", ErrPhone
		}
	}
	s := b.String()
	switch {
	case strings.HasPrefix(s, "+86"):
		s = s[3:]
	case strings.HasPrefix(s, "0086"):
		s = s[4:]
	case strings.HasPrefix(s, "+"):
		return "", ErrPhone
	case len(s) == 13 && strings.HasPrefix(s, "86"):
		s = s[2:]
	}
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' {
		return "", ErrPhone
	}
	return Phone(s), nil
}

// Masked shows the number with its middle four digits hidden, for lists and refusals
// shown to staff who do not own the customer.
func (p Phone) Masked() string {
	if len(p) != 11 {
		return string(p)
	}
	return string(p[:3]) + "****" + string(p[7:])
}

// SeesPhone reports whether actor may read customers' full phone numbers where they leave
// the screen (exports, issue 13): the roles who call and meet customers — customer
// managers, sales advisors, customer service, designers and store managers. The
// supervisor and the admin, who never contact customers, get them masked (138****8000).
// SPEC.md is silent; this is the decision of issue 13, in one place.
func (a Actor) SeesPhone() bool {
	switch a.Role {
	case RoleCustomerManager, RoleSalesAdvisor, RoleCustomerService, RoleDesigner, RoleStoreManager:
		return true
	}
	return false
}

// PhoneFor is the number as actor may read it in an export: in full or masked.
func (p Phone) PhoneFor(a Actor) string {
	if a.SeesPhone() {
		return string(p)
	}
	return p.Masked()
}
