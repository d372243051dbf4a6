package renoflow

import (
	"fmt"
	"math"
	"strings"
)

// House describes the customer's home (SPEC.md "The customer record").
type House struct {
	Community    string  `json:"community,omitempty"`     // 小区
	Building     string  `json:"building,omitempty"`      // 楼栋
	Unit         string  `json:"unit,omitempty"`          // 单元
	Floor        string  `json:"floor,omitempty"`         // 楼层
	Layout       string  `json:"layout,omitempty"`        // 户型, e.g. 三室两厅
	AreaM2       float64 `json:"area_m2,omitempty"`       // 面积 m²
	HandoverDate string  `json:"handover_date,omitempty"` // 交房日期 YYYY-MM-DD
	OffPlan      bool    `json:"off_plan,omitempty"`      // 期房
}

// Record is what staff file about a customer; the workflow keeps it with the customer.
type Record struct {
	Name        string       `json:"name"`
	Gender      Gender       `json:"gender"`
	Phone       Phone        `json:"phone"`
	House       House        `json:"house"`
	Needs       string       `json:"needs,omitempty"`      // 需求
	Situation   string       `json:"situation"`            // 客情说明
	BudgetWan   float64      `json:"budget_wan,omitempty"` // 预算（万元）
	Style       string       `json:"style,omitempty"`      // 意向风格
	Channel     Channel      `json:"channel"`
	Occupation  Occupation   `json:"occupation,omitempty"`
	FocusPoints []FocusPoint `json:"focus_points,omitempty"`
	StoreID     string       `json:"store_id"`
}

// FilingInput is a filing as staff submit it: the record with the phone as typed.
type FilingInput struct {
	Record
	PhoneRaw string `json:"phone"`
}

// Field names used in validation errors; the web form uses the same names.
const (
	FieldName        = "name"
	FieldGender      = "gender"
	FieldPhone       = "phone"
	FieldHouse       = "house"
	FieldArea        = "house.area_m2"
	FieldHandover    = "house.handover_date"
	FieldSituation   = "situation"
	FieldBudget      = "budget_wan"
	FieldChannel     = "channel"
	FieldOccupation  = "occupation"
	FieldFocusPoints = "focus_points"
	FieldStore       = "store_id"
)

// ParseFiling checks a filing against the effective-customer rule (有效客户, SPEC.md "The
// customer record": name+gender, phone, house needs — at least layout or area — and
// situation notes) and the record's other fields, and returns the normalised record.
// The error names every bad field at once.
func ParseFiling(in FilingInput) (Record, error) {
	r := in.Record
	r.Name = strings.TrimSpace(r.Name)
	r.Situation = strings.TrimSpace(r.Situation)
	r.Needs = strings.TrimSpace(r.Needs)
	r.Style = strings.TrimSpace(r.Style)
	r.StoreID = strings.TrimSpace(r.StoreID)
	r.House.Community = strings.TrimSpace(r.House.Community)
	r.House.Building = strings.TrimSpace(r.House.Building)
	r.House.Unit = strings.TrimSpace(r.House.Unit)
	r.House.Floor = strings.TrimSpace(r.House.Floor)
	r.House.Layout = strings.TrimSpace(r.House.Layout)
	r.House.HandoverDate = strings.TrimSpace(r.House.HandoverDate)

	var p Problems
	var missing []string
	if r.Name == "" {
		p.Add(FieldName, "必填（来电客户可只填姓氏）")
		missing = append(missing, "姓名")
	} else {
		CheckTextField(&p, FieldName, r.Name)
	}
	switch r.Gender {
	case GenderMale, GenderFemale:
	case "":
		p.Add(FieldGender, "必选")
		missing = append(missing, "性别")
	default:
		p.Add(FieldGender, "只能是男或女")
	}
	if strings.TrimSpace(in.PhoneRaw) == "" {
		p.Add(FieldPhone, "必填")
		missing = append(missing, "联系电话")
	} else if phone, err := ParsePhone(in.PhoneRaw); err != nil {
		p.Add(FieldPhone, err.Error())
	} else {
		r.Phone = phone
	}
	if r.House.Layout == "" && r.House.AreaM2 == 0 {
		p.Add(FieldHouse, "房屋需求信息至少填写户型或面积")
		missing = append(missing, "房屋需求信息（户型或面积）")
	}
	if math.IsNaN(r.House.AreaM2) || r.House.AreaM2 < 0 || r.House.AreaM2 > 10000 {
		p.Add(FieldArea, "面积须在0到10000平方米之间")
	}
	if r.House.HandoverDate != "" {
		if _, err := ParseInputDate(r.House.HandoverDate); err != nil {
			p.Add(FieldHandover, err.Error())
		}
	}
	if r.Situation == "" {
		p.Add(FieldSituation, "必填（客情说明）")
		missing = append(missing, "客情说明")
	} else {
		CheckTextField(&p, FieldSituation, r.Situation)
	}
	for _, f := range []struct{ field, value string }{{"needs", r.Needs}, {"house.community", r.House.Community}, {"house.building", r.House.Building},
		{"house.unit", r.House.Unit}, {"house.floor", r.House.Floor}, {"house.layout", r.House.Layout}, {"style", r.Style}} {
		CheckTextField(&p, f.field, f.value)
	}
	if math.IsNaN(r.BudgetWan) || r.BudgetWan < 0 || r.BudgetWan > 100000 {
		p.Add(FieldBudget, "预算须在0到100000万元之间")
	}
	if r.Channel == "" {
		p.Add(FieldChannel, "必选（客户来源）")
	} else if !channels.valid(string(r.Channel)) {
		p.Add(FieldChannel, "不是已知的客户来源")
	}
	if r.Occupation != "" && !occupations.valid(string(r.Occupation)) {
		p.Add(FieldOccupation, "不是已知的职业类别")
	}
	seen := map[FocusPoint]bool{}
	focus := r.FocusPoints[:0:0]
	for _, f := range r.FocusPoints {
		if !focusPoints.valid(string(f)) {
			if !p.Has(FieldFocusPoints) {
				p.Add(FieldFocusPoints, fmt.Sprintf("不是已知的关注点：%s", f))
			}
			continue
		}
		if !seen[f] {
			seen[f] = true
			focus = append(focus, f)
		}
	}
	r.FocusPoints = focus
	if r.StoreID == "" {
		p.Add(FieldStore, "必选（所属门店）")
	}

	message := "报备信息有误"
	if len(missing) > 0 {
		message = "不是有效客户，缺少：" + strings.Join(missing, "、")
	}
	if err := p.Err(message); err != nil {
		return Record{}, err
	}
	return r, nil
}
