package eventstore_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png"
	"io"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
	"phananh/eventstore"
)

const gpsMarker = "GPS 10.776889N 106.700806E nha rieng"

// photoWithEXIF is a real JPEG with an APP1 EXIF segment holding gpsMarker,
// as a phone camera would write it.
func photoWithEXIF(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	img.Set(0, 0, color.White)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	payload := "Exif\x00\x00MM\x00*" + gpsMarker
	app1 := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(len(payload)+2))
	app1 = append(app1, payload...)
	out := append([]byte(nil), plain[:2]...)
	out = append(out, app1...)
	return append(out, plain[2:]...)
}

func TestPutAttachmentStripsEXIF(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	caseID := uuid.Must(uuid.NewV7())
	photo := photoWithEXIF(t)

	added, err := s.PutAttachment(ctx, caseID, `C:\DCIM\IMG_0001.JPG`, bytes.NewReader(photo), true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(added.Object, caseID.String()+"/") {
		t.Errorf("object = %q, want it under %s/", added.Object, caseID)
	}
	if added.Filename != "IMG_0001.JPG" || added.ContentType != "image/jpeg" || !added.Public {
		t.Errorf("added = %+v", added)
	}
	if added.Size >= int64(len(photo)) {
		t.Errorf("size = %d, want less than the upload's %d", added.Size, len(photo))
	}

	r, info, err := s.GetAttachment(ctx, added.Object)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stored, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, []byte(gpsMarker)) || bytes.Contains(stored, []byte("Exif\x00\x00")) {
		t.Error("stored photo still holds its EXIF data")
	}
	if _, format, err := image.Decode(bytes.NewReader(stored)); err != nil || format != "jpeg" {
		t.Errorf("stored photo does not decode: %q, %v", format, err)
	}
	sum := sha256.Sum256(stored)
	if got := hex.EncodeToString(sum[:]); got != added.SHA256 || info.SHA256 != added.SHA256 {
		t.Errorf("sha256: event %s, info %s, content %s", added.SHA256, info.SHA256, got)
	}
	if int64(len(stored)) != added.Size || info.Size != added.Size {
		t.Errorf("size: event %d, info %d, content %d", added.Size, info.Size, len(stored))
	}
	if info.Filename != added.Filename || info.ContentType != added.ContentType || info.Object != added.Object {
		t.Errorf("info = %+v, want it to match %+v", info, added)
	}
}

func TestPutAttachmentRefuses(t *testing.T) {
	const limit = 4 << 10
	tests := []struct {
		name      string
		filename  string
		content   []byte
		wantCode  domain.Code
		wantField string
	}{
		{"over the size limit", "big.jpg", append(photoWithEXIF(t), bytes.Repeat([]byte{0}, limit)...), domain.EFileTooLarge, "file"},
		{"a text file named .jpg", "x.jpg", []byte("đây là văn bản, không phải ảnh\n"), domain.EInvalidFileType, "file"},
		{"an HTML page named .png", "x.png", []byte("<!DOCTYPE html><script>alert(1)</script>"), domain.EInvalidFileType, "file"},
		{"a damaged JPEG", "x.jpg", photoWithEXIF(t)[:200], domain.EInvalidFileType, "file"},
		{"an empty file", "x.jpg", nil, domain.ERequired, "file"},
	}
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{Attachments: eventstore.AttachmentLimits{MaxFileBytes: limit}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.PutAttachment(ctx, uuid.Must(uuid.NewV7()), tt.filename, bytes.NewReader(tt.content), false)
			var derr *domain.Error
			if !errors.As(err, &derr) {
				t.Fatalf("err = %v, want a domain error", err)
			}
			if derr.Code != tt.wantCode || derr.Field != tt.wantField {
				t.Errorf("err = %v, want code %s on field %s", err, tt.wantCode, tt.wantField)
			}
		})
	}
	// Nothing was stored for any of them.
	obj, err := js.ObjectStore(ctx, eventstore.AttachmentsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if list, err := obj.List(ctx); !errors.Is(err, jetstream.ErrNoObjectsFound) {
		t.Errorf("bucket holds %d objects (err %v), want none", len(list), err)
	}
}

func TestPutAttachmentReadsNoMoreThanTheLimit(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{Attachments: eventstore.AttachmentLimits{MaxFileBytes: 1000}})
	r := &countingReader{}
	if _, err := s.PutAttachment(ctx, uuid.Must(uuid.NewV7()), "endless.jpg", r, false); domain.ErrorCode(err) != domain.EFileTooLarge {
		t.Fatalf("err = %v, want too_long", err)
	}
	if r.n > 1001 {
		t.Errorf("read %d bytes of an endless upload, want at most 1001", r.n)
	}
}

// countingReader is an endless upload that counts what was read from it.
type countingReader struct{ n int }

func (r *countingReader) Read(p []byte) (int, error) {
	r.n += len(p)
	return len(p), nil
}

func TestPutAttachmentStoresPDFAndPNG(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	caseID := uuid.Must(uuid.NewV7())
	pdf := []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n")
	added, err := s.PutAttachment(ctx, caseID, "biên bản hòa giải.pdf", bytes.NewReader(pdf), false)
	if err != nil {
		t.Fatal(err)
	}
	if added.ContentType != "application/pdf" || added.Size != int64(len(pdf)) || added.Filename != "biên bản hòa giải.pdf" {
		t.Errorf("added = %+v", added)
	}
	if _, _, err := s.GetAttachment(ctx, caseID.String()+"/"+uuid.NewString()); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown attachment: err = %v, want not_found", err)
	}
}

func TestDeleteAttachment(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	added, err := s.PutAttachment(ctx, uuid.Must(uuid.NewV7()), "a.jpg", bytes.NewReader(photoWithEXIF(t)), false)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := s.DeleteAttachment(ctx, added.Object); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.GetAttachment(ctx, added.Object); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("deleted attachment: err = %v, want not_found", err)
	}
}
