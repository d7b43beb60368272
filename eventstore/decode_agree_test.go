package eventstore_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"phananh/domain"
	"phananh/eventstore"
)

// decodeBody decodes an event body the way the log's readers do, through
// eventstore.Decode with the headers a stored event carries.
func decodeBody(eventType string, body []byte) (domain.Event, error) {
	h := nats.Header{}
	h.Set(eventstore.HeaderSpecVersion, "1.0")
	h.Set(eventstore.HeaderID, uuid.NewString())
	h.Set(eventstore.HeaderType, "vn.phananh.case."+eventType+".v1")
	h.Set(eventstore.HeaderSource, eventstore.Source)
	h.Set(eventstore.HeaderSubject, uuid.NewString())
	h.Set(eventstore.HeaderTime, at.Format(time.RFC3339Nano))
	env, err := eventstore.Decode(1, h, body)
	return env.Event, err
}

// TestBodyDecodersAgree holds the event store's JSON decoder to
// encoding/json's (domain.DecodeEvent): for every event type, bodies
// written by encoding/json from events with every field set to random
// values (Vietnamese and HTML-sensitive text, pointers set or nil, times
// in several zones, bytes) decode to equal events; so do bodies written
// by hand that only a lenient reader accepts, and both refuse the same
// broken ones.
func TestBodyDecodersAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 28))
	for _, et := range domain.EventTypes() {
		empty, err := domain.DecodeEvent(et, []byte(`{}`))
		if err != nil {
			t.Fatalf("%s: %v", et, err)
		}
		typ := reflect.TypeOf(empty)
		for i := range 200 {
			v := reflect.New(typ).Elem()
			fill(r, v, 0)
			body, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatalf("%s: marshal: %v", et, err)
			}
			checkAgree(t, fmt.Sprintf("%s #%d", et, i), et, body, true)
		}
	}
	lenient := []struct{ eventType, body string }{
		{"resolved", `{"Summary":"tên viết hoa"}`},
		{"resolved", `{"SUMMARY":"x","summary":"y"}`},
		{"resolved", `{"summary":"một","summary":"hai"}`},
		{"resolved", "{\"summary\":\"h\xffl\xc3\"}"},
		{"resolved", `{"summary":null,"unknown":{"a":[1,2]}}`},
		{"reported", `{"location":{"commune":"sa-pa","lat":null},"reporter":null,"deadline":"2026-04-03T23:59:59+07:00"}`},
		{"reported", `{"reporter":{"key_id":"k","sealed":"AAEC/w=="}}`},
		{"comment_added", `{"text":"\u003cb\u003e \u2028 \ud83d\ude00"}`},
	}
	for i, tt := range lenient {
		checkAgree(t, fmt.Sprintf("lenient #%d", i), tt.eventType, []byte(tt.body), true)
	}
	broken := []struct{ eventType, body string }{
		{"resolved", `summary: done`},
		{"feedback_given", `{"rating":"five"}`},
		{"accepted", `{"deadline":"3 April"}`},
		{"resolved", `{"summary":"x"`},
		{"resolved", `{"summary":"x"} trailing`},
		{"case_deleted", `{}`},
	}
	for i, tt := range broken {
		checkAgree(t, fmt.Sprintf("broken #%d", i), tt.eventType, []byte(tt.body), false)
	}
}

func checkAgree(t *testing.T, name, eventType string, body []byte, ok bool) {
	t.Helper()
	want, wantErr := domain.DecodeEvent(eventType, body)
	got, gotErr := decodeBody(eventType, body)
	switch {
	case (wantErr == nil) != ok:
		t.Errorf("%s: encoding/json: err %v, want ok %v (body %s)", name, wantErr, ok, body)
	case (gotErr == nil) != (wantErr == nil):
		t.Errorf("%s: event store err %v, encoding/json err %v (body %s)", name, gotErr, wantErr, body)
	case !reflect.DeepEqual(got, want):
		t.Errorf("%s: event store decoded\n  %#v\nencoding/json\n  %#v\n(body %s)", name, got, want, body)
	}
}

var texts = []string{"", "Nước suối đổi màu", "<b>&amp;</b> \"quoted\" \\ /", "line\nbreak\ttab \u2028\u2029", "😀 ĐƯỜNG", "x"}

var zones = []*time.Location{time.UTC, domain.Vietnam, time.FixedZone("", -5*3600-30*60)}

// fill sets every field of v to a random value.
func fill(r *rand.Rand, v reflect.Value, depth int) {
	if v.Type() == reflect.TypeFor[time.Time]() {
		sec := r.Int64N(4e9) - 1e9
		v.Set(reflect.ValueOf(time.Unix(sec, r.Int64N(1e9)*int64(r.IntN(2))).In(zones[r.IntN(len(zones))])))
		return
	}
	if v.Type() == reflect.TypeFor[uuid.UUID]() {
		v.Set(reflect.ValueOf(uuid.New()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(texts[r.IntN(len(texts))])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(r.Int64N(2000) - 1000)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(r.Uint64N(200))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(r.NormFloat64() * 100)
	case reflect.Pointer:
		if r.IntN(3) > 0 && depth < 4 {
			p := reflect.New(v.Type().Elem())
			fill(r, p.Elem(), depth+1)
			v.Set(p)
		}
	case reflect.Slice:
		if n := r.IntN(4); n > 0 && depth < 4 {
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := range n {
				fill(r, s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Array:
		for i := range v.Len() {
			fill(r, v.Index(i), depth+1)
		}
	case reflect.Map:
		if depth < 4 {
			m := reflect.MakeMap(v.Type())
			for range r.IntN(3) {
				k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				fill(r, k, depth+1)
				fill(r, e, depth+1)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(r, v.Field(i), depth+1)
			}
		}
	default:
		panic(fmt.Sprintf("fill: no random %s", v.Type()))
	}
}
