package renoflow

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Unit is the unit of a policy Span.
type Unit string

// Units a Span may be counted in. Days, weeks, months and years are calendar units in the
// company's time zone; "wd" counts working days on the company calendar (SPEC.md
// "Escalation ladder": due times may be counted in working days).
const (
	UnitSecond     Unit = "s"
	UnitMinute     Unit = "min"
	UnitHour       Unit = "h"
	UnitDay        Unit = "d"
	UnitWorkingDay Unit = "wd"
	UnitWeek       Unit = "w"
	UnitMonth      Unit = "mo"
	UnitYear       Unit = "y"
)

var unitLabels = map[Unit]string{
	UnitSecond: "秒", UnitMinute: "分钟", UnitHour: "小时", UnitDay: "天", UnitWorkingDay: "个工作日",
	UnitWeek: "周", UnitMonth: "个月", UnitYear: "年",
}

// Span is a policy duration such as "2h", "7d", "3wd", "6mo" or "2y": a whole number of a
// unit. Months and years are calendar months and years, so "6mo" from 31 August is the
// end of February, not 180 days.
type Span struct {
	N    int
	Unit Unit
}

// unitAliases are the units as people type them in Chinese (issue 13: "7天", "2小时",
// "3个工作日", "1周", "6个月").
var unitAliases = map[string]Unit{
	"秒": UnitSecond, "秒钟": UnitSecond, "分": UnitMinute, "分钟": UnitMinute, "小时": UnitHour, "个小时": UnitHour, "时": UnitHour,
	"天": UnitDay, "日": UnitDay, "个工作日": UnitWorkingDay, "工作日": UnitWorkingDay, "周": UnitWeek, "星期": UnitWeek,
	"个星期": UnitWeek, "个月": UnitMonth, "月": UnitMonth, "年": UnitYear,
}

// ParseSpan reads a span written as a whole number followed by a unit (s, min, h, d, wd,
// w, mo, y, or in Chinese: 秒, 分钟, 小时, 天, 个工作日, 周, 个月, 年).
func ParseSpan(s string) (Span, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return Span{}, fmt.Errorf("时长 %q 须以数字开头，如 2h、7d、3wd、6mo", s)
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil || n > 1_000_000 {
		return Span{}, fmt.Errorf("时长 %q 的数字过大", s)
	}
	u := Unit(strings.TrimSpace(s[i:]))
	if a, ok := unitAliases[string(u)]; ok {
		u = a
	}
	if _, ok := unitLabels[u]; !ok {
		return Span{}, fmt.Errorf("时长 %q 的单位须为 分钟、小时、天、个工作日、周、个月、年（或 min、h、d、wd、w、mo、y）之一", s)
	}
	return Span{N: n, Unit: u}, nil
}

// MustSpan is ParseSpan for spans written in code; it panics on a typo.
func MustSpan(s string) Span {
	sp, err := ParseSpan(s)
	if err != nil {
		panic(err)
	}
	return sp
}

// String writes the span the way ParseSpan reads it.
func (s Span) String() string { return strconv.Itoa(s.N) + string(s.Unit) }

// Label writes the span in Chinese, e.g. "2小时", "3个工作日".
func (s Span) Label() string { return strconv.Itoa(s.N) + unitLabels[s.Unit] }

// IsZero reports whether the span is empty.
func (s Span) IsZero() bool { return s.N == 0 }

// MarshalText writes the span as text, so JSON holds "7d".
func (s Span) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a span written as text.
func (s *Span) UnmarshalText(b []byte) error {
	sp, err := ParseSpan(string(b))
	if err != nil {
		return err
	}
	*s = sp
	return nil
}

// fixed returns the span as a time.Duration when its unit has a fixed length.
func (s Span) fixed() (time.Duration, bool) {
	switch s.Unit {
	case UnitSecond:
		return time.Duration(s.N) * time.Second, true
	case UnitMinute:
		return time.Duration(s.N) * time.Minute, true
	case UnitHour:
		return time.Duration(s.N) * time.Hour, true
	}
	return 0, false
}
