package renoflow

// Option is one choice of an enumeration as forms show it: a stable code and its Chinese label.
type Option struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// enum is an ordered list of options; the order is the one forms show.
type enum []Option

func (e enum) label(code string) string {
	for _, o := range e {
		if o.Code == code {
			return o.Label
		}
	}
	return code
}

func (e enum) valid(code string) bool {
	for _, o := range e {
		if o.Code == code {
			return true
		}
	}
	return false
}

// Gender of a customer as filed; a phone-only enquiry gives a surname and a gender.
type Gender string

// Genders of a customer.
const (
	GenderMale   Gender = "male"
	GenderFemale Gender = "female"
)

var genders = enum{{"male", "男（先生）"}, {"female", "女（女士）"}}

// Label is the Chinese name of the gender.
func (g Gender) Label() string { return genders.label(string(g)) }

// Stage is where a customer stands in the lifecycle (SPEC.md "Lifecycle").
type Stage string

// Stages of the lifecycle, in order.
const (
	StageFiled        Stage = "filed"        // 报备: claim held, waiting for the store visit
	StagePool         Stage = "pool"         // 公海: claim lapsed, first to bring them to the store owns them
	StagePresale      Stage = "presale"      // 售前跟进: consulted, followed up by grade
	StageDesign       Stage = "design"       // 设计: a designer accepted the dispatch; measurement and design
	StageDeposit      Stage = "deposit"      // 已交定金 (grade A)
	StageConstruction Stage = "construction" // 施工: contract signed
	StageAfterSales   Stage = "aftersales"   // 售后: completion accepted, warranty running
	StageArchived     Stage = "archived"     // 归档: warranty over
	StageInvalid      Stage = "invalid"      // 无效客户: confirmed by the store manager
)

var stages = enum{
	{"filed", "已报备"}, {"pool", "公海"}, {"presale", "售前跟进"}, {"design", "设计中"},
	{"deposit", "已交定金"}, {"construction", "施工中"}, {"aftersales", "售后"},
	{"archived", "已归档"}, {"invalid", "无效客户"},
}

// Label is the Chinese name of the stage.
func (s Stage) Label() string { return stages.label(string(s)) }

// Stages lists every stage in lifecycle order, for search forms.
func Stages() []Option { return append([]Option(nil), stages...) }

// Active reports whether the stage holds the phone number against a second filing
// (SPEC.md step 1: a claim or any later stage is active; invalid customers do not).
func (s Stage) Active() bool { return s != StageInvalid && s != "" }

// Grade is the customer's intent grade (客户分级, SPEC.md "The customer record").
type Grade string

// Grades: A = design agreement signed and deposit paid; B strong intent; C basic intent; D none.
const (
	GradeNone Grade = ""
	GradeA    Grade = "A"
	GradeB    Grade = "B"
	GradeC    Grade = "C"
	GradeD    Grade = "D"
)

var grades = enum{{"A", "A（已签设计协议并交定金）"}, {"B", "B（未交定金，意向强）"}, {"C", "C（未交定金，有基本意向）"}, {"D", "D（无意向）"}}

// Label is the Chinese description of the grade.
func (g Grade) Label() string {
	if g == GradeNone {
		return "未分级"
	}
	return grades.label(string(g))
}

// Grades lists the grades for forms.
func Grades() []Option { return append([]Option(nil), grades...) }

// Valid reports whether g is one of A–D.
func (g Grade) Valid() bool { return grades.valid(string(g)) }

// Channel is where a customer came from (客户来源).
type Channel string

// Source channels of SPEC.md "The customer record".
const (
	ChannelWalkIn        Channel = "walk_in"
	ChannelAdvisor       Channel = "advisor_referral"
	ChannelMedia         Channel = "media"
	ChannelSiteMarketing Channel = "site_marketing"
	ChannelCommunity     Channel = "community_promotion"
	ChannelReferral      Channel = "referral"
	ChannelPhone         Channel = "phone_enquiry"
	ChannelExhibition    Channel = "exhibition"
	ChannelOnline        Channel = "online"
	ChannelECommerce     Channel = "ecommerce"
)

var channels = enum{
	{"walk_in", "自然客流"}, {"advisor_referral", "家装顾问引入"}, {"media", "媒体推广"},
	{"site_marketing", "工地营销引入"}, {"community_promotion", "小区推广"},
	{"referral", "朋友介绍 / 老客户介绍"}, {"phone_enquiry", "咨询后来店"},
	{"exhibition", "展会活动"}, {"online", "网络"}, {"ecommerce", "电商"},
}

// Label is the Chinese name of the channel.
func (c Channel) Label() string { return channels.label(string(c)) }

