package eventstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/text/unicode/norm"

	"phananh/domain"
)

// AttachmentsBucket is the Object Store bucket that holds photos and
// documents. The log holds only their names, sizes, types and digests.
const AttachmentsBucket = "ATTACHMENTS"

// DefaultMaxFileBytes is the largest attachment accepted unless configured:
// a phone photo fits, a video does not.
const DefaultMaxFileBytes = 10 << 20

// maxFilenameRunes bounds a stored filename; longer names are cut, keeping
// the extension.
const maxFilenameRunes = 200

// Object metadata keys.
const (
	metaFilename    = "filename"
	metaContentType = "content-type"
	metaSHA256      = "sha256"
	metaCase        = "case"
)

// AttachmentLimits bounds what PutAttachment accepts.
type AttachmentLimits struct {
	// MaxFileBytes is the largest file accepted, after reading and before
	// stripping metadata; 0 means DefaultMaxFileBytes.
	MaxFileBytes int64
}

// AttachmentInfo describes a stored attachment. Whether it is public is not
// stored with the object: the case's attachment_added event decides that.
type AttachmentInfo struct {
	Object      string
	Filename    string
	ContentType string
	Size        int64
	SHA256      string // hex
	ModTime     time.Time
}

func (s *Store) openAttachments(ctx context.Context, cfg Config) error {
	obj, err := s.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      AttachmentsBucket,
		Description: "phananh attachments (photos, minutes)",
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("eventstore: open bucket %s: %w", AttachmentsBucket, err)
	}
	s.attachments = obj
	return nil
}

// PutAttachment checks and stores a file for a case and returns the
// attachment_added event that records it; the caller appends that event.
//
// The size is checked while reading (never more than MaxFileBytes+1 bytes are
// read), and the type is judged by content, never by the name: JPEG, PNG,
// WebP and PDF are accepted. Metadata that can identify or locate the
// reporter (EXIF, XMP, IPTC, comments, text chunks) is stripped from images
// before anything is stored; from PDF documents, the information
// dictionary's strings and the XMP packets are blanked (stripPDF).
//
// It returns a domain error on field "file": EFileTooLarge for a file over the
// limit, ERequired for an empty one, EInvalidFileType for any other type or
// a damaged image. Other errors are faults of the store.
func (s *Store) PutAttachment(ctx context.Context, caseID uuid.UUID, filename string, r io.Reader, public bool) (domain.AttachmentAdded, error) {
	limit := s.limits.MaxFileBytes
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return domain.AttachmentAdded{}, fmt.Errorf("eventstore: put attachment %s: read: %w", caseID, err)
	}
	if int64(len(data)) > limit {
		return domain.AttachmentAdded{}, domain.FieldErrorf(domain.EFileTooLarge, "file", "the file is larger than %d bytes", limit)
	}
	if len(data) == 0 {
		return domain.AttachmentAdded{}, domain.FieldErrorf(domain.ERequired, "file", "the file is empty")
	}
	contentType := sniffContentType(data)
	if contentType == "" {
		return domain.AttachmentAdded{}, domain.FieldErrorf(domain.EInvalidFileType, "file",
			"only JPEG, PNG and WebP images and PDF documents are accepted")
	}
	clean, err := stripMetadata(contentType, data)
	if err != nil {
		return domain.AttachmentAdded{}, domain.FieldErrorf(domain.EInvalidFileType, "file", "the %s file is damaged: %v", contentType, err)
	}

	id, err := uuid.NewV7()
	if err != nil {
		return domain.AttachmentAdded{}, fmt.Errorf("eventstore: put attachment %s: %w", caseID, err)
	}
	sum := sha256.Sum256(clean)
	digest := hex.EncodeToString(sum[:])
	name := caseID.String() + "/" + id.String()
	displayName := SanitizeFilename(filename)
	_, err = s.attachments.Put(ctx, jetstream.ObjectMeta{
		Name:    name,
		Headers: nats.Header{"Content-Type": []string{contentType}},
		Metadata: map[string]string{
			metaFilename:    displayName,
			metaContentType: contentType,
			metaSHA256:      digest,
			metaCase:        caseID.String(),
		},
	}, bytes.NewReader(clean))
	if err != nil {
		return domain.AttachmentAdded{}, fmt.Errorf("eventstore: put attachment %s: %w", caseID, err)
	}
	return domain.AttachmentAdded{
		Object:      name,
		Filename:    displayName,
		ContentType: contentType,
		Size:        int64(len(clean)),
		SHA256:      digest,
		Public:      public,
	}, nil
}

