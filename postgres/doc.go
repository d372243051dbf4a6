// Package postgres is renoflow's store: the one home of every table's access. Activities
// and the server call it; nothing else writes SQL on the application's tables (migrations
// live in schema/).
//
// Conventions:
//   - One row model per table, in the file named after the table (customers.go holds
//     Customer for table customers), with bun tags matching schema/migrations.
//   - Functions take a context and a bun.IDB, so a caller composes them in its own
//     transaction (db.RunInTx) or runs them on the pool: func X(ctx, db bun.IDB, ...).
//   - Upserts use bun's generated SET (On("CONFLICT (...) DO UPDATE") without a hand-kept
//     column list) unless a column must not move (say so beside the query).
//   - Errors are returned as bun/pgdriver gives them, wrapped with the function's name;
//     callers classify them (activities.classify, server's unavailable classifier).
//   - sql.ErrNoRows is returned unchanged where "not found" is a normal answer.
package postgres
