package eventstore

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

// secret stands for what metadata can give away: where the photo was taken.
const secret = "GPS 10.776889N 106.700806E nha rieng"

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for y := range 16 {
		for x := range 24 {
			img.Set(x, y, color.RGBA{uint8(x * 10), uint8(y * 15), 128, 255})
		}
	}
	return img
}

func encodeJPEG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodePNG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// jpegSegment builds a marker segment with its length.
func jpegSegment(marker byte, payload string) []byte {
	seg := []byte{0xFF, marker}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	return append(seg, payload...)
}

// insertAt returns b with the parts inserted at offset i.
func insertAt(b []byte, i int, parts ...[]byte) []byte {
	out := append([]byte(nil), b[:i]...)
	for _, p := range parts {
		out = append(out, p...)
	}
	return append(out, b[i:]...)
}

func pngChunk(kind, data string) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, kind...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE([]byte(kind+data)))
}

func TestStripJPEG(t *testing.T) {
	plain := encodeJPEG(t)
	exif := jpegSegment(0xE1, "Exif\x00\x00MM\x00*"+secret)
	xmp := jpegSegment(0xE1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>"+secret+"</x:xmpmeta>")
	iptc := jpegSegment(0xED, "Photoshop 3.0\x00"+secret)
	icc := jpegSegment(0xE2, "ICC_PROFILE\x00"+secret)
	comment := jpegSegment(0xFE, secret)
	adobe := jpegSegment(0xEE, "Adobe\x00\x64\x00\x00\x00\x00\x01")
	jfif := jpegSegment(0xE0, "JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")

	tests := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"no metadata", plain, plain},
		{"EXIF after SOI", insertAt(plain, 2, exif), plain},
		{"EXIF, XMP, IPTC, ICC and a comment", insertAt(plain, 2, exif, xmp, iptc, icc, comment), plain},
		{"JFIF kept, EXIF dropped", insertAt(plain, 2, jfif, exif), insertAt(plain, 2, jfif)},
		{"Adobe colour transform kept", insertAt(plain, 2, adobe, comment), insertAt(plain, 2, adobe)},
		{"bytes after EOI dropped", append(insertAt(plain, 2, exif), []byte("\xFF\xD8\xFF\xE1trailing "+secret)...), plain},
		{"fill bytes before a marker", insertAt(plain, 2, []byte{0xFF, 0xFF}, exif), plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stripJPEG(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(got, []byte(secret)) {
				t.Error("metadata survived stripping")
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("stripped %d bytes, want %d: image data not preserved", len(got), len(tt.want))
			}
			if _, format, err := image.Decode(bytes.NewReader(got)); err != nil || format != "jpeg" {
				t.Errorf("stripped image does not decode: %q, %v", format, err)
			}
		})
	}
}

func TestStripJPEGRefusesDamage(t *testing.T) {
	plain := encodeJPEG(t)
	tests := map[string][]byte{
		"only SOI":           plain[:2],
		"cut in a segment":   plain[:30],
		"cut in scan data":   plain[:len(plain)-10],
		"bad segment length": insertAt(plain, 2, []byte{0xFF, 0xE1, 0xFF, 0xFF}),
		"not a marker":       insertAt(plain, 2, []byte{0x00, 0x01}),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := stripJPEG(in); err == nil {
				t.Error("damaged JPEG accepted")
			}
		})
	}
}

func TestStripPNG(t *testing.T) {
	plain := encodePNG(t)
	const afterIHDR = 8 + 8 + 13 + 4
	text := pngChunk("tEXt", "Comment\x00"+secret)
	itxt := pngChunk("iTXt", "XML:com.adobe.xmp\x00\x00\x00\x00\x00"+secret)
	ztxt := pngChunk("zTXt", "Author\x00\x00"+secret)
	exif := pngChunk("eXIf", "MM\x00*"+secret)
	tm := pngChunk("tIME", "\x07\xe9\x07\x01\x08\x1e\x0f")
	gamma := pngChunk("gAMA", "\x00\x00\xb1\x8f")

	tests := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"no metadata", plain, plain},
		{"tEXt after IHDR", insertAt(plain, afterIHDR, text), plain},
		{"every metadata chunk", insertAt(plain, afterIHDR, text, itxt, ztxt, exif, tm), plain},
		{"gAMA kept", insertAt(plain, afterIHDR, gamma, text), insertAt(plain, afterIHDR, gamma)},
		{"bytes after IEND dropped", append(insertAt(plain, afterIHDR, text), secret...), plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stripPNG(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(got, []byte(secret)) || bytes.Contains(got, []byte("tIME")) {
				t.Error("metadata survived stripping")
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("stripped %d bytes, want %d: image data not preserved", len(got), len(tt.want))
			}
			if _, format, err := image.Decode(bytes.NewReader(got)); err != nil || format != "png" {
				t.Errorf("stripped image does not decode: %q, %v", format, err)
			}
		})
	}
	for name, in := range map[string][]byte{
		"cut":            plain[:len(plain)-5],
		"no IHDR first":  insertAt(plain, 8, text),
		"signature only": plain[:8],
	} {
		t.Run("damaged/"+name, func(t *testing.T) {
			if _, err := stripPNG(in); err == nil {
				t.Error("damaged PNG accepted")
			}
		})
	}
}

