package projections

import (
	"strconv"

	"phananh/jsonappend"
)

// AppendJSON appends the item as encoding/json renders it (HTML escaping
// on, as Echo's serializer has it), field for field in the order of the
// struct's tags. It exists for speed: the staff queue page is the hottest
// read answer and reflection over its items cost more than the query
// (BenchmarkEncodeQueuePage in api). TestQueuePageJSON and
// FuzzQueuePageJSON in api hold its bytes equal to encoding/json's; a field
// added to QueueItem must be added here, or they fail.
//
// It fails only where time.Time.MarshalJSON fails (a year outside
// 0–9999); the caller then leaves the answer to encoding/json.
func (it *QueueItem) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = jsonappend.UUID(b, it.ID)
	b = append(b, `,"title":`...)
	b = jsonappend.String(b, it.Title)
	b = append(b, `,"status":`...)
	b = jsonappend.String(b, string(it.Status))
	b = append(b, `,"kind":`...)
	b = jsonappend.String(b, string(it.Kind))
	b = append(b, `,"category":`...)
	b = jsonappend.String(b, string(it.Category))
	b = append(b, `,"commune":`...)
	b = jsonappend.String(b, it.Commune)
	if !it.Deadline.IsZero() { // omitzero
		b = append(b, `,"deadline":`...)
		if b, err = jsonappend.Time(b, it.Deadline); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"overdue":`...)
	b = strconv.AppendBool(b, it.Overdue)
	b = append(b, `,"assignee":`...)
	b = jsonappend.String(b, it.Assignee)
	b = append(b, `,"version":`...)
	b = strconv.AppendUint(b, it.Version, 10)
	b = append(b, `,"received_at":`...)
	if b, err = jsonappend.Time(b, it.ReceivedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"updated_at":`...)
	if b, err = jsonappend.Time(b, it.UpdatedAt); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}
