package projections

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// shapeOf describes a type as far as a snapshot depends on it: every field's
// name, type and tag, recursively, unexported fields included (they are the
// live state a snapshot copies).
func shapeOf(t reflect.Type) string {
	var b strings.Builder
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			fmt.Fprintf(&b, "%s[", t.Kind())
			walk(t.Elem())
			b.WriteString("]")
		case reflect.Map:
			b.WriteString("map[")
			walk(t.Key())
			b.WriteString("]")
			walk(t.Elem())
		case reflect.Struct:
			if stdlib(t) || seen[t] {
				b.WriteString(t.String())
				return
			}
			seen[t] = true
			fmt.Fprintf(&b, "%s{", t)
			for f := range t.Fields() {
				fmt.Fprintf(&b, "%s %q:", f.Name, f.Tag)
				walk(f.Type)
				b.WriteString(";")
			}
			b.WriteString("}")
		default:
			b.WriteString(t.String())
		}
	}
	walk(t)
	return b.String()
}

// stdlib reports whether t is a standard library type (time.Time,
// sync.RWMutex): its insides are Go's, not the snapshot's.
func stdlib(t reflect.Type) bool {
	first, _, _ := strings.Cut(t.PkgPath(), "/")
	return t.PkgPath() != "" && !strings.Contains(first, ".") && first != "phananh"
}

func fingerprint(types ...reflect.Type) string {
	h := sha256.New()
	for _, t := range types {
		h.Write([]byte(shapeOf(t)))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// TestSnapshotVersionsFollowStateShapes fails when the state a model
// snapshots changes shape while its snapshot version stays the same: a
// snapshot written before the change would be misread after it. When it
// fails, bump the model's version constant and add the new fingerprint
// under the new version; never edit a recorded one.
func TestSnapshotVersionsFollowStateShapes(t *testing.T) {
	tests := []struct {
		model   string
		version int
		shapes  map[int]string // version → fingerprint of the state it reads
		types   []reflect.Type
	}{
		{
			// Version 5: timeline entries without pointers (texts, heads
			// and details by number); 6: the description among the texts,
			// the attachments beside the records, domain.Case's flags
			// moved; 7: one table of repeated strings (symbols) for all
			// the models; 8: domain.Case gained Denounced. The snapshot's
			// fields are as they were in each.
			model: "case_view", version: CaseViewSnapshotVersion,
			shapes: map[int]string{1: "9847cde40265b6d7", 2: "ce2eeda449c4707a", 3: "34592f9ea14c3417", 4: "f94ae2187376ccf6", 5: "1a7be2fba0fc2247", 6: "1f2d22a8d887b3be", 7: "25fe3cd49f3289af", 8: "a50e889917a186fe"},
			types:  []reflect.Type{reflect.TypeFor[CaseView](), reflect.TypeFor[caseViewSnapshot]()},
		},
		{
			// Queues' shape takes in the insides of github.com/google/btree
			// through byUnit (version 3: the unit lists became trees; the
			// snapshot's bytes did not change). An upgrade of btree that
			// changes its nodes asks for a bump that costs one rebuild.
			model: "queues", version: QueuesSnapshotVersion,
			shapes: map[int]string{1: "bb1d46fa7db09853", 2: "515804df02684d53", 3: "33ad8931256a2d04", 4: "5e20e354f2eb6af4", 5: "a65636c4c2f643ac", 6: "6d1036171a917729", 7: "3b36981f922be5bb", 8: "e9ab6991b69d4769"},
			types:  []reflect.Type{reflect.TypeFor[Queues](), reflect.TypeFor[queuesSnapshot]()},
		},
		{
			// Dashboard's shape takes in domain.Geography through its geo
			// field, which no snapshot holds: a change there asks for a
			// bump that costs one rebuild, which errs on the safe side.
			model: "dashboard", version: DashboardSnapshotVersion,
			shapes: map[int]string{1: "f914feeded086f73", 2: "0facb9b687c9f6df", 3: "ef2f810a6fef46dc", 4: "e05f2c3d1d6b5579", 5: "2e69765d1a05e1a2", 6: "d7f231f309a9ac5e", 7: "1896c2e8f9c7a1c6", 8: "0810798bfc425c47", 9: "0e713661e7ade307"},
			types:  []reflect.Type{reflect.TypeFor[Dashboard](), reflect.TypeFor[dashboardSnapshot]()},
		},
	}
	for _, tt := range tests {
		got := fingerprint(tt.types...)
		if want, ok := tt.shapes[tt.version]; !ok || got != want {
			t.Errorf("%s: state fingerprint %s, recorded for version %d: %q.\n"+
				"The state changed shape: bump its snapshot version and record %s under the new version.\nShape: %s",
				tt.model, got, tt.version, want, got, shapeOf(tt.types[0]))
		}
	}
}
