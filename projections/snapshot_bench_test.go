package projections_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/projections"
)

// snapshotBenchModels fills a case view and unit queues with n cases of
// five events each (lifecycle), interleaved as the log holds them.
func snapshotBenchModels(n int) (*projections.CaseView, *projections.Queues) {
	view, queues := projections.NewCaseView(), projections.NewQueues()
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	var seq uint64
	for j := range 5 {
		for i, id := range ids {
			seq++
			env := envelopeAt(id, officer, t0.Add(time.Duration(j)*time.Hour), lifecycle(i)[j])
			env.Seq = seq
			view.Apply(env)
			queues.Apply(env)
		}
	}
	return view, queues
}

// BenchmarkSnapshotCaseView encodes a view of 10,000 cases (50,000
// timeline entries): how long Apply waits while a snapshot is taken, and
// how large the snapshot is. BenchmarkRestoreCaseView decodes it back.
func BenchmarkSnapshotCaseView(b *testing.B) {
	view, queues := snapshotBenchModels(10_000)
	for _, m := range []projections.Snapshotter{view, queues} {
		b.Run(m.SnapshotName(), func(b *testing.B) {
			var size int
			for b.Loop() {
				var buf bytes.Buffer
				if _, err := m.Snapshot(&buf); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}

func BenchmarkRestoreCaseView(b *testing.B) {
	view, queues := snapshotBenchModels(10_000)
	for _, m := range []projections.Snapshotter{view, queues} {
		var buf bytes.Buffer
		seq, err := m.Snapshot(&buf)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(m.SnapshotName(), func(b *testing.B) {
			for b.Loop() {
				var fresh projections.Snapshotter = projections.NewCaseView()
				if m.SnapshotName() == "queues" {
					fresh = projections.NewQueues()
				}
				if err := fresh.Restore(bytes.NewReader(buf.Bytes()), seq); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
