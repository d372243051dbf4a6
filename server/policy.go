package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// policyFields are the settings of the company policy in the order the admin page shows
// them: the domain's one table (renoflow.PolicyFields).
var policyFields = renoflow.PolicyFields()

// PolicyVersion is one saved version of the policy, for the history list.
type PolicyVersion struct {
	Version   int       `json:"version"`
	Note      string    `json:"note,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	ByName    string    `json:"by_name,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// currentPolicy reads the newest policy version (defaults as version 0 when none).
// A stored version that no longer parses (a setting retired by an upgrade, a row edited
// by hand) is 503 with what is wrong and who can mend it, not the parse error's 422,
// which would name a field the caller never sent.
func (s *Server) currentPolicy(ctx context.Context) (renoflow.Policy, error) {
	p, err := s.policies.Latest(ctx, s.db)
	return p, policyUnreadable(err)
}

// policyAt is currentPolicy for version v (the version a filing read).
func (s *Server) policyAt(ctx context.Context, v int) (renoflow.Policy, error) {
	p, err := s.policies.At(ctx, s.db, v)
	return p, policyUnreadable(err)
}

// policyUnreadable maps a stored policy version that no longer parses to the refusal
// staff see; other errors pass as they are.
func policyUnreadable(err error) error {
	var invalid *postgres.InvalidPolicyError
	if !errors.As(err, &invalid) {
		return err
	}
	return &renoflow.Error{Code: renoflow.CodeUnavailable, Message: invalidPolicyMessage(invalid)}
}

func invalidPolicyMessage(invalid *postgres.InvalidPolicyError) string {
	detail := invalid.Err.Error()
	var de *renoflow.Error
	if errors.As(invalid.Err, &de) {
		detail = de.Message
		for _, f := range de.Fields {
			detail += "；" + policyFieldLabel(f.Field) + "：" + f.Message
		}
	}
	return fmt.Sprintf("公司策略第%d版无法读取（%s），请管理员在「策略」页重新保存", invalid.Version, detail)
}

// policyFieldLabel names a policy setting as the policy page does, with its key
// ("客服核实报备时限（verify_within）"); a key no setting has stays as it is.
func policyFieldLabel(key string) string {
	for _, f := range policyFields {
		if f.Key == key {
			return f.Label + "（" + key + "）"
		}
	}
	return key
}

// editablePolicy is the policy the admin edits (postgres.ReadablePolicy) and, when the
// newest version no longer parses, a warning naming it: the settings shown are then each
// the newest value that still reads, and saving repairs the policy.
func (s *Server) editablePolicy(ctx context.Context) (renoflow.Policy, string, error) {
	p, invalid, err := postgres.ReadablePolicy(ctx, s.db)
	if err != nil || invalid == nil {
		return p, "", policyUnreadable(err)
	}
	return p, invalidPolicyMessage(invalid) + "。下表各项取自已保存版本中仍可读取的最新值；点「保存」即生成新版本，修复策略。", nil
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
// default policy). Concurrent saves each keep the others' changes
// (postgres.SaveMergedPolicy); a newest version that no longer parses is skipped, so the
// save repairs the policy.
func (s *Server) savePolicy(ctx context.Context, actor renoflow.Actor, body []byte, note string) (renoflow.Policy, error) {
	if err := actor.Require(renoflow.PermManagePolicy, "修改策略"); err != nil {
		return renoflow.Policy{}, err
	}
	saved, repaired, err := postgres.SaveMergedPolicy(ctx, s.db, func(newest renoflow.Policy) (renoflow.Policy, error) {
		return renoflow.MergePolicy(newest, body)
	}, postgres.Change{By: actor.ID, Note: strings.TrimSpace(note)})
	if err != nil {
		return renoflow.Policy{}, err
	}
	if repaired != nil {
		s.log.Warn("policy saved over a version that no longer parses", "version", saved.Version, "skipped", repaired.Error())
	}
	return saved, nil
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
		case renoflow.PolicySpan:
			sp, err := renoflow.ParseSpan(v)
			if err != nil {
				p.Add(f.Key, err.Error())
				continue
			}
			val = sp.String()
		case renoflow.PolicyInt:
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
	return c.JSON(policyView(p))
}

// apiSavePolicy: PUT /api/policy?note= (admin) with the keys to change → a new policy
// version.
func (s *Server) apiSavePolicy(c *fiber.Ctx) error {
	body, err := checkJSONBody(c)
	if err != nil {
		return err
	}
	body, base := unwrapPolicy(body)
	if base != nil {
		if body, err = s.changedSince(c.UserContext(), *base, body); err != nil {
			return err
		}
	}
	p, err := s.savePolicy(c.UserContext(), actorOf(c), body, c.Query("note"))
	if err != nil {
		return err
	}
	return c.JSON(policyView(p))
}

// unwrapPolicy takes GET /api/policy's answer as PUT's body (issue 13: the output can be
// sent back unchanged): {"version": n, "policy": {...}} is the policy {...}, made from
// version n (nil when the body names none).
func unwrapPolicy(body []byte) (inner []byte, version *int) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body, nil
	}
	policy, ok := m["policy"]
	if !ok {
		return body, nil
	}
	for k := range m {
		if k != "policy" && k != "version" {
			return body, nil
		}
	}
	var v int
	if json.Unmarshal(m["version"], &v) == nil && m["version"] != nil {
		version = &v
	}
	return policy, version
}

// changedSince is what body, a whole policy or part of one made from version base (GET
// /api/policy's answer, edited), changes: the settings it sets to values other than
// base's. Saved onto the newest version, that is a three-way merge: another admin's save
// after base keeps its changes. A base that cannot be read: body as it is.
func (s *Server) changedSince(ctx context.Context, base int, body []byte) ([]byte, error) {
	from, err := s.policies.At(ctx, s.db, base)
	if err != nil {
		return body, nil
	}
	edited, err := renoflow.MergePolicy(from, body)
	if err != nil {
		return nil, err
	}
	changes, err := policyChanges(renoflow.PolicyValues(edited), renoflow.PolicyValues(from))
	if changes == nil && err == nil {
		changes = []byte("{}")
	}
	return changes, err
}

// baseValues are the values of policy version base as a form made from it showed them
// (cur when base cannot be read): what the form's changes are counted against.
func (s *Server) baseValues(ctx context.Context, base *int, cur map[string]string) map[string]string {
	if base == nil {
		return cur
	}
	p, err := s.policies.At(ctx, s.db, *base)
	if err != nil {
		return cur
	}
	return renoflow.PolicyValues(p)
}