// webpChunk builds a RIFF chunk with its padding byte.
func webpChunk(kind string, data []byte) []byte {
	c := append([]byte(kind), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

func riff(chunks ...[]byte) []byte {
	body := []byte("WEBP")
	for _, c := range chunks {
		body = append(body, c...)
	}
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	return append(out, body...)
}

// The standard library has no WebP decoder (and golang.org/x/image is not a
// dependency), so these tests check the container, not the pixels: the
// image chunk is an opaque payload that must come through byte for byte.
func TestStripWebP(t *testing.T) {
	const alpha = 0x10
	vp8x := func(flags byte) []byte {
		// flags, 3 reserved bytes, canvas width-1 and height-1 (24 bits each).
		return webpChunk("VP8X", []byte{flags, 0, 0, 0, 23, 0, 0, 15, 0, 0})
	}
	image := webpChunk("VP8L", []byte("\x2f\x17\xc0\x03odd-length-bitstream"))
	exif := webpChunk("EXIF", []byte("MM\x00*"+secret))
	xmp := webpChunk("XMP ", []byte("<x:xmpmeta>"+secret+"</x:xmpmeta>"))
	icc := webpChunk("ICCP", []byte("icc-profile"))

	tests := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"simple lossless", riff(image), riff(image)},
		{"EXIF and XMP", riff(vp8x(alpha|webpFlagEXIF|webpFlagXMP), image, exif, xmp), riff(vp8x(alpha), image)},
		{"ICC kept", riff(vp8x(0x20|webpFlagEXIF), icc, image, exif), riff(vp8x(0x20), icc, image)},
		{"bytes after RIFF dropped", append(riff(vp8x(webpFlagEXIF), image, exif), secret...), riff(vp8x(0), image)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stripWebP(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(got, []byte(secret)) {
				t.Error("metadata survived stripping")
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("stripped = %q, want %q", got, tt.want)
			}
			if size := binary.LittleEndian.Uint32(got[4:8]); int(size) != len(got)-8 {
				t.Errorf("RIFF size = %d, want %d", size, len(got)-8)
			}
			if got, want := sniffContentType(got), "image/webp"; got != want {
				t.Errorf("stripped file sniffs as %q, want %q", got, want)
			}
		})
	}
	for name, in := range map[string][]byte{
		"RIFF size too large": append(riff(image)[:4], append([]byte{0xff, 0xff, 0, 0}, riff(image)[8:]...)...),
		"chunk too long":      riff([]byte("VP8L\xff\x00\x00\x00abc")),
		"metadata first":      riff(exif, image),
	} {
		t.Run("damaged/"+name, func(t *testing.T) {
			if _, err := stripWebP(in); err == nil {
				t.Error("damaged WebP accepted")
			}
		})
	}
}

