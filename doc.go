// Package renoflow is the pure domain of a home-renovation company's customer lifecycle:
// customers and their record, phone numbers, stages and grades, the company calendar,
// policy (every duration of the rule book as an editable, versioned setting), clocks,
// and the rules that decide deadlines, eligibility and ranking.
//
// Nothing here does I/O or reads the clock: `now` is always a parameter. The rules are
// those of the company rule book distilled in SPEC.md; comments cite its sections.
package renoflow