// GetAttachment opens a stored attachment. The reader verifies the object
// store's digest as it reaches the end; the caller closes it. An unknown
// name is an error with code domain.ENOTFOUND.
func (s *Store) GetAttachment(ctx context.Context, name string) (io.ReadCloser, AttachmentInfo, error) {
	res, err := s.attachments.Get(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, AttachmentInfo{}, fmt.Errorf("eventstore: get attachment: %w", domain.Errorf(domain.ENOTFOUND, "attachment %s not found", name))
	}
	if err != nil {
		return nil, AttachmentInfo{}, fmt.Errorf("eventstore: get attachment %s: %w", name, err)
	}
	info, err := res.Info()
	if err != nil {
		res.Close()
		return nil, AttachmentInfo{}, fmt.Errorf("eventstore: get attachment %s: %w", name, err)
	}
	return res, AttachmentInfo{
		Object:      info.Name,
		Filename:    info.Metadata[metaFilename],
		ContentType: info.Metadata[metaContentType],
		Size:        int64(info.Size),
		SHA256:      info.Metadata[metaSHA256],
		ModTime:     info.ModTime,
	}, nil
}

// ReadAttachment opens a stored attachment for reading; the event that
// names it says what it is. The caller closes the reader.
func (s *Store) ReadAttachment(ctx context.Context, name string) (io.ReadCloser, error) {
	r, _, err := s.GetAttachment(ctx, name)
	return r, err
}

// HasAttachment says whether an object is stored, from its metadata alone
// (no consumer, no chunks read).
func (s *Store) HasAttachment(ctx context.Context, name string) (bool, error) {
	_, err := s.attachments.GetInfo(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("eventstore: attachment %s: %w", name, err)
	}
	return true, nil
}

// DeleteAttachment removes an object that no event refers to, such as one
// stored for an attachment_added event that then failed to append. It is
// idempotent: an object that is already gone is not an error. Objects that
// events name must stay, since the log is immutable.
func (s *Store) DeleteAttachment(ctx context.Context, name string) error {
	err := s.attachments.Delete(ctx, name)
	if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("eventstore: delete attachment %s: %w", name, err)
	}
	return nil
}

// sniffContentType returns the accepted type of data judged by its content,
// or "" if it is not one of them. http.DetectContentType follows the WHATWG
// sniffing rules; the magic checks repeat the exact signature so that a
// change in those rules cannot widen what is accepted.
func sniffContentType(data []byte) string {
	switch ct := http.DetectContentType(data); ct {
	case "image/jpeg":
		if bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}) {
			return ct
		}
	case "image/png":
		if bytes.HasPrefix(data, []byte(pngSignature)) {
			return ct
		}
	case "image/webp":
		if len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP" {
			return ct
		}
	case "application/pdf":
		if bytes.HasPrefix(data, []byte("%PDF-")) {
			return ct
		}
	}
	return ""
}

// stripMetadata returns data without the metadata of its image type, and
// fails if the image's structure is broken.
func stripMetadata(contentType string, data []byte) ([]byte, error) {
	switch contentType {
	case "image/jpeg":
		return stripJPEG(data)
	case "image/png":
		return stripPNG(data)
	case "image/webp":
		return stripWebP(data)
	case "application/pdf":
		return stripPDF(data), nil
	}
	return data, nil
}

var errTruncated = errors.New("truncated")

