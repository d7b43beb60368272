package app_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"phananh/app"
)

// BenchmarkSubmitReport posts anonymous reports, each with its own client
// id, to the whole service over real HTTP, one at a time, without fsync
// (the relaxed mode of `phananh bench`). allocs/op and B/op count every
// goroutine of the process: the HTTP client and server, the handler, the
// embedded server, and the projection runner and notifier that each
// receive the event. They are the figure to compare across changes of the
// submit path; ns/op is one round trip's latency, not a throughput.
func BenchmarkSubmitReport(b *testing.B) {
	a := startAppWith(b, b.TempDir(), func(cfg *app.Config) {
		cfg.SyncAlways = false
		cfg.NoSnapshots = true // as in `phananh bench`: a snapshot is not a report's cost
		noRateLimits(cfg)
	})
	// Its own client, not do's http.DefaultClient: the package's tests
	// check every answer of that one against the OpenAPI document
	// (openapi_test.go), which costs some 3 000 allocations a report.
	client := &http.Client{}
	url := "http://" + a.HTTPAddr() + "/api/v1/reports"
	post := func(n int) {
		body := fmt.Appendf(nil, `{"id":%q,"category":"pollution.waste","title":"Bãi rác tự phát ven suối số %d",`+
			`"description":"Rác thải sinh hoạt đổ xuống suối gần cầu, bốc mùi và tràn ra đường khi trời mưa.",`+
			`"location":{"commune":"lao-cai","address":"Cầu Nậm Lúc"},"anonymous":true}`, uuid.Must(uuid.NewV7()), n)
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusCreated {
			b.Fatalf("POST /api/v1/reports = %d %s (%v)", resp.StatusCode, data, err)
		}
	}
	for i := range 200 { // warm the connection, the pools and the models
		post(i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		post(i)
	}
}
