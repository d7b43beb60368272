package eventstore

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// pdfWithProperties is a small PDF whose author is in every place a word
// processor puts it: the information dictionary (a literal string with
// escapes and nested parentheses, a hexadecimal string, a value by
// reference), an XMP packet in an uncompressed metadata stream, and an
// incremental update that names a second information dictionary. The page
// says "Don to cao" in its content stream, which must stay.
func pdfWithProperties() []byte {
	hexName := fmt.Sprintf("%X", "Zqxname Hex")
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
		"<< /Length 35 >>\nstream\nBT /F1 12 Tf 20 100 Td (Don to cao) Tj ET\nendstream",
		"<< /Type /Metadata /Subtype /XML /Length 120 >>\nstream\n<?xpacket begin=\"\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><dc:creator>Zqxname Xmp</dc:creator></x:xmpmeta><?xpacket end=\"w\"?>\nendstream",
		"<< /Author (Zqxname \\(Nguy\\341n\\) (Ba) \\\\) /Title <" + hexName + "> /Creator 7 0 R /CreationDate (D:20261128) >>",
		"(Zqxname by reference)",
	}
	var b strings.Builder
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	// An incremental update: a new information dictionary, object 8.
	update := b.Len()
	fmt.Fprintf(&b, "8 0 obj\n<< /Author (Zqxname Update) /Producer (Writer) >>\nendobj\n")
	xref2 := b.Len()
	fmt.Fprintf(&b, "xref\n8 1\n%010d 00000 n \ntrailer\n<< /Size 9 /Root 1 0 R /Info 8 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", update, xref, xref2)
	return []byte(b.String())
}

// TestStripPDFBlanksWhoMadeIt: no trace of the author is left, every byte
// offset holds (same length, and the cross-reference table and page are
// untouched), and only bytes inside strings and the XMP packet changed.
func TestStripPDFBlanksWhoMadeIt(t *testing.T) {
	in := pdfWithProperties()
	out := stripPDF(in)
	if len(out) != len(in) {
		t.Fatalf("stripped length %d, want %d: the offsets would break", len(out), len(in))
	}
	for _, name := range []string{"Zqxname", fmt.Sprintf("%X", "Zqxname"), "Nguy", "Writer", "D:2026"} {
		if bytes.Contains(out, []byte(name)) {
			t.Errorf("the stripped PDF still holds %q", name)
		}
	}
	for _, kept := range []string{"(Don to cao) Tj", "xref\n0 8\n", "/Info 6 0 R", "/Info 8 0 R", "/Author (", "/Title <", "/Creator 7 0 R",
		"<?xpacket begin=", "<?xpacket end=", "startxref", "%%EOF"} {
		if !bytes.Contains(out, []byte(kept)) {
			t.Errorf("the stripped PDF lost %q", kept)
		}
	}
	// Each change is a byte inside a string or the XMP packet turned into
	// a space or a zero.
	for i := range in {
		if in[i] != out[i] && out[i] != ' ' && out[i] != '0' {
			t.Fatalf("byte %d changed from %q to %q", i, in[i], out[i])
		}
	}
	if again := stripPDF(out); !bytes.Equal(again, out) {
		t.Error("stripping twice changes the file again")
	}
	if stored, err := stripMetadata("application/pdf", in); err != nil || !bytes.Equal(stored, out) {
		t.Errorf("an uploaded PDF is not stripped: %v", err)
	}
}

// TestStripPDFKeepsWhatIsNotItsToChange: a signed PDF is kept whole (its
// signature covers the properties too); "6 0 obj" inside a page's text is
// no header, so the page's strings stay; a name that contains "stream"
// does not end the dictionary before its author is blanked.
func TestStripPDFKeepsWhatIsNotItsToChange(t *testing.T) {
	signed := []byte("%PDF-1.7\n1 0 obj\n<< /Author (Zqxname) >>\nendobj\n2 0 obj\n<< /Type /Sig /ByteRange [0 10 20 30] >>\nendobj\ntrailer << /Info 1 0 R >>\n")
	if out := stripPDF(signed); !bytes.Equal(out, signed) {
		t.Errorf("a signed PDF was changed: %q", out)
	}
	page := []byte("%PDF-1.4\n5 0 obj\n<< /Length 30 >>\nstream\nBT (see 6 0 obj) Tj (Hello page) Tj ET\nendstream\nendobj\n" +
		"6 0 obj\n<< /Upstream /Yes /Author (Zqxname) >>\nendobj\ntrailer << /Info 6 0 R >>\n")
	out := stripPDF(page)
	if !bytes.Contains(out, []byte("(Hello page)")) || !bytes.Contains(out, []byte("(see 6 0 obj)")) {
		t.Errorf("the page's text changed: %q", out)
	}
	if bytes.Contains(out, []byte("Zqxname")) {
		t.Errorf("the author after /Upstream is still there: %q", out)
	}
}