// Channels lists the source channels for forms.
func Channels() []Option { return append([]Option(nil), channels...) }

// Occupation is the customer's occupation category.
type Occupation string

var occupations = enum{
	{"entrepreneur", "企业主"}, {"education", "教育"}, {"freelancer", "自由职业"},
	{"state_owned", "国企"}, {"foreign", "外企"}, {"private", "民企"}, {"other", "其他"},
}

// Label is the Chinese name of the occupation.
func (o Occupation) Label() string { return occupations.label(string(o)) }

// Occupations lists the occupation categories for forms.
func Occupations() []Option { return append([]Option(nil), occupations...) }

// FocusPoint is one thing the customer cares about most (关注点, several may be chosen).
type FocusPoint string

var focusPoints = enum{
	{"brand", "品牌"}, {"design", "设计"}, {"price", "价格"}, {"materials_eco", "材料环保"},
	{"service", "服务"}, {"reputation", "口碑"}, {"build_quality", "施工质量"},
	{"promotions", "优惠活动"}, {"craftsmanship", "工艺标准"},
}

// Label is the Chinese name of the focus point.
func (f FocusPoint) Label() string { return focusPoints.label(string(f)) }

// FocusPoints lists the focus points for forms.
func FocusPoints() []Option { return append([]Option(nil), focusPoints...) }

// Genders lists the genders for forms.
func Genders() []Option { return append([]Option(nil), genders...) }

// Milestone is a construction inspection (SPEC.md step 9), in the order they must come.
type Milestone string

// The inspections, in order.
const (
	MilestoneMaterial   Milestone = "material"   // 材料验收
	MilestoneConcealed  Milestone = "concealed"  // 隐蔽工程验收
	MilestoneMid        Milestone = "mid"        // 中期验收（木工收口）
	MilestoneCompletion Milestone = "completion" // 竣工验收
)

var milestones = enum{{"material", "材料验收"}, {"concealed", "隐蔽工程验收"}, {"mid", "中期验收（木工收口）"}, {"completion", "竣工验收"}}

// Label is the Chinese name of the inspection.
func (m Milestone) Label() string { return milestones.label(string(m)) }

// Milestones lists the inspections in order, for forms.
func Milestones() []Option { return append([]Option(nil), milestones...) }

// ComplaintCategory classifies a complaint (SPEC.md step 11).
type ComplaintCategory string

var complaintCategories = enum{{"design", "设计"}, {"schedule", "工期"}, {"attitude", "服务态度"}, {"material", "材料质量"}, {"other", "其他"}}

// Label is the Chinese name of the category.
func (k ComplaintCategory) Label() string { return complaintCategories.label(string(k)) }

// ComplaintCategories lists the categories, for forms.
func ComplaintCategories() []Option { return append([]Option(nil), complaintCategories...) }

// FollowUpChannels are the ways a follow-up is made, for forms.
func FollowUpChannels() []Option { return append([]Option(nil), followUpChannels...) }

var followUpChannels = enum{{"phone", "电话"}, {"visit", "到店/上门"}, {"wechat", "微信"}, {"other", "其他"}}

// Consultation is how the customer was first consulted (SPEC.md step 3).
type Consultation string

// Consultation kinds.
const (
	ConsultVisit Consultation = "visit" // came to the store
	ConsultPhone Consultation = "phone" // phoned in
)

var consultations = enum{{"visit", "客户到店接待"}, {"phone", "客户来电咨询"}}

// Label is the Chinese name of the consultation, as the filing form offers it.
func (k Consultation) Label() string { return consultations.label(string(k)) }

// Short is the one-word name of the consultation in dispute evidence (到店, 来电); "" when
// there was none.
func (k Consultation) Short() string {
	return map[Consultation]string{ConsultVisit: "到店", ConsultPhone: "来电"}[k]
}

// Valid reports whether k is a consultation kind or "" (none yet).
func (k Consultation) Valid() bool { return k == "" || consultations.valid(string(k)) }

// Consultations lists the consultation kinds for the filing form.
func Consultations() []Option { return append([]Option(nil), consultations...) }

// DispatchStatus is where one dispatch (派单) of a designer stands (SPEC.md step 5).
type DispatchStatus string

// Dispatch statuses.
const (
	DispatchProposed  DispatchStatus = "proposed"  // the customer manager proposed a designer
	DispatchConfirmed DispatchStatus = "confirmed" // the store manager confirmed (or a supervisor authorised)
	DispatchAccepted  DispatchStatus = "accepted"  // the designer accepted
	DispatchRefused   DispatchStatus = "refused"   // the designer refused: suspended from dispatch
	DispatchReturned  DispatchStatus = "returned"  // not accepted in time: back to the customer manager
)

