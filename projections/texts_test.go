package projections

import (
	"reflect"
	"strings"
	"testing"
)

// TestTextsGiveBackWhatTheyKept: every text comes back as it was added,
// whatever its length (empty, one byte, a length whose uvarint takes
// several bytes, longer than a chunk, and the texts that fill a chunk to
// its last byte), and a full chunk is left as it is (growing it by append
// would copy it) rather than grown.
func TestTextsGiveBackWhatTheyKept(t *testing.T) {
	tests := []struct {
		name string
		text string
	}{
		{"empty", ""},
		{"one byte", "a"},
		{"Vietnamese", "Ghi chú xác minh: nước thải đổ ra suối Ngòi Đường."},
		{"length of two varint bytes", strings.Repeat("x", 200)},
		{"longer than a chunk", strings.Repeat("đ", textChunk)},
		{"after the long one", "ngắn"},
	}
	var ts texts
	refs := make([]textRef, len(tests))
	for i, tt := range tests {
		refs[i] = ts.add(tt.text)
	}
	// Fill the last chunk to its last byte, then add one more text: it must
	// go to a new chunk and leave the full one where it was.
	full := len(ts.chunks) - 1
	room := cap(ts.chunks[full]) - len(ts.chunks[full])
	n := room - 1
	for uvarintLen(uint64(n))+n > room {
		n--
	}
	filler := strings.Repeat("z", n)
	fillRef := ts.add(filler)
	if left := cap(ts.chunks[full]) - len(ts.chunks[full]); left != 0 || len(ts.chunks) != full+1 {
		t.Fatalf("the filler left %d bytes of its chunk, %d chunks; want 0, %d", left, len(ts.chunks), full+1)
	}
	at := &ts.chunks[full][0]
	nextRef := ts.add("sau")
	if len(ts.chunks) != full+2 {
		t.Errorf("a text that does not fit went into the full chunk: %d chunks, want %d", len(ts.chunks), full+2)
	}
	if &ts.chunks[full][0] != at {
		t.Error("a full chunk was grown (copied)")
	}
	for i, tt := range tests {
		if got := ts.get(refs[i]); got != tt.text {
			t.Errorf("%s: got %d bytes %.20q, want %d bytes %.20q", tt.name, len(got), got, len(tt.text), tt.text)
		}
	}
	if refs[0] != 0 {
		t.Errorf("the empty text has ref %d, want 0", refs[0])
	}
	if got := ts.get(fillRef); got != filler {
		t.Errorf("the filler came back with %d bytes, want %d", len(got), len(filler))
	}
	if got := ts.get(nextRef); got != "sau" {
		t.Errorf("the text after a full chunk came back as %q", got)
	}
}

// TestTimelineEntriesHoldNoPointers: a timeline is a slice of entries, and
// the collector scans it only if an entry holds a pointer (a string, a
// slice, a map, an interface, a time.Time with its location). At 100 000
// cases of ten events that scan was most of a collection's marking.
func TestTimelineEntriesHoldNoPointers(t *testing.T) {
	var check func(path string, typ reflect.Type)
	check = func(path string, typ reflect.Type) {
		switch typ.Kind() {
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		case reflect.Array:
			check(path+"[]", typ.Elem())
		case reflect.Struct:
			for f := range typ.Fields() {
				check(path+"."+f.Name, f.Type)
			}
		default:
			t.Errorf("%s is a %s, which holds a pointer", path, typ)
		}
	}
	check("entry", reflect.TypeFor[entry]())
	if size := reflect.TypeFor[entry]().Size(); size != 32 {
		t.Errorf("an entry takes %d bytes, want 32 (appendEntry's capacities fill their size classes at 32)", size)
	}
}