// TestStripPDFLeavesOtherPDFsAlone: a PDF without properties, and bytes
// that only look like one, come back unchanged.
func TestStripPDFLeavesOtherPDFsAlone(t *testing.T) {
	for _, in := range [][]byte{
		[]byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"),
		[]byte("%PDF-1.7\ntrailer << /Info 9 0 R >>\n"),                                       // names an object that is not there
		[]byte("%PDF-1.7\n3 0 obj\n<< /Author (unclosed \nendobj\ntrailer << /Info 3 0 R >>"), // an unbalanced string
	} {
		if out := stripPDF(in); len(out) != len(in) || (bytes.Contains(in, []byte("(unclosed")) != bytes.Contains(out, []byte("(unclosed"))) {
			t.Errorf("stripPDF(%q) = %q", in, out)
		}
	}
}

// FuzzStripPDF: whatever the bytes, stripping neither panics nor moves a
// byte: the length holds, and a changed byte only ever became a space or
// a zero (a string's or an XMP packet's content), so a PDF's offsets and
// structure survive.
func FuzzStripPDF(f *testing.F) {
	f.Add(pdfWithProperties())
	f.Add([]byte("%PDF-1.7\n3 0 obj\n<< /Author (a\\) (b) <4142> 4 0 R >>\nendobj\n4 0 obj\n(c)\nendobj\ntrailer << /Info 3 0 R >>"))
	f.Add([]byte("<x:xmpmeta>\n</x:xmpmeta> /Info 1 0 R 1 0 obj << ( >> endobj"))
	f.Fuzz(func(t *testing.T, in []byte) {
		out := stripPDF(in)
		if len(out) != len(in) {
			t.Fatalf("length %d became %d", len(in), len(out))
		}
		for i := range in {
			if in[i] != out[i] && out[i] != ' ' && out[i] != '0' {
				t.Fatalf("byte %d changed from %q to %q", i, in[i], out[i])
			}
		}
	})
}

// BenchmarkStripPDF strips a PDF of the test's shape and 10 MB files
// built to make it work hard: one object named as the information
// dictionary 800 000 times, an object defined 800 000 times, an
// information dictionary with 1.7 million references, an XMP packet that
// never closes, and 1 024 object headers with no endobj but the last
// (each body once ran to it: 94 s, found by a review). Stripping reads each 10 MB file a few times over;
// before the object index and the bounds it compiled a pattern and read
// the whole file for every /Info it met (over 280 s for the first).
func BenchmarkStripPDF(b *testing.B) {
	const size = 10 << 20
	repeat := func(head, unit, tail string) []byte {
		var buf bytes.Buffer
		buf.WriteString(head)
		for buf.Len() < size {
			buf.WriteString(unit)
		}
		buf.WriteString(tail)
		return buf.Bytes()
	}
	for _, c := range []struct {
		name string
		in   []byte
	}{
		{"properties", pdfWithProperties()},
		{"info-named-often", repeat("%PDF-1.4\n", "/Info 1 0 R ", "")},
		{"object-defined-often", repeat("%PDF-1.4\ntrailer << /Info 1 0 R >>\n", "1 0 obj (x) ", "endobj")},
		{"info-with-many-refs", repeat("%PDF-1.4\ntrailer << /Info 1 0 R >>\n1 0 obj <<", " 2 0 R", ">> endobj 2 0 obj (a) endobj")},
		{"xmp-never-closed", repeat("%PDF-1.4 ", " <x:xmpmeta ", "")},
		{"headers-without-ends", func() []byte {
			// 64 information dictionaries defined 16 times each, at the
			// top; filler; the references; one endobj at the very end.
			var head, refs strings.Builder
			head.WriteString("%PDF-1.4\n")
			for k := 1; k <= 64; k++ {
				for range 16 {
					fmt.Fprintf(&head, "%d 0 obj\n<< (a) ", k)
				}
				fmt.Fprintf(&refs, "/Info %d 0 R\n", k)
			}
			return repeat(head.String(), "(x) ", refs.String()+"endobj")
		}()},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.in)))
			for b.Loop() {
				stripPDF(c.in)
			}
		})
	}
}
