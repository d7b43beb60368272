// Package notify tells people that a case changed: the reporter (by email
// and, if they subscribed one, a signed webhook) and the unit now handling
// the case (by the email and webhook the geography file gives it).
//
// # Once, across replicas and crashes
//
// Every replica runs a Worker; they share one durable pull consumer on the
// CASES stream, so each event is worked by one replica at a time. The log
// itself is the outbox: an event is a notification to send until the
// consumer's acknowledgement says it was handled. For each event the worker
// works out the sends (channel × recipient), and for each send:
//
//  1. skips it if NOTIFY_SENT holds <event id>/<channel>/<recipient>;
//  2. sends it;
//  3. records that key in NOTIFY_SENT;
//
// and acknowledges the event only when every send is recorded. So
//
//   - a crash before a send: the event is redelivered and the send happens;
//   - a crash after the record, before the ack: the redelivery finds the
//     record and sends nothing again;
//   - a crash after the send succeeded but before its record was stored:
//     the redelivery sends again. No sender can close this window without
//     the receiver's help, so every message carries an id derived from the
//     event: the email's Message-ID (<event id>.<recipient>@phananh) and the
//     webhook's X-Phananh-Event-Id header. A receiver that remembers them
//     drops the duplicate.
//
// The same holds if a replica stalls mid-send for longer than the
// consumer's AckWait (the worker extends it before each send): another
// replica may get the event and send before the record exists.
//
// # Retries and dead letters
//
// A failed send leaves the event unacknowledged with a delay that grows
// with each delivery (Config.BackOff); sends already recorded are not
// repeated. Attempts count deliveries of the event, so a redelivery after
// a crash or an unreachable bucket uses one too. After Config.Attempts
// deliveries, or at once when retrying cannot help (a webhook host that
// resolves to a private address), the send is recorded in the NOTIFY_DEAD
// stream (event id, channel, recipient kind, attempts, the last error in
// words that name no address, and the destination host when it is a
// unit's or the SMTP server: no personal data) and the event acknowledged.
//
// # What notifies
//
// An event notifies when it changes the case's status or the unit handling
// it, which the worker sees by folding the case up to the event: reported,
// accepted, rejected, assigned, transferred, escalated, inspection_recorded,
// mediation_scheduled, mediation_held, resolved, closed and reopened, each
// when it does (handing an assigned case to another officer, or a second
// inspection, changes neither and tells no one). Comments, attachments,
// deadline extensions, feedback and the like never do. An overdue
// escalation changes neither, but puts the case before the unit's head, so
// it notifies the unit (not the reporter).
//
// Replicas work events side by side, so two changes of one case may be
// told in either order; each message says the status it announces and when
// the change happened.
//
// Events appended before the consumer was first created are not notified:
// it starts at the end of the log, so deploying notifications on an old log
// does not mail everyone about years of history.
package notify
