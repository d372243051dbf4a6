package server

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/renoflow/renoflow/internal/apiclient"
	"github.com/stretchr/testify/require"
)

var requestField = regexp.MustCompile(`name="_request" value="([^"]+)"`)

// formKey is the idempotency key a rendered page's forms carry.
func formKey(t *testing.T, html string) string {
	t.Helper()
	m := requestField.FindStringSubmatch(html)
	require.NotNil(t, m, "the page's form carries an idempotency key")
	return m[1]
}

// A double-submitted filing form files once and answers both submissions with the same
// customer (no 撞单 for the filer's own repeat); the API does the same for a repeated
// Idempotency-Key (issue 10 §2).
func TestFilingFiledOncePerKey(t *testing.T) {
	h := newHarness(t)
	cm := h.login("cm1")
	status, html, _ := h.page(cm, http.MethodGet, "/customers/new", nil)
	require.Equal(t, http.StatusOK, status)
	key := formKey(t, html)
	_, again, _ := h.page(cm, http.MethodGet, "/customers/new", nil)
	require.NotEqual(t, key, formKey(t, again), "one key per rendered form")

	claims := h.count("phone_claims")
	form := url.Values{"name": {"王先生"}, "gender": {"male"}, "phone": {"13912345678"}, "situation": {"想装修"},
		"house.layout": {"三室"}, "channel": {"referral"}, "store_id": {"s1"}, "_request": {key}}
	status, _, first := h.page(cm, http.MethodPost, "/customers/new", form)
	require.Equal(t, http.StatusSeeOther, status)
	status, html, second := h.page(cm, http.MethodPost, "/customers/new", form)
	require.Equal(t, http.StatusSeeOther, status, "the second submission is not a duplicate filing: %s", html)
	require.Equal(t, strings.Split(first, "?")[0], strings.Split(second, "?")[0], "both answer with the first customer")
	require.Len(t, h.tc.starts, 1, "one workflow started")
	require.Equal(t, claims+1, h.count("phone_claims"))

	// The API: the same Idempotency-Key twice.
	body := `{"name":"李女士","gender":"female","phone":"13912345679","situation":"想装修","house":{"layout":"两室"},"channel":"referral","store_id":"s1"}`
	req := func() (int, map[string]any) {
		return h.rawHeader(cm, http.MethodPost, "/api/customers", body, map[string]string{"Idempotency-Key": "file-k1"})
	}
	s1, b1 := req()
	s2, b2 := req()
	require.Equal(t, http.StatusCreated, s1, "%v", b1)
	require.Equal(t, http.StatusCreated, s2, "%v", b2)
	require.Equal(t, b1["customer_id"], b2["customer_id"])
	require.Len(t, h.tc.starts, 2)
}

// rawHeader sends a JSON body with extra headers as as.
func (h *harness) rawHeader(as *staffer, method, path, body string, header map[string]string) (int, map[string]any) {
	h.t.Helper()
	var opts []apiclient.Option
	for k, v := range header {
		opts = append(opts, apiclient.Header(k, v))
	}
	return h.api(as, method, path, apiclient.Body{ContentType: "application/json", Data: []byte(body)}, opts...)
}

// A double-submitted task form is one update: both submissions carry the same update ID,
// which the workflow applies once.
func TestTaskFormSendsOneKey(t *testing.T) {
	h := newHarness(t)
	d1 := h.login("d1")
	status, html, _ := h.page(d1, http.MethodGet, "/tasks?view=open", nil)
	require.Equal(t, http.StatusOK, status)
	key := formKey(t, html)
	var id string
	require.NoError(t, h.db.NewSelect().Table("tasks").ColumnExpr("id::text").Where("assignee_id = 'd1'").Limit(1).Scan(t.Context(), &id))
	h.tc.sent()
	for i := 0; i < 2; i++ {
		status, page, _ := h.page(d1, http.MethodPost, "/tasks/"+id+"/done", url.Values{"_request": {key}})
		require.Equal(t, http.StatusSeeOther, status, page)
	}
	sent := h.tc.sent()
	require.Len(t, sent, 2)
	require.NotEmpty(t, sent[0].UpdateID)
	require.Equal(t, sent[0].UpdateID, sent[1].UpdateID, "the same update: Temporal applies it once")
}

// A dispute sent twice with one key is one update (the workflow applies it once), from
// the API and from the filing page's dispute form.
func TestDisputeSendsOneKey(t *testing.T) {
	h := newHarness(t)
	sa := h.login("sa1")
	_, err := h.db.NewRaw(`INSERT INTO phone_claims (phone, customer_id, filed_by, filed_at) VALUES ('13800000001', ?, 'cm1', ?)`,
		custS1, h.now).Exec(t.Context())
	require.NoError(t, err)
	h.tc.sent()
	for i := 0; i < 2; i++ {
		status, body := h.rawHeader(sa, http.MethodPost, "/api/disputes", `{"phone":"13800000001","note":"我先邀约到店"}`,
			map[string]string{"Idempotency-Key": "dispute-k1"})
		require.Equal(t, http.StatusCreated, status, "%v", body)
	}
	key := formKey(t, func() string { _, html, _ := h.page(sa, http.MethodGet, "/customers/new", nil); return html }())
	for i := 0; i < 2; i++ {
		status, html, _ := h.page(sa, http.MethodPost, "/disputes", url.Values{"phone": {"13800000001"}, "note": {"依据"}, "_request": {key}})
		require.Equal(t, http.StatusSeeOther, status, html)
	}
	sent := h.tc.sent()
	require.Len(t, sent, 4)
	require.Equal(t, "dispute-k1", sent[0].UpdateID)
	require.Equal(t, sent[0].UpdateID, sent[1].UpdateID)
	require.Equal(t, key, sent[2].UpdateID)
	require.Equal(t, sent[2].UpdateID, sent[3].UpdateID)
}

// A filing into another store is refused (403) naming the field, and holds nothing.
func TestFilingIntoAnotherStoreNamesTheField(t *testing.T) {
	h := newHarness(t)
	cm := h.login("cm1")
	claims := h.count("phone_claims")
	status, body := h.api(cm, http.MethodPost, "/api/customers", map[string]any{"name": "周先生", "gender": "male",
		"phone": "13912345670", "situation": "想装修", "house": map[string]any{"layout": "两室"}, "channel": "referral", "store_id": "s2"})
	require.Equal(t, http.StatusForbidden, status, "%v", body)
	require.Equal(t, []string{"store_id"}, errorFields(body))
	require.Equal(t, claims, h.count("phone_claims"))
}
