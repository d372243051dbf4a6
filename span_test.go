package renoflow

import "testing"

// ParseSpan reads what people type on the policy page (issue 13) as well as the codes;
// each reads back as the same span.
func TestParseSpanChinese(t *testing.T) {
	for in, want := range map[string]Span{
		"7天": {7, UnitDay}, "2小时": {2, UnitHour}, "3个工作日": {3, UnitWorkingDay}, "1周": {1, UnitWeek},
		"6个月": {6, UnitMonth}, "30分钟": {30, UnitMinute}, "1年": {1, UnitYear}, " 2 小时 ": {2, UnitHour},
		"7d": {7, UnitDay}, "3wd": {3, UnitWorkingDay}, "6mo": {6, UnitMonth},
	} {
		got, err := ParseSpan(in)
		if err != nil || got != want {
			t.Errorf("ParseSpan(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, err := ParseSpan(got.Label()); err != nil || back != got {
			t.Errorf("ParseSpan(%q.Label()) = %v, %v", in, back, err)
		}
	}
	for _, bad := range []string{"天", "7", "7光年", "-1天", "两天"} {
		if _, err := ParseSpan(bad); err == nil {
			t.Errorf("ParseSpan(%q) accepted", bad)
		}
	}
}
