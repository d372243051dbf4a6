package renoflow

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// TextRule is what one free-text input field may hold: at most Max characters (runes)
// and, when MaxBytes is set, at most that many bytes (bcrypt reads only 72 bytes of a
// password); Multiline fields (notes) may hold line breaks and tabs, every other field
// no control character at all.
type TextRule struct {
	Max       int
	MaxBytes  int
	Multiline bool
}

// DefaultTextRule applies to a text field TextRules does not list (codes, IDs, options).
var DefaultTextRule = TextRule{Max: 200}

// TextRules is the documented maximum length of every free-text field staff submit, by
// the name the JSON API and the forms use (README "The JSON API"; indices of lists are
// left out: "days.name"). A key without a dot applies wherever the last part of a
// field's name is that key ("name" is a customer's, a store's, a staff member's and a
// holiday's name). Every text input of the API and of the pages is checked against it
// before anything is read or written (CheckText).
var TextRules = map[string]TextRule{
	"name":            {Max: 32},
	"login":           {Max: 64},
	"password":        {Max: 72, MaxBytes: 72},
	"phone":           {Max: 32},
	"house.community": {Max: 64},
	"house.building":  {Max: 64},
	"house.unit":      {Max: 64},
	"house.floor":     {Max: 64},
	"house.layout":    {Max: 64},
	"style":           {Max: 64},
	"needs":           {Max: 2000, Multiline: true},
	"situation":       {Max: 2000, Multiline: true},
	"note":            {Max: 2000, Multiline: true},
	"days.name":       {Max: 32}, // a holiday in the company calendar
	"q":               {Max: 100},
	"next":            {Max: 2000},
	"csv":             {Max: 200000, Multiline: true}, // a calendar pasted on its admin page
}

var listIndex = regexp.MustCompile(`\[\d+\]`)

// TextRuleOf returns the rule of the field named field ("house.community",
// "days[2].name"): its own entry, else the entry of its last part, else DefaultTextRule.
func TextRuleOf(field string) TextRule {
	key := listIndex.ReplaceAllString(field, "")
	if r, ok := TextRules[key]; ok {
		return r
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		if r, ok := TextRules[key[i+1:]]; ok {
			return r
		}
	}
	return DefaultTextRule
}

// CheckText checks one text input against its field's rule (TextRuleOf): valid UTF-8,
// no NUL or other control character (a multi-line field may hold \n, \r\n and \t), no
// longer than the rule's maximum. It returns "" when the value is fine, else what is
// wrong, in Chinese, for the field's error.
func CheckText(field, value string) string {
	rule := TextRuleOf(field)
	if !utf8.ValidString(value) {
		return "不是有效的 UTF-8 文本"
	}
	for i, r := range value {
		if !unicode.IsControl(r) && r != '\uFFFE' && r != '\uFFFF' {
			continue
		}
		if rule.Multiline && (r == '\n' || r == '\t' || r == '\r' && strings.HasPrefix(value[i+1:], "\n")) {
			continue
		}
		if r == 0 {
			return "含有空字符（NUL），请删除后重试"
		}
		if r == '\n' || r == '\r' || r == '\t' {
			return "不能含有换行或制表符"
		}
		return fmt.Sprintf("含有不可见的控制字符（U+%04X），请删除后重试", r)
	}
	if n := utf8.RuneCountInString(value); n > rule.Max {
		return fmt.Sprintf("不能超过%d个字（现有%d个）", rule.Max, n)
	}
	if rule.MaxBytes > 0 && len(value) > rule.MaxBytes {
		return fmt.Sprintf("不能超过%d字节（现有%d字节）", rule.MaxBytes, len(value))
	}
	return ""
}

// CheckTextField is CheckText recording a bad value in p.
func CheckTextField(p *Problems, field, value string) {
	if msg := CheckText(field, value); msg != "" {
		p.Add(field, msg)
	}
}

// The range of calendar dates staff may enter (handover dates, company calendar days,
// report months, suspensions): from MinInputDate to MaxInputDate inclusive.
var (
	MinInputDate = time.Date(1950, time.January, 1, 0, 0, 0, 0, time.UTC)
	MaxInputDate = time.Date(2099, time.December, 31, 0, 0, 0, 0, time.UTC)
)

// InputDateRange says the accepted range in Chinese, for errors.
func InputDateRange() string {
	return fmt.Sprintf("须在%s到%s之间", MinInputDate.Format(time.DateOnly), MaxInputDate.Format(time.DateOnly))
}

// ParseInputDate reads a date "YYYY-MM-DD" staff entered; the error (Chinese) says the
// format or the accepted range (MinInputDate … MaxInputDate).
func ParseInputDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("日期 %q 格式须为 YYYY-MM-DD", s)
	}
	if t.Before(MinInputDate) || t.After(MaxInputDate) {
		return time.Time{}, fmt.Errorf("日期 %s %s", s, InputDateRange())
	}
	return t, nil
}

// InInputRange reports whether t falls on a date staff may enter.
func InInputRange(t time.Time) bool {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return !d.Before(MinInputDate) && !d.After(MaxInputDate)
}

// ParseFiledAt reads an original filing time (报备时间) from an imported sheet (issue 13):
// "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DD" (also with "/" and unpadded month/day), in the
// company zone. The error (Chinese) says the format, the accepted range (MinInputDate …
// MaxInputDate) or that the time is after now.
func ParseFiledAt(s string, now time.Time) (time.Time, error) {
	var t time.Time
	var err error
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", time.DateOnly,
		"2006/1/2 15:04", "2006/1/2 15:04:05", "2006/1/2", "2006-1-2 15:04", "2006-1-2"} {
		if t, err = time.ParseInLocation(layout, s, Zone); err == nil {
			break
		}
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("报备时间 %q 格式须为 YYYY-MM-DD HH:MM 或 YYYY-MM-DD", s)
	}
	if !InInputRange(t) {
		return time.Time{}, fmt.Errorf("报备时间 %s %s", s, InputDateRange())
	}
	if t.After(now) {
		return time.Time{}, fmt.Errorf("报备时间 %s 不能晚于现在", s)
	}
	return t, nil
}