// stripJPEG drops APP1..APP15 segments (EXIF, XMP, ICC, IPTC: EXIF GPS can
// point at the reporter's home, and a maker note can name the phone) and COM
// segments, and anything after the end-of-image marker (where some phones
// append a second, unstripped image). It keeps APP0 (JFIF), the tables, the
// frame, the scans and their entropy-coded data byte for byte.
//
// Two facts survive because the picture is wrong without them and neither
// says anything about a person: the EXIF orientation (phones store most
// photos sideways and rely on it; it is rewritten as a minimal EXIF segment
// holding that one tag), and an Adobe APP14 segment of the standard length,
// whose colour transform decoders need to show CMYK and YCCK images.
func stripJPEG(b []byte) ([]byte, error) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil, errors.New("jpeg: no start-of-image marker")
	}
	out := make([]byte, 0, len(b))
	out = append(out, 0xFF, 0xD8)
	i := 2
	wroteOrientation := false
	for {
		if i >= len(b) {
			return nil, fmt.Errorf("jpeg: %w", errTruncated)
		}
		if b[i] != 0xFF {
			return nil, fmt.Errorf("jpeg: expected a marker at offset %d", i)
		}
		for i < len(b) && b[i] == 0xFF { // fill bytes
			i++
		}
		if i >= len(b) {
			return nil, fmt.Errorf("jpeg: %w", errTruncated)
		}
		marker := b[i]
		i++
		switch {
		case marker == 0xD9: // EOI
			return append(out, 0xFF, 0xD9), nil
		case marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7): // TEM, RSTn: no length
			out = append(out, 0xFF, marker)
			continue
		case marker == 0x00 || marker == 0xD8:
			return nil, fmt.Errorf("jpeg: unexpected marker 0x%02X at offset %d", marker, i-1)
		}
		if i+2 > len(b) {
			return nil, fmt.Errorf("jpeg: %w", errTruncated)
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return nil, fmt.Errorf("jpeg: segment 0x%02X at offset %d: bad length %d", marker, i-2, n)
		}
		segment := b[i : i+n] // length bytes and payload
		i += n
		drop := (marker >= 0xE1 && marker <= 0xEF) || marker == 0xFE
		if marker == 0xEE && n == 14 && bytes.HasPrefix(segment[2:], []byte("Adobe")) {
			drop = false
		}
		if marker == 0xE1 && !wroteOrientation {
			if o := exifOrientation(segment[2:]); o > 1 {
				out = append(out, orientationSegment(o)...)
				wroteOrientation = true
			}
		}
		if !drop {
			out = append(out, 0xFF, marker)
			out = append(out, segment...)
		}
		if marker != 0xDA { // not SOS
			continue
		}
		// Entropy-coded data runs to the next marker that is neither a
		// stuffed 0xFF00 nor a restart marker.
		j := i
		for {
			if j+1 >= len(b) {
				return nil, fmt.Errorf("jpeg: scan data: %w", errTruncated)
			}
			if b[j] == 0xFF {
				c := b[j+1]
				if c == 0x00 || (c >= 0xD0 && c <= 0xD7) {
					j += 2
					continue
				}
				if c != 0xFF {
					break
				}
			}
			j++
		}
		out = append(out, b[i:j]...)
		i = j
	}
}

// exifOrientation returns the Orientation tag (1 to 8) of IFD0 in an APP1
// payload ("Exif\x00\x00" and a TIFF structure), or 0 if there is none or
// the structure is not what a camera writes. Every offset is bounds-checked:
// the payload comes from an untrusted upload.
func exifOrientation(payload []byte) uint16 {
	tiff, ok := bytes.CutPrefix(payload, []byte("Exif\x00\x00"))
	if !ok || len(tiff) < 8 {
		return 0
	}
	var order binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 0
	}
	if order.Uint16(tiff[2:]) != 42 {
		return 0
	}
	ifd := uint64(order.Uint32(tiff[4:]))
	if ifd+2 > uint64(len(tiff)) {
		return 0
	}
	entries := uint64(order.Uint16(tiff[ifd:]))
	for k := uint64(0); k < entries; k++ {
		e := ifd + 2 + 12*k
		if e+12 > uint64(len(tiff)) {
			return 0
		}
		if order.Uint16(tiff[e:]) != 0x0112 {
			continue
		}
		// SHORT, count 1, value left-justified in the value field.
		if order.Uint16(tiff[e+2:]) != 3 || order.Uint32(tiff[e+4:]) != 1 {
			return 0
		}
		if v := order.Uint16(tiff[e+8:]); v >= 1 && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}

// orientationSegment is a complete APP1 segment whose EXIF holds only the
// Orientation tag.
func orientationSegment(orientation uint16) []byte {
	payload := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08")   // big-endian TIFF, IFD0 at 8
	payload = binary.BigEndian.AppendUint16(payload, 1)           // one entry
	payload = binary.BigEndian.AppendUint16(payload, 0x0112)      // Orientation
	payload = binary.BigEndian.AppendUint16(payload, 3)           // SHORT
	payload = binary.BigEndian.AppendUint32(payload, 1)           // count
	payload = binary.BigEndian.AppendUint16(payload, orientation) // value,
	payload = append(payload, 0, 0)                               // left-justified
	payload = binary.BigEndian.AppendUint32(payload, 0)           // no next IFD
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	return append(seg, payload...)
}

