package eventstore

import (
	"bytes"
	"regexp"
	"strconv"
)

// stripPDF blanks what a PDF says about who made it, in place and at the
// same length: the strings of every document information dictionary that
// a trailer names (/Info: Author, Title, Subject, Keywords, Creator,
// Producer and any other), with the strings of the objects they refer to,
// and every XMP metadata packet (<x:xmpmeta …>…</x:xmpmeta>). A citizen's
// word processor writes their name there, and a denouncer's name must
// reach only those who may see it.
//
// Equal length keeps every byte offset, so the cross-reference tables and
// the streams' lengths stay right and the document reads as before; only
// bytes inside strings and inside XMP packets change. It is best effort:
// an information dictionary kept in a compressed object stream (PDF 1.5)
// is not read, and what the pages say is the document itself.
func stripPDF(b []byte) []byte {
	out := bytes.Clone(b)
	for _, m := range infoRef.FindAllSubmatch(out, -1) {
		for _, body := range objectBodies(out, m[1], m[2]) {
			blankStrings(out, body)
			// A value may be an indirect reference to a string object.
			for _, ref := range objRef.FindAllSubmatch(out[body[0]:body[1]], -1) {
				for _, inner := range objectBodies(out, ref[1], ref[2]) {
					blankStrings(out, inner)
				}
			}
		}
	}
	for _, loc := range xmpPacket.FindAllIndex(out, -1) {
		for i := loc[0]; i < loc[1]; i++ {
			if out[i] != '\n' && out[i] != '\r' {
				out[i] = ' '
			}
		}
	}
	return out
}

var (
	infoRef   = regexp.MustCompile(`/Info\s+(\d{1,10})\s+(\d{1,5})\s+R`)
	objRef    = regexp.MustCompile(`(\d{1,10})\s+(\d{1,5})\s+R`)
	xmpPacket = regexp.MustCompile(`(?s)<x:x[am]pmeta\b.*?</x:x[am]pmeta>`)
)

// objectBodies returns where each definition of object num gen ("num gen
// obj … endobj") has its body: an object redefined by an incremental
// update has several.
func objectBodies(b []byte, num, gen []byte) [][2]int {
	n, err1 := strconv.Atoi(string(num))
	g, err2 := strconv.Atoi(string(gen))
	if err1 != nil || err2 != nil {
		return nil
	}
	header := regexp.MustCompile(`(?:^|[^0-9])` + strconv.Itoa(n) + `\s+` + strconv.Itoa(g) + `\s+obj\b`)
	var bodies [][2]int
	for _, loc := range header.FindAllIndex(b, -1) {
		end := bytes.Index(b[loc[1]:], []byte("endobj"))
		if end < 0 {
			continue
		}
		bodies = append(bodies, [2]int{loc[1], loc[1] + end})
	}
	return bodies
}

// blankStrings replaces the contents of every string in b[body[0]:body[1]]
// with spaces (a literal string) or zeros (a hexadecimal one), keeping the
// delimiters and so the length. A stream's data is left alone: an
// information dictionary has none.
func blankStrings(b []byte, body [2]int) {
	for i := body[0]; i < body[1]; i++ {
		switch {
		case bytes.HasPrefix(b[i:body[1]], []byte("stream")):
			return
		case b[i] == '(':
			end := literalEnd(b[:body[1]], i)
			if end < 0 {
				return // unbalanced: leave the rest as it is
			}
			for j := i + 1; j < end; j++ {
				b[j] = ' '
			}
			i = end
		case b[i] == '<' && i+1 < body[1] && b[i+1] == '<':
			i++ // a dictionary opens
		case b[i] == '<':
			end := bytes.IndexByte(b[i:body[1]], '>')
			if end < 0 {
				return
			}
			for j := i + 1; j < i+end; j++ {
				if isHex(b[j]) {
					b[j] = '0'
				}
			}
			i += end
		case b[i] == '%':
			// A comment runs to the end of its line.
			for i < body[1] && b[i] != '\n' && b[i] != '\r' {
				i++
			}
		}
	}
}

// literalEnd returns the index of the parenthesis that closes the literal
// string opening at b[start], minding nested parentheses and escapes, or
// -1 if it does not close within b.
func literalEnd(b []byte, start int) int {
	depth := 0
	for i := start; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++ // the escaped byte, whatever it is
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
