package cases_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/api"
	"phananh/app"
	"phananh/cases"
	"phananh/domain"
)

// startApp runs the whole service, as the binary does, for tests that
// need the real log under the cases service.
func startApp(t *testing.T) *app.App {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := app.Start(ctx, app.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", NATSListen: "127.0.0.1:-1",
		SyncAlways: true, Limits: &api.Limits{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	return a
}

// TestReportsFiledBeforeDerivedIDsAreStillRetried: a report filed before
// case ids were derived from client ids has the client's id as its case's
// id and a digest of the first form. An app's offline queue may hold it at
// the upgrade, so within legacyRetryWindow of its filing its retry still
// answers its receipt (and other content a conflict); past that window the
// same client id files a new case, so that the case's id, which staff see,
// stops answering with the receipt. The old cases are written to the real
// log as the old code wrote them.
func TestReportsFiledBeforeDerivedIDsAreStillRetried(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := startApp(t)
	rules := a.Service.Rules()
	report := func(id uuid.UUID) domain.SubmitReport {
		return domain.SubmitReport{ID: id, Category: "pollution.water", Title: "Nước suối đổi màu",
			Description: "Nước đen, cá chết.", Location: domain.Location{Commune: "lao-cai", Address: "Tổ 5"}, Anonymous: true}
	}
	// fileAsBefore appends a report as the code before derived ids did.
	fileAsBefore := func(receivedAt time.Time) uuid.UUID {
		t.Helper()
		id := uuid.Must(uuid.NewV7())
		cmd, err := report(id).Validate(receivedAt, rules)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Digest = cases.DigestV1(a.Service, cmd)
		events, err := domain.Decide(domain.Case{}, cmd, receivedAt, rules)
		if err != nil {
			t.Fatal(err)
		}
		env := domain.Envelope{ID: uuid.Must(uuid.NewV7()), CaseID: id, Time: receivedAt,
			Actor: domain.Actor{Role: domain.RoleCitizen}, CorrelationID: "before", Event: events[0]}
		seq, err := a.Store.Append(ctx, 0, []domain.Envelope{env})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Service.WaitAfter(ctx, seq); err != nil {
			t.Fatal(err)
		}
		return id
	}

	recent := fileAsBefore(time.Now().Add(-2 * time.Hour))
	r, created, err := a.Service.Submit(ctx, report(recent), "retry")
	if err != nil || created || r.ID != recent || r.TrackingCode != a.Service.TrackingCode(recent) {
		t.Errorf("retry of a report filed two hours before: %+v, created %v, %v; want its own receipt", r, created, err)
	}
	other := report(recent)
	other.Description = "Nước trong."
	if _, _, err := a.Service.Submit(ctx, other, "other"); domain.ErrorCode(err) != domain.EDuplicateSubmitted {
		t.Errorf("other content with that id: %v, want duplicate_id", err)
	}

	old := fileAsBefore(time.Now().Add(-25 * time.Hour))
	r, created, err = a.Service.Submit(ctx, report(old), "late")
	if err != nil || !created || r.ID == old || r.TrackingCode == a.Service.TrackingCode(old) {
		t.Errorf("the id of a report filed 25 hours before: %+v, created %v, %v; want a new case", r, created, err)
	}
}