var dispatchStatuses = enum{
	{"proposed", "待店经理确认"}, {"confirmed", "待设计师接单"}, {"accepted", "设计师已接单"},
	{"refused", "设计师拒单"}, {"returned", "超时退回"},
}

// Label is the Chinese name of the dispatch status.
func (s DispatchStatus) Label() string { return dispatchStatuses.label(string(s)) }

// ComplaintStatus is where a complaint stands (SPEC.md step 11).
type ComplaintStatus string

// Complaint statuses.
const (
	ComplaintOpen     ComplaintStatus = "open"     // recorded, waiting for an answer
	ComplaintAnswered ComplaintStatus = "answered" // answered, being resolved
	ComplaintResolved ComplaintStatus = "resolved" // resolved, waiting for the customer's satisfaction
	ComplaintClosed   ComplaintStatus = "closed"   // the customer is satisfied: closed and archived
)

var complaintStatuses = enum{
	{"open", "待答复"}, {"answered", "已答复，待解决"}, {"resolved", "已解决，待客户确认"}, {"closed", "已关闭归档"},
}

// Label is the Chinese name of the complaint status.
func (s ComplaintStatus) Label() string { return complaintStatuses.label(string(s)) }

// ComplaintSeverity says whether a complaint is a major one (重大投诉, seed 004: a customer
// who has had one gets no living-experience visit or house check).
type ComplaintSeverity string

// Complaint severities; "" reads as normal.
const (
	SeverityNormal ComplaintSeverity = "normal"
	SeverityMajor  ComplaintSeverity = "major"
)

var complaintSeverities = enum{{"normal", "一般投诉"}, {"major", "重大投诉"}}

// Label is the Chinese name of the severity.
func (s ComplaintSeverity) Label() string { return complaintSeverities.label(string(s)) }

// ComplaintSeverities lists the severities a complaint form offers.
func ComplaintSeverities() []Option { return append([]Option(nil), complaintSeverities...) }

// DisputeOutcome is the ruling on an ownership dispute (SPEC.md step 2 "Disputed
// ownership"); "" while the dispute is open.
type DisputeOutcome string

// Dispute outcomes.
const (
	DisputeOwner    DisputeOutcome = "owner"    // the current owner keeps the customer
	DisputeClaimant DisputeOutcome = "claimant" // the claimant becomes the owner
	DisputeSplit    DisputeOutcome = "split"    // both brought the customer in: 50/50 split of credit
	// DisputeClaimantSubsidy: the claimant brought in a customer of the community list
	// given to the owner, who had already learnt of the company by phone or SMS: the
	// claimant becomes the owner and the list's holder gets DisputeListSubsidyYuan
	// (seed 003 撞单 4：给予名单分配人员100元/户补助).
	DisputeClaimantSubsidy DisputeOutcome = "claimant_subsidy"
	// DisputeVoid ends a dispute nobody ruled on before the customer went to the public
	// pool: there is no ownership left to rule on (rules version 3). Nobody chooses it,
	// so it has no label.
	DisputeVoid DisputeOutcome = "void"
)

// disputeRulings are the outcomes a ruling may choose, in the order the form shows.
var disputeRulings = enum{
	{"owner", "维持原归属人"}, {"claimant", "改归申请人"}, {"split", "共同带客，业绩各50%"},
	{"claimant_subsidy", "改归申请人，小区名单分配人获补助"},
}

// Label is the Chinese name of the ruling; "" for DisputeVoid and an open dispute.
func (o DisputeOutcome) Label() string {
	if !disputeRulings.valid(string(o)) {
		return ""
	}
	return disputeRulings.label(string(o))
}

// Ruling reports whether o is one a ruling may choose (not void, not "").
func (o DisputeOutcome) Ruling() bool { return disputeRulings.valid(string(o)) }

// DisputeOutcomes lists the rulings for the dispute form.
func DisputeOutcomes() []Option { return append([]Option(nil), disputeRulings...) }

// TaskStatus is the state of a task row.
type TaskStatus string

// Task states.
const (
	TaskOpen      TaskStatus = "open"
	TaskDone      TaskStatus = "done"
	TaskCancelled TaskStatus = "cancelled" // the work no longer applies (claim lapsed, customer invalid); the reason says why
	// TaskAcknowledged is a notice read by its recipient (知悉): a notice only informs, so
	// it is never "done" and never overdue.
	TaskAcknowledged TaskStatus = "acknowledged"
)

var taskStatuses = enum{{"open", "待办"}, {"done", "已完成"}, {"acknowledged", "已知悉"}, {"cancelled", "已取消"}}

// Label is the Chinese name of the task status.
func (s TaskStatus) Label() string { return taskStatuses.label(string(s)) }
