package projections

import (
	"slices"
	"testing"

	"phananh/domain"
)

// TestQueueQueryNamesEachStatusOnce: a status named many times is matched
// once, so a long repeated list costs no more than the status itself.
func TestQueueQueryNamesEachStatusOnce(t *testing.T) {
	many := make([]domain.Status, 0, 5001)
	for range 5000 {
		many = append(many, domain.StatusReceived)
	}
	many = append(many, domain.StatusAssigned)
	f, err := compileQueueQuery(QueueQuery{Unit: "ubnd.lao-cai", Statuses: many})
	if err != nil {
		t.Fatal(err)
	}
	if want := []domain.Status{domain.StatusReceived, domain.StatusAssigned}; !slices.Equal(f.statuses, want) {
		t.Errorf("statuses %v, want %v", f.statuses, want)
	}
}
