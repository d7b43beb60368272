package domain_test

import (
	"strings"
	"testing"

	"phananh/domain"
)

func TestGeographyUnitContacts(t *testing.T) {
	const head = `{"province":"P","communes":[{"code":"c","name":"Xã C"}],"units":[{"code":"u","name":"UBND","type":"commune_committee","commune":"c"`
	tests := []struct {
		name    string
		extra   string
		wantErr string
	}{
		{"no contact", ``, ""},
		{"email and https webhook", `,"email":"vanthu@c.gov.vn","webhook_url":"https://c.gov.vn/hook"`, ""},
		{"an intranet http webhook", `,"webhook_url":"http://10.0.0.5/hook"`, ""},
		{"a bad email", `,"email":"vanthu at c.gov.vn"`, "not an email address"},
		{"an email with a display name", `,"email":"Văn thư <vanthu@c.gov.vn>"`, "not an email address"},
		{"a relative webhook", `,"webhook_url":"/hook"`, "absolute URL"},
		{"an ftp webhook", `,"webhook_url":"ftp://c.gov.vn/hook"`, "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := domain.LoadGeography(strings.NewReader(head + tt.extra + `}]}`))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if u, _ := g.Unit("u"); !strings.Contains(head+tt.extra, u.Email) || !strings.Contains(head+tt.extra, u.WebhookURL) {
					t.Errorf("unit %+v lost its contact", u)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}
