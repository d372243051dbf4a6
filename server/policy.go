package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// policyField is one setting of the company policy as the admin page shows it.
type policyField struct {
	Key     string // the JSON key; "follow_ups_per_month.A" for a grade's quota
	Label   string // what it means, in Chinese
	Section string // where SPEC.md states the rule
	Kind    string // "span" (e.g. 7d), "int" or "number"
}

// policyFields lists every setting of renoflow.Policy in the order the page shows them
// (TestPolicyFieldsCoverPolicy keeps it complete).
var policyFields = []policyField{
	{"verify_within", "客服核实报备时限", "1 报备", "span"},
	{"claim_window", "报备保护期（须到店）", "2 报备作废", "span"},
	{"claim_reminder_before", "报备到期前提醒", "2 报备作废", "span"},
	{"pool_daily_claim_limit", "每人每日公海认领上限", "2 公海规则", "int"},
	{"pool_cooling_off", "原归属人冷静期（不能重新认领）", "2 公海规则", "span"},
	{"owner_capacity", "每人库容（有效客户上限）", "2 公海规则", "int"},
	{"presale_protection", "售前保护期（未交定金释放公海）", "2 保护期", "span"},
	{"dispute_rule_within", "店经理裁决归属争议/无效申请时限", "2 归属争议", "span"},
	{"dispute_window", "归属争议受理期限（自交定金起）", "2 归属争议", "span"},
	{"dispute_list_subsidy_yuan", "小区名单分配人补助（元/户）", "2 归属争议", "int"},
	{"first_callback_within", "首谈回访时限", "3 首谈回访", "span"},
	{"callback_retry_after", "未接通再次回访间隔", "3 首谈回访", "span"},
	{"callback_retries", "未接通后再回访次数", "3 首谈回访", "int"},
	{"follow_ups_per_month.A", "A级每月跟进次数", "4 分级跟进", "int"},
	{"follow_ups_per_month.B", "B级每月跟进次数", "4 分级跟进", "int"},
	{"follow_ups_per_month.C", "C级每月跟进次数", "4 分级跟进", "int"},
	{"follow_ups_per_month.D", "D级每月跟进次数", "4 分级跟进", "int"},
	{"scorecard_points", "月度跟进考核满分", "4 分级跟进", "int"},
	{"points_per_missed_follow_up", "每缺一次跟进扣分", "4 分级跟进", "int"},
	{"dispatch_confirm_within", "店经理确认派单时限", "5 派单", "span"},
	{"dispatch_accept_within", "设计师接单时限", "5 派单", "span"},
	{"refusal_suspension", "设计师拒单停派期", "5 派单", "span"},
	{"max_deposit_customers", "设计师可持有已交定金客户上限", "5 派单", "int"},
	{"stuck_design_after", "只设计不签单的判定时长", "5 派单", "span"},
	{"large_order_budget_wan", "大单预算（万元）", "5 派单", "number"},
	{"post_deposit_visit_within", "定金后回访时限", "7 交定金", "span"},
	{"contract_visit_within", "签约后销售服务回访时限", "8 签约施工", "span"},
	{"weekly_check_every", "施工期综合检查周期", "8 签约施工", "span"},
	{"inspection_visit_within", "验收后回访时限", "9 工程验收", "span"},
	{"after_sales_every", "售后回访周期", "10 售后", "span"},
	{"warranty", "保修期", "10 售后", "span"},
	{"after_sales_notice_before", "售后回访提前通知", "10 售后", "span"},
	{"living_experience_after", "入住体验回访（竣工后）", "10 售后", "span"},
	{"house_check_after", "房屋检查（竣工后）", "10 售后", "span"},
	{"visit_window", "回访逾期宽限", "10 售后", "span"},
	{"visit_postpone_every", "未入住客户回访顺延", "10 售后", "span"},
	{"complaint_answer_within", "投诉答复时限", "11 投诉", "span"},
	{"complaint_resolve_within", "投诉解决时限", "11 投诉", "span"},
	{"neglect_after", "无服务记录判定服务不到位", "13 服务不到位", "span"},
	{"escalate_copy_after", "逾期后抄送店经理", "升级规则", "span"},
	{"escalate_flag_after", "再逾期标记待重新分配", "升级规则", "span"},
	{"calendar_warn_before", "公司日历到期前提醒", "日历", "span"},
}

