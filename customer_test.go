package renoflow

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func validFiling() FilingInput {
	return FilingInput{
		Record: Record{
			Name: "王", Gender: GenderMale, Situation: "朋友介绍，预算充足",
			House:   House{Community: "翠湖苑", Layout: "三室两厅", AreaM2: 120},
			Channel: ChannelReferral, StoreID: "s1",
		},
		PhoneRaw: "+86 138-1234-5678",
	}
}

func TestParseFiling(t *testing.T) {
	tests := []struct {
		name        string
		edit        func(*FilingInput)
		wantFields  []string
		wantMessage string
	}{
		{name: "valid", edit: func(*FilingInput) {}},
		{name: "area only is enough", edit: func(f *FilingInput) { f.House.Layout = "" }},
		{name: "layout only is enough", edit: func(f *FilingInput) { f.House.AreaM2 = 0 }},
		{name: "nothing at all", edit: func(f *FilingInput) { *f = FilingInput{} },
			wantFields:  []string{FieldName, FieldGender, FieldPhone, FieldHouse, FieldSituation, FieldChannel, FieldStore},
			wantMessage: "不是有效客户，缺少：姓名、性别、联系电话、房屋需求信息（户型或面积）、客情说明"},
		{name: "no house needs", edit: func(f *FilingInput) { f.House = House{Community: "翠湖苑"} },
			wantFields: []string{FieldHouse}, wantMessage: "不是有效客户，缺少：房屋需求信息（户型或面积）"},
		{name: "bad phone", edit: func(f *FilingInput) { f.PhoneRaw = "010-88886666" },
			wantFields: []string{FieldPhone}, wantMessage: "报备信息有误"},
		{name: "blank situation", edit: func(f *FilingInput) { f.Situation = "   " },
			wantFields: []string{FieldSituation}},
		{name: "bad enums", edit: func(f *FilingInput) {
			f.Gender = "x"
			f.Channel = "tv"
			f.Occupation = "pilot"
			f.FocusPoints = []FocusPoint{"price", "luck"}
		}, wantFields: []string{FieldGender, FieldChannel, FieldOccupation, FieldFocusPoints}},
		{name: "bad numbers and date", edit: func(f *FilingInput) {
			f.House.AreaM2 = -3
			f.BudgetWan = -1
			f.House.HandoverDate = "2026/13/01"
		}, wantFields: []string{FieldArea, FieldHandover, FieldBudget}},
		{name: "too long", edit: func(f *FilingInput) { f.Name = strings.Repeat("王", 65) }, wantFields: []string{FieldName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validFiling()
			tt.edit(&in)
			rec, err := ParseFiling(in)
			if len(tt.wantFields) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if rec.Phone != "13812345678" {
					t.Fatalf("phone not normalised: %q", rec.Phone)
				}
				return
			}
			var de *Error
			if !errors.As(err, &de) || de.Code != CodeInvalid {
				t.Fatalf("want invalid error, got %v", err)
			}
			var got []string
			for _, f := range de.Fields {
				got = append(got, f.Field)
				if f.Message == "" {
					t.Errorf("field %s has no message", f.Field)
				}
			}
			if !reflect.DeepEqual(got, tt.wantFields) {
				t.Fatalf("fields = %v, want %v", got, tt.wantFields)
			}
			if tt.wantMessage != "" && de.Message != tt.wantMessage {
				t.Fatalf("message = %q, want %q", de.Message, tt.wantMessage)
			}
		})
	}
}

func TestParseFilingDeduplicatesFocusPoints(t *testing.T) {
	in := validFiling()
	in.FocusPoints = []FocusPoint{"price", "design", "price"}
	rec, err := ParseFiling(in)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rec.FocusPoints, []FocusPoint{"price", "design"}) {
		t.Fatalf("focus = %v", rec.FocusPoints)
	}
}
