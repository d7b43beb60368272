// Package eventstore keeps the log of case events on NATS JetStream, the one
// source of truth of phananh (DESIGN.md §3), together with the two things the
// log must never hold itself: attachment bytes (an Object Store bucket) and
// the keys that seal reporters' identities (a KV bucket, so that erasing a
// key erases the person while the log stays immutable).
//
// The store is deliberately small: it appends with optimistic concurrency
// (the expected stream sequence of the case's last event), loads a case with
// batch direct get so no read ever creates a consumer, and follows the whole
// stream with one ordered consumer for the projections. Business rules live
// in package domain; this package only maps envelopes to messages and back.
package eventstore