// PolicyVersion is one saved version of the policy, for the history list.
type PolicyVersion struct {
	Version   int       `json:"version"`
	Note      string    `json:"note,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	ByName    string    `json:"by_name,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// currentPolicy reads the newest policy version (defaults as version 0 when none).
func (s *Server) currentPolicy(ctx context.Context) (renoflow.Policy, error) {
	return postgres.LatestPolicy(ctx, s.db)
}

// policyHistory lists the newest saved versions.
func (s *Server) policyHistory(ctx context.Context) ([]PolicyVersion, error) {
	rows, err := postgres.PolicyHistory(ctx, s.db, historyLength)
	return versionEntries(rows), err
}

// historyLength is how many versions the policy and calendar pages list.
const historyLength = 20

// versionEntries converts the store's history rows to the history list's.
func versionEntries(rows []postgres.VersionEntry) []PolicyVersion {
	out := make([]PolicyVersion, 0, len(rows))
	for _, r := range rows {
		out = append(out, PolicyVersion(r))
	}
	return out
}

// savePolicy overlays the keys of body (JSON) on the policy in force and stores the
// result as a new version (admin). It applies to clocks armed from then on; running
// clocks keep the version they were armed with (SPEC.md: every duration is a versioned
// default policy).
func (s *Server) savePolicy(ctx context.Context, actor renoflow.Actor, body []byte, note string) (renoflow.Policy, error) {
	if err := actor.Require(renoflow.PermManagePolicy, "修改策略"); err != nil {
		return renoflow.Policy{}, err
	}
	cur, err := s.currentPolicy(ctx)
	if err != nil {
		return renoflow.Policy{}, err
	}
	next, err := renoflow.MergePolicy(cur, body)
	if err != nil {
		return renoflow.Policy{}, err
	}
	version, err := postgres.SavePolicy(ctx, s.db, next, postgres.Change{By: actor.ID, Note: strings.TrimSpace(note)})
	if err != nil {
		return renoflow.Policy{}, err
	}
	next.Version = version
	return next, nil
}

// policyValues flattens a policy into its settings as text, keyed like policyFields.
func policyValues(p renoflow.Policy) (map[string]string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range raw {
		if m, ok := v.(map[string]any); ok {
			for sub, sv := range m {
				out[k+"."+sub] = fmt.Sprint(sv)
			}
			continue
		}
		out[k] = fmt.Sprint(v)
	}
	return out, nil
}

// policyChanges reads the policy form: each setting that differs from the policy in
// force, as the JSON object savePolicy takes. A value that is not a span or a number is a
// bad field.
func policyChanges(form map[string]string, cur map[string]string) ([]byte, error) {
	var p renoflow.Problems
	changes := map[string]any{}
	for _, f := range policyFields {
		v := strings.TrimSpace(form[f.Key])
		if v == "" {
			p.Add(f.Key, "必填")
			continue
		}
		if v == cur[f.Key] {
			continue
		}
		var val any
		switch f.Kind {
		case "span":
			sp, err := renoflow.ParseSpan(v)
			if err != nil {
				p.Add(f.Key, err.Error())
				continue
			}
			val = sp.String()
		case "int":
			n, err := strconv.Atoi(v)
			if err != nil {
				p.Add(f.Key, "须为整数")
				continue
			}
			val = n
		default:
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				p.Add(f.Key, "须为数字")
				continue
			}
			val = x
		}
		if parent, sub, ok := strings.Cut(f.Key, "."); ok {
			// A nested object overlays only the keys it names (encoding/json keeps the others).
			m, _ := changes[parent].(map[string]any)
			if m == nil {
				m = map[string]any{}
				changes[parent] = m
			}
			m[sub] = val
			continue
		}
		changes[f.Key] = val
	}
	if err := p.Err("策略设置有误"); err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return nil, nil
	}
	return json.Marshal(changes)
}

// apiPolicy: GET /api/policy → the policy in force and its version.
func (s *Server) apiPolicy(c *fiber.Ctx) error {
	p, err := s.currentPolicy(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"version": p.Version, "policy": p})
}

// apiSavePolicy: PUT /api/policy?note= (admin) with the keys to change → a new policy
// version.
func (s *Server) apiSavePolicy(c *fiber.Ctx) error {
	body, err := checkJSONBody(c)
	if err != nil {
		return err
	}
	body = unwrapPolicy(body)
	p, err := s.savePolicy(c.UserContext(), actorOf(c), body, c.Query("note"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"version": p.Version, "policy": p})
}

// unwrapPolicy takes GET /api/policy's answer as PUT's body (issue 13: the output can be
// sent back unchanged): {"version": n, "policy": {...}} is the policy {...}.
func unwrapPolicy(body []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	inner, ok := m["policy"]
	if !ok {
		return body
	}
	for k := range m {
		if k != "policy" && k != "version" {
			return body
		}
	}
	return inner
}
