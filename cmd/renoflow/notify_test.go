package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/renoflow/renoflow/internal/notify"
	"github.com/renoflow/renoflow/internal/testdb"
)

// Issue 14 on the real stack: a filing's verification task (customer service of store
// s1) is queued in the persist's transaction and delivered by the worker process's sender
// to the store's group robot — a local server speaking the webhook API — once.
func TestDevNotifiesStoreRobot(t *testing.T) {
	var mu sync.Mutex
	var posts []string
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts = append(posts, r.URL.Query().Get("key"))
		mu.Unlock()
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	defer robot.Close()
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	db := d.db(t)
	ctx := context.Background()
	require.NoError(t, notify.SaveSettings(ctx, db, notify.Settings{WeComBaseURL: robot.URL}, time.Now()))
	require.NoError(t, notify.SaveRobotKey(ctx, db, "s1", "key-s1", time.Now()))

	cm := d.login(t, "cm1")
	status, body := cm.call(http.MethodPost, "/customers", filing("138 1234 5678"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)
	eventually(t, "the verification reaches the store robot", func() bool {
		var st string
		err := db.NewRaw("SELECT status FROM outbox WHERE customer_id = ? AND key = 'task:verify//0#robot'", id).Scan(ctx, &st)
		return err == nil && st == "sent"
	})
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"key-s1"}, posts)
}