func TestSniffContentType(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"jpeg", encodeJPEG(t), "image/jpeg"},
		{"png", encodePNG(t), "image/png"},
		{"webp", riff(webpChunk("VP8 ", []byte("frame"))), "image/webp"},
		{"pdf", []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"), "application/pdf"},
		{"text", []byte("xin chào, đây không phải là ảnh"), ""},
		{"html", []byte("<html><script>alert(1)</script></html>"), ""},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), ""},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`), ""},
		{"zip", []byte("PK\x03\x04rest"), ""},
		{"riff wave", []byte("RIFF\x04\x00\x00\x00WAVEfmt "), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sniffContentType(tt.in); got != tt.want {
				t.Errorf("sniffContentType = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSanitizeFilename(t *testing.T) {
	long := strings.Repeat("ả", 300)
	tests := []struct {
		in, want string
	}{
		{"ảnh hiện trường.jpg", "ảnh hiện trường.jpg"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\An\Pictures\kenh.png`, "kenh.png"},
		{"invoice\u202egpj.exe", "invoicegpj.exe"},
		{"bad\xffutf8\x00\n.pdf", "bad\uFFFDutf8.pdf"},
		{"", "attachment"},
		{"..", "attachment"},
		{"dir/", "dir"},
		{"   ", "attachment"},
		{long + ".jpeg", strings.Repeat("ả", 195) + ".jpeg"},
		{long, strings.Repeat("ả", 200)},
		// decomposed (a macOS name): composed first, so the cut keeps "ệ" whole
		{strings.Repeat("e\u0323\u0302", 300) + ".jpg", strings.Repeat("ệ", 196) + ".jpg"},
		{"e\u202e\u0302.jpg", "ê.jpg"}, // composed once the override is gone
	}
	for _, tt := range tests {
		if got := SanitizeFilename(tt.in); got != tt.want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// exifPayload is an APP1 payload as a camera writes it: IFD0 with an image
// description (standing for GPS and maker data) and an Orientation tag.
func exifPayload(order binary.AppendByteOrder, orientation uint16) string {
	tiff := []byte("II")
	if order == binary.BigEndian {
		tiff = []byte("MM")
	}
	tiff = order.AppendUint16(tiff, 42)
	tiff = order.AppendUint32(tiff, 8)
	tiff = order.AppendUint16(tiff, 2)
	tiff = order.AppendUint16(tiff, 0x010E) // ImageDescription, ASCII
	tiff = order.AppendUint16(tiff, 2)
	tiff = order.AppendUint32(tiff, uint32(len(secret)+1))
	tiff = order.AppendUint32(tiff, 8+2+2*12+4)
	tiff = order.AppendUint16(tiff, 0x0112) // Orientation, SHORT
	tiff = order.AppendUint16(tiff, 3)
	tiff = order.AppendUint32(tiff, 1)
	tiff = order.AppendUint16(tiff, orientation)
	tiff = append(tiff, 0, 0)
	tiff = order.AppendUint32(tiff, 0)
	tiff = append(tiff, secret+"\x00"...)
	return "Exif\x00\x00" + string(tiff)
}

func TestStripJPEGKeepsOrientation(t *testing.T) {
	plain := encodeJPEG(t)
	tests := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"rotated, little-endian", insertAt(plain, 2, jpegSegment(0xE1, exifPayload(binary.LittleEndian, 6))), insertAt(plain, 2, orientationSegment(6))},
		{"mirrored, big-endian", insertAt(plain, 2, jpegSegment(0xE1, exifPayload(binary.BigEndian, 2))), insertAt(plain, 2, orientationSegment(2))},
		{"upright needs no EXIF", insertAt(plain, 2, jpegSegment(0xE1, exifPayload(binary.LittleEndian, 1))), plain},
		{"invalid orientation dropped", insertAt(plain, 2, jpegSegment(0xE1, exifPayload(binary.LittleEndian, 9))), plain},
		{"IFD offset out of range", insertAt(plain, 2, jpegSegment(0xE1, "Exif\x00\x00II\x2a\x00\xff\xff\xff\xff"+secret)), plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stripJPEG(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(got, []byte(secret)) {
				t.Error("metadata survived stripping")
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("stripped %d bytes, want %d", len(got), len(tt.want))
			}
			if _, _, err := image.Decode(bytes.NewReader(got)); err != nil {
				t.Errorf("stripped image does not decode: %v", err)
			}
		})
	}
	// The rewritten segment reads back as the same orientation.
	for o := uint16(2); o <= 8; o++ {
		if got := exifOrientation(orientationSegment(o)[4:]); got != o {
			t.Errorf("orientation %d reads back as %d", o, got)
		}
	}
}

// The strippers parse untrusted uploads: whatever the input, they must
// return an error or a result, never panic. `go test` runs the seeds; run
// `go test -fuzz FuzzStrip...` to search further.
func FuzzStripJPEG(f *testing.F) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(), nil); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(insertAt(buf.Bytes(), 2, jpegSegment(0xE1, exifPayload(binary.LittleEndian, 6))))
	f.Fuzz(func(t *testing.T, b []byte) {
		if out, err := stripJPEG(b); err == nil && len(out) > len(b)+64 {
			t.Errorf("output grew from %d to %d bytes", len(b), len(out))
		}
	})
}

func FuzzStripPNG(f *testing.F) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		if out, err := stripPNG(b); err == nil && len(out) > len(b) {
			t.Errorf("output grew from %d to %d bytes", len(b), len(out))
		}
	})
}

func FuzzStripWebP(f *testing.F) {
	f.Add(riff(webpChunk("VP8X", make([]byte, 10)), webpChunk("VP8L", []byte("abc")), webpChunk("EXIF", []byte(secret))))
	f.Fuzz(func(t *testing.T, b []byte) {
		if out, err := stripWebP(b); err == nil && len(out) > len(b) {
			t.Errorf("output grew from %d to %d bytes", len(b), len(out))
		}
	})
}
