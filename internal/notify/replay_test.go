package notify

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/activities"
	"github.com/renoflow/renoflow/postgres"
)

// recordedBatches are the Persist inputs of a recorded customer history (a whole
// lifecycle on the real stack, workflows/testdata), in the order the workflow wrote them.
func recordedBatches(t *testing.T, file string) []activities.Batch {
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	require.NoError(t, err)
	var out []activities.Batch
	for _, ev := range h.GetEvents() {
		a := ev.GetActivityTaskScheduledEventAttributes()
		if a.GetActivityType().GetName() != "Persist" {
			continue
		}
		var b activities.Batch
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(a.GetInput(), &b))
		out = append(out, b)
	}
	require.NotEmpty(t, out)
	return out
}

// Issue 14: the same customer history written again — every Persist of a recorded whole
// lifecycle re-run, as a replaying or retrying worker would — queues no second outbox row
// and the sender sends no second message: each business key once.
func TestRecordedLifecycleReplayedSendsOnce(t *testing.T) {
	s := newSetup(t)
	s.now = time.Date(2030, 1, 1, 10, 0, 0, 0, renoflow.Zone) // after every message's not-before
	s.cfg.NoQuiet = true
	_, err := s.db.NewRaw("INSERT INTO staff (id, login, name, role, store_id, wecom_userid) VALUES ('d1', 'd1', '吴设计', 'designer', 's1', 'WuSheJi'), ('cs1', 'cs1', '客服', 'customer_service', 's1', 'KeFu')").Exec(t.Context())
	require.NoError(t, err)
	batches := recordedBatches(t, "../../workflows/testdata/v2-whole-lifecycle.json")
	acts := &activities.Activities{DB: s.db}
	want := map[string]bool{}
	for _, b := range batches {
		require.NoError(t, acts.Persist(t.Context(), b))
		for _, m := range renoflow.Messages(b.Customer, b.Effects) {
			want[m.Key] = true
		}
	}
	keys := func() map[string]int {
		var rows []postgres.OutboxMessage
		require.NoError(t, s.db.NewSelect().Model(&rows).Where("customer_id <> ''").Scan(t.Context()))
		out := map[string]int{}
		for _, r := range rows {
			out[r.Key]++
		}
		return out
	}
	first := keys()
	require.Len(t, first, len(want))
	var sms int
	for k := range want {
		require.Equal(t, 1, first[k], k)
		if len(k) > 4 && k[len(k)-4:] == "#sms" {
			sms++
		}
	}
	require.Positive(t, sms, "the lifecycle has customer SMS")
	snd := New(s.db, s.cfg)
	_, err = snd.SendDue(t.Context())
	require.NoError(t, err)

	// The whole history again, then its second half once more (a replay from a midpoint).
	for _, b := range append(batches, batches[len(batches)/2:]...) {
		require.NoError(t, acts.Persist(t.Context(), b))
	}
	require.Equal(t, first, keys())
	_, err = snd.SendDue(t.Context())
	require.NoError(t, err)
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	seen := map[string]int{}
	for _, m := range s.f.sms {
		seen[m["SessionContext"].(string)]++
	}
	require.Len(t, seen, sms, "every SMS sent")
	for k, n := range seen {
		require.Equal(t, 1, n, "%s sent once", k)
	}
	var app []string
	for _, m := range s.f.app {
		app = append(app, m["text"].(map[string]any)["content"].(string))
	}
	require.Len(t, app, len(uniq(app)), "no 企业微信 message twice")
}

func uniq(xs []string) map[string]bool {
	out := map[string]bool{}
	for _, x := range xs {
		out[x] = true
	}
	return out
}
