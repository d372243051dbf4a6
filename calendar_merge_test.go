package renoflow

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMergeCalendarEdit(t *testing.T) {
	h := func(date, name string) CalendarDay { return CalendarDay{Date: date, Kind: DayHoliday, Name: name} }
	loaded := []CalendarDay{h("2027-01-01", "元旦"), h("2027-05-01", "劳动节")}
	for _, tc := range []struct {
		name           string
		newest, edited []CalendarDay
		want           []CalendarDay
	}{
		{"nobody else saved: the edit", loaded, []CalendarDay{h("2027-01-01", "元旦"), h("2027-10-01", "国庆")},
			[]CalendarDay{h("2027-01-01", "元旦"), h("2027-10-01", "国庆")}},
		{"another's import is kept", append([]CalendarDay{h("2026-10-01", "国庆")}, loaded...),
			append(loaded, h("2027-10-01", "国庆")),
			[]CalendarDay{h("2026-10-01", "国庆"), h("2027-01-01", "元旦"), h("2027-05-01", "劳动节"), h("2027-10-01", "国庆")}},
		{"a removal applies, another's day stays", append([]CalendarDay{h("2028-01-01", "元旦")}, loaded...),
			[]CalendarDay{h("2027-01-01", "元旦")},
			[]CalendarDay{h("2027-01-01", "元旦"), h("2028-01-01", "元旦")}},
		{"a renamed day wins over the newest's", []CalendarDay{h("2027-01-01", "新年"), h("2027-05-01", "劳动节")},
			[]CalendarDay{h("2027-01-01", "元旦节"), h("2027-05-01", "劳动节")},
			[]CalendarDay{h("2027-01-01", "元旦节"), h("2027-05-01", "劳动节")}},
		{"a day the edit left alone keeps the newest's change", []CalendarDay{h("2027-01-01", "新年"), h("2027-05-01", "劳动节")},
			loaded, []CalendarDay{h("2027-01-01", "新年"), h("2027-05-01", "劳动节")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, MergeCalendarEdit(tc.newest, loaded, tc.edited))
		})
	}
}
