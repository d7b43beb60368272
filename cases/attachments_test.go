package cases_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"testing"
	"time"

	"phananh/domain"
)

// pngOf is a small PNG whose pixels are shade: different shades, different
// files.
func pngOf(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestAFileSentAgainIsAnsweredFromTheCase covers the two edges of the
// rule that the same file is recorded once: a case at its limit of files
// is still sent one of them again (the answer is its record, not
// limit_reached), and a record whose object is gone (the code before
// this rule deleted the object when the append's answer failed, though
// the event was stored) is no match: the file is stored and recorded anew.
func TestAFileSentAgainIsAnsweredFromTheCase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := startApp(t)
	r, _, err := a.Service.Submit(ctx, domain.SubmitReport{Category: "pollution.water", Title: "Nước đục",
		Description: "Nước đục từ sáng.", Location: domain.Location{Commune: "lao-cai"}, Anonymous: true}, "test")
	if err != nil {
		t.Fatal(err)
	}
	citizen := domain.Actor{Role: domain.RoleCitizen}
	add := func(shade uint8) (domain.AttachmentAdded, bool, error) {
		f, err := a.Service.AddAttachment(ctx, citizen, r.ID, fmt.Sprintf("ảnh %d.png", shade), bytes.NewReader(pngOf(t, shade)), true, "test")
		return f.Attachment, f.Created, err
	}
	limit := a.Service.Rules().Policy.Limits.MaxAttachmentsPerCase
	var last domain.AttachmentAdded
	for i := range limit {
		att, created, err := add(uint8(i))
		if err != nil || !created {
			t.Fatalf("file %d of %d: created %v, %v", i+1, limit, created, err)
		}
		last = att
	}
	if _, _, err := add(uint8(limit)); domain.ErrorCode(err) != domain.ELimitReached {
		t.Errorf("a new file past the limit: %v, want limit_reached", err)
	}
	again, created, err := add(uint8(limit - 1))
	if err != nil || created || again.Object != last.Object {
		t.Errorf("the last file again at the limit: %+v, created %v, %v; want its record", again, created, err)
	}

	// On another case, a file whose object then goes, as the code before
	// deleted it.
	r2, _, err := a.Service.Submit(ctx, domain.SubmitReport{Category: "pollution.water", Title: "Nước đục",
		Description: "Nước đục từ chiều.", Location: domain.Location{Commune: "lao-cai"}, Anonymous: true}, "test")
	if err != nil {
		t.Fatal(err)
	}
	f, err := a.Service.AddAttachment(ctx, citizen, r2.ID, "ảnh 0.png", bytes.NewReader(pngOf(t, 0)), true, "test")
	if err != nil || !f.Created {
		t.Fatalf("a file on another case: %+v, %v", f, err)
	}
	if err := a.Store.DeleteAttachment(ctx, f.Attachment.Object); err != nil {
		t.Fatal(err)
	}
	f, err = a.Service.AddAttachment(ctx, citizen, r2.ID, "ảnh 0.png", bytes.NewReader(pngOf(t, 0)), true, "test")
	if err != nil || !f.Created {
		t.Fatalf("the file again after its object was lost: %+v, %v; want it recorded anew", f, err)
	}
	if ok, err := a.Store.HasAttachment(ctx, f.Attachment.Object); !ok || err != nil {
		t.Errorf("the new record's object: stored %v, %v", ok, err)
	}
}
