// Package domain holds the business of phananh: what a citizen's report
// (phản ánh) is, the legal kinds that decide its lifecycle and clocks, the
// events that record every change to a case (hồ sơ), and the pure functions
// that decide and apply them.
//
// The package is pure on purpose: it imports the standard library and uuid
// only, never reads the clock or a random source, and never touches NATS or
// HTTP. Time, ids, geography and policies come in as arguments, so every
// rule can be tested with a table and every read model rebuilt from the log.
package domain