const pngSignature = "\x89PNG\r\n\x1a\n"

// pngDropped are the PNG chunks that carry text, EXIF or a timestamp.
var pngDropped = map[string]bool{"tEXt": true, "iTXt": true, "zTXt": true, "eXIf": true, "tIME": true}

// stripPNG drops text, EXIF and time chunks and anything after IEND, and
// keeps every other chunk byte for byte (their CRCs stay valid).
func stripPNG(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, []byte(pngSignature)) {
		return nil, errors.New("png: no signature")
	}
	out := make([]byte, 0, len(b))
	out = append(out, pngSignature...)
	i := len(pngSignature)
	for first := true; ; first = false {
		if i+8 > len(b) {
			return nil, fmt.Errorf("png: %w", errTruncated)
		}
		n := binary.BigEndian.Uint32(b[i:])
		kind := string(b[i+4 : i+8])
		if n > uint32(len(b)) || i+12+int(n) > len(b) {
			return nil, fmt.Errorf("png: chunk %q: %w", kind, errTruncated)
		}
		if first && kind != "IHDR" {
			return nil, errors.New("png: first chunk is not IHDR")
		}
		end := i + 12 + int(n)
		if !pngDropped[kind] {
			out = append(out, b[i:end]...)
		}
		i = end
		if kind == "IEND" {
			return out, nil
		}
	}
}

// WebP VP8X flags that announce metadata chunks.
const (
	webpFlagEXIF = 0x08
	webpFlagXMP  = 0x04
)

// stripWebP drops EXIF and XMP chunks, clears their flags in the VP8X
// header, fixes the RIFF size and drops anything after the RIFF container.
func stripWebP(b []byte) ([]byte, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return nil, errors.New("webp: no RIFF/WEBP header")
	}
	size := binary.LittleEndian.Uint32(b[4:8])
	if size < 4 || uint64(size)+8 > uint64(len(b)) {
		return nil, fmt.Errorf("webp: %w", errTruncated)
	}
	body := b[12 : 8+int(size)]
	chunks := make([]byte, 0, len(body))
	for i, first := 0, true; i < len(body); first = false {
		if i+8 > len(body) {
			return nil, fmt.Errorf("webp: %w", errTruncated)
		}
		kind := string(body[i : i+4])
		n := int(binary.LittleEndian.Uint32(body[i+4:]))
		padded := n + n&1
		if n < 0 || i+8+padded > len(body) {
			return nil, fmt.Errorf("webp: chunk %q: %w", kind, errTruncated)
		}
		if first && kind != "VP8 " && kind != "VP8L" && kind != "VP8X" {
			return nil, fmt.Errorf("webp: unexpected first chunk %q", kind)
		}
		chunk := body[i : i+8+padded]
		i += 8 + padded
		switch kind {
		case "EXIF", "XMP ":
			continue
		case "VP8X":
			if n < 1 {
				return nil, errors.New("webp: empty VP8X chunk")
			}
			start := len(chunks)
			chunks = append(chunks, chunk...)
			chunks[start+8] &^= webpFlagEXIF | webpFlagXMP
			continue
		}
		chunks = append(chunks, chunk...)
	}
	out := make([]byte, 0, 12+len(chunks))
	out = append(out, "RIFF"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(4+len(chunks)))
	out = append(out, "WEBP"...)
	return append(out, chunks...), nil
}

// SanitizeFilename makes a client's filename safe to store and show: the
// base name only (a Windows path too), valid UTF-8, composed (NFC, as a
// macOS name arrives decomposed, so that a cut keeps each letter whole),
// no control or bidirectional-override characters (which can disguise an
// extension), at most 200 runes with the extension kept, and never empty.
func SanitizeFilename(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, name)
	// Composed after the removals, which may join a letter and its marks.
	name = strings.TrimSpace(norm.NFC.String(name))
	if name == "" || name == "." || name == ".." || name == "/" {
		return "attachment"
	}
	if utf8.RuneCountInString(name) <= maxFilenameRunes {
		return name
	}
	ext := path.Ext(name)
	if utf8.RuneCountInString(ext) > 16 {
		ext = ""
	}
	runes := []rune(strings.TrimSuffix(name, ext))
	return string(runes[:maxFilenameRunes-utf8.RuneCountInString(ext)]) + ext
}
