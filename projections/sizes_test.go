package projections

import (
	"reflect"
	"testing"
)

// TestRecordsFitTheirSizeClasses: each read model keeps one of these for
// every case, allocated in Go's size class for its size; a field added
// beyond the class costs every case the step to the next one (64 bytes for
// a case record, 16 to 32 for the others), and the heap per case is a
// target of issue 5 (BENCHMARKS.md, sixth and seventh sessions).
func TestRecordsFitTheirSizeClasses(t *testing.T) {
	for _, tt := range []struct {
		typ   reflect.Type
		class uintptr // the size class it is allocated in
	}{
		{reflect.TypeFor[caseRec](), 512},
		{reflect.TypeFor[queueEntry](), 192},
		{reflect.TypeFor[dashCase](), 144},
	} {
		if size := tt.typ.Size(); size > tt.class {
			t.Errorf("%s takes %d bytes, over its %d-byte size class", tt.typ, size, tt.class)
		}
	}
}
