package eventstore_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/eventstore"
)

// TestReapplyErasures is the state after REPORTER_KEYS was restored from a
// backup taken before an erasure: the log says the reporter was erased, the
// bucket holds the key again. ReapplyErasures destroys it; a reporter never
// erased keeps theirs.
func TestReapplyErasures(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})

	if n, err := eventstore.ReapplyErasures(ctx, js); err != nil || n != 0 {
		t.Fatalf("on an empty log: %d, %v; want 0, nil", n, err)
	}

	// report appends a named report and returns its sealed reporter.
	report := func(erased, keyGone bool) domain.SealedReporter {
		t.Helper()
		sealed, err := s.Seal(ctx, identity)
		if err != nil {
			t.Fatal(err)
		}
		id := uuid.Must(uuid.NewV7())
		r := reported()
		r.Reporter = &sealed
		version, err := s.Append(ctx, 0, []domain.Envelope{envelope(id, r)})
		if err != nil {
			t.Fatal(err)
		}
		if erased {
			if keyGone {
				if err := s.Erase(ctx, sealed.KeyID); err != nil {
					t.Fatal(err)
				}
			}
			e := domain.ReporterErased{KeyID: sealed.KeyID, Reason: "yêu cầu xóa"}
			if _, err := s.Append(ctx, version, []domain.Envelope{envelope(id, e)}); err != nil {
				t.Fatal(err)
			}
		}
		return sealed
	}
	restored := report(true, false) // erased, then the old key came back
	kept := report(false, false)    // never erased
	gone := report(true, true)      // erased, and still gone

	if _, err := s.Open(ctx, restored); err != nil {
		t.Fatalf("the restored key does not open before the run: %v", err)
	}
	for run := 1; run <= 2; run++ { // idempotent: a second run changes nothing
		n, err := eventstore.ReapplyErasures(ctx, js)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if n != 2 {
			t.Errorf("run %d found %d erasures, want 2", run, n)
		}
		for name, sealed := range map[string]domain.SealedReporter{"restored": restored, "gone": gone} {
			if _, err := s.Open(ctx, sealed); !errors.Is(err, eventstore.ErrErased) {
				t.Errorf("run %d: the %s key opens with %v, want ErrErased", run, name, err)
			}
		}
		if got, err := s.Open(ctx, kept); err != nil || string(got) != string(identity) {
			t.Errorf("run %d: a reporter never erased lost their identity: %q, %v", run, got, err)
		}
	}
}
