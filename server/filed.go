package server

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/renoflow/renoflow/postgres"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// filedNotices hands the announcements of filings written (postgres.FiledChannel, sent
// by the filing's persist when it commits) to the filing requests waiting for them
// (issue 15): a filing then answers 201 without an update to its workflow.
type filedNotices struct {
	ln      *pgdriver.Listener
	mu      sync.Mutex
	waiting map[string]chan bool // customer ID → refused
}

// listenFiled listens on postgres.FiledChannel with a connection of its own; the
// listener reconnects by itself, and an announcement missed meanwhile is made up for by
// the waiter reading the customer row (startNotified).
func listenFiled(db *bun.DB, log *slog.Logger) *filedNotices {
	ln := pgdriver.NewListener(db)
	n := &filedNotices{ln: ln, waiting: map[string]chan bool{}}
	if err := ln.Listen(context.Background(), postgres.FiledChannel); err != nil {
		log.Warn("listen for filings written; until PostgreSQL answers, filings read their row every second instead", "err", err)
	}
	go func() {
		for msg := range ln.Channel() {
			id, refused := strings.CutSuffix(msg.Payload, postgres.FiledRefused)
			n.announce(id, refused)
		}
	}()
	return n
}

// close stops listening (the app shuts down before the database does).
func (n *filedNotices) close() error { return n.ln.Close() }

// await registers a wait for customer id's filing; the channel receives whether it was
// refused. forget ends the wait.
func (n *filedNotices) await(id string) <-chan bool {
	ch := make(chan bool, 1)
	n.mu.Lock()
	n.waiting[id] = ch
	n.mu.Unlock()
	return ch
}

func (n *filedNotices) forget(id string) {
	n.mu.Lock()
	delete(n.waiting, id)
	n.mu.Unlock()
}

func (n *filedNotices) announce(id string, refused bool) {
	n.mu.Lock()
	ch := n.waiting[id]
	delete(n.waiting, id)
	n.mu.Unlock()
	if ch != nil {
		ch <- refused
	}
}
