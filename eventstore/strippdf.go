package eventstore

import (
	"bytes"
	"regexp"
	"sort"
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
	if bytes.Contains(b, []byte("/ByteRange")) {
		// A signed document: the signature covers these bytes too, and a
		// signed record (mediation minutes, a decision) matters more as
		// evidence than its properties; it is kept as it came.
		return b
	}
	out := bytes.Clone(b)
	objs := indexObjects(out)
	done := map[objKey]bool{}
	budget := 2 * len(out) // bytes of bodies walked, all objects together
	// blank blanks the strings of one object's definitions, once per
	// object: a file naming one object a million times costs one pass.
	blank := func(k objKey) [][2]int {
		if done[k] || len(done) >= maxStrippedObjects {
			return nil
		}
		done[k] = true
		var walked [][2]int
		for _, body := range objs.bodies(k) {
			if budget -= body[1] - body[0]; budget < 0 {
				break
			}
			blankStrings(out, body)
			walked = append(walked, body)
		}
		return walked
	}
	refs := 0
	for i := 0; refs < maxInfoRefs; refs++ {
		j := bytes.Index(out[i:], []byte("/Info"))
		if j < 0 {
			break
		}
		i += j + len("/Info")
		k, ok := refAt(out, i)
		if !ok {
			continue
		}
		for _, body := range blank(k) {
			// A value may be an indirect reference to a string object.
			for _, ref := range objRef.FindAllSubmatch(out[body[0]:body[1]], maxInfoRefs) {
				blank(keyOf(ref[1], ref[2]))
			}
		}
	}
	for _, open := range [][]byte{[]byte("<x:xmpmeta"), []byte("<x:xapmeta")} {
		closing := append([]byte("</"), open[1:]...)
		for i := 0; ; {
			j := bytes.Index(out[i:], open)
			if j < 0 {
				break
			}
			k := bytes.Index(out[i+j:], closing)
			if k < 0 {
				break // no packet closes after this one opens
			}
			end := min(i+j+k+len(closing)+1, len(out)) // with its ">"
			if packet := out[i+j : end]; bytes.Contains(packet, []byte("endstream")) || bytes.Contains(packet, []byte("endobj")) {
				i += j + len(open) // not one packet: an opening with no close of its own
				continue
			}
			for p := i + j; p < end; p++ {
				if out[p] != '\n' && out[p] != '\r' {
					out[p] = ' '
				}
			}
			i = end
		}
	}
	return out
}

// Bounds on the work one file can ask for: a real PDF names a handful of
// information dictionaries (one per incremental update) and a few string
// objects from them; a file naming a million costs no more than these.
const (
	maxInfoRefs        = 64
	maxStrippedObjects = 256
	maxDefinitions     = 16 // of one object, by incremental updates
)

// objRef is an indirect reference ("12 0 R") in an information dictionary.
var objRef = regexp.MustCompile(`(\d{1,10})\s+(\d{1,5})\s+R`)

// objKey names an object: its number and generation.
type objKey struct{ num, gen int }

func keyOf(num, gen []byte) objKey {
	n, _ := strconv.Atoi(string(num)) // digits only, by the patterns
	g, _ := strconv.Atoi(string(gen))
	return objKey{n, g}
}

// refAt reads an indirect reference ("12 0 R") after white space at b[i:].
func refAt(b []byte, i int) (objKey, bool) {
	num, i := digitsAt(b, skipSpace(b, i))
	gen, i := digitsAt(b, skipSpace(b, i))
	i = skipSpace(b, i)
	if num == nil || gen == nil || i >= len(b) || b[i] != 'R' {
		return objKey{}, false
	}
	return keyOf(num, gen), true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// digitsAt returns the run of at most ten digits at b[i:] and where it ends.
func digitsAt(b []byte, i int) ([]byte, int) {
	j := i
	for j < len(b) && j-i < 10 && '0' <= b[j] && b[j] <= '9' {
		j++
	}
	if j == i {
		return nil, i
	}
	return b[i:j], j
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

// objects indexes a file's object definitions: where each header ("num
// gen obj") ends, and where every "endobj" is. Both are found with
// bytes.Index, which reads a 10 MB file in milliseconds.
type objects struct {
	headers map[objKey][]int
	starts  []int // where every header begins, in order
	ends    []int
}

func indexObjects(b []byte) objects {
	o := objects{headers: map[objKey][]int{}}
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("obj"))
		if j < 0 {
			break
		}
		at := i + j
		i = at + len("obj")
		if at >= 3 && string(b[at-3:at]) == "end" {
			o.ends = append(o.ends, at-3)
			continue
		}
		if i < len(b) && isRegular(b[i]) {
			continue // "objects", "/objX": not a header
		}
		if k, start, ok := headerBefore(b, at); ok {
			o.headers[k] = append(o.headers[k], i)
			o.starts = append(o.starts, start)
		}
	}
	return o
}

// headerBefore reads "num gen " backwards from b[at], where "obj" starts,
// and says where the header begins. A header begins a line: "6 0 obj"
// inside a page's text or a stream is no header.
func headerBefore(b []byte, at int) (objKey, int, bool) {
	if at == 0 || !isSpace(b[at-1]) {
		return objKey{}, 0, false
	}
	gen, p := digitsBefore(b, skipSpaceBack(b, at), 5)
	if gen == nil || p == 0 || !isSpace(b[p-1]) {
		return objKey{}, 0, false
	}
	num, start := digitsBefore(b, skipSpaceBack(b, p), 10)
	for p = start; p > 0 && (b[p-1] == ' ' || b[p-1] == '\t'); p-- {
	}
	if num == nil || (p > 0 && b[p-1] != '\n' && b[p-1] != '\r') {
		return objKey{}, 0, false
	}
	return keyOf(num, gen), start, true
}

// skipSpaceBack returns where the white space that ends at b[p] begins.
func skipSpaceBack(b []byte, p int) int {
	for p > 0 && isSpace(b[p-1]) {
		p--
	}
	return p
}

// digitsBefore is digitsAt backwards: the run of at most max digits that
// ends at b[p], and where it begins.
func digitsBefore(b []byte, p, max int) ([]byte, int) {
	q := p
	for q > 0 && p-q < max && '0' <= b[q-1] && b[q-1] <= '9' {
		q--
	}
	if q == p {
		return nil, p
	}
	return b[q:p], q
}

// isRegular says whether c may continue a PDF keyword or name.
func isRegular(c byte) bool {
	return !isSpace(c) && !bytes.ContainsRune([]byte("()<>[]{}/%"), rune(c))
}

// bodies returns where each definition of an object has its body, from
// its header to the next "endobj" or the next header, whichever comes
// first (so bodies never overlap): an object redefined by an incremental
// update has several.
func (o objects) bodies(k objKey) [][2]int {
	var out [][2]int
	starts := o.headers[k]
	if len(starts) > maxDefinitions {
		starts = starts[len(starts)-maxDefinitions:] // the latest count
	}
	for _, start := range starts {
		i := sort.SearchInts(o.ends, start)
		if i == len(o.ends) {
			continue
		}
		end := o.ends[i]
		if h := sort.SearchInts(o.starts, start); h < len(o.starts) && o.starts[h] < end {
			end = o.starts[h]
		}
		out = append(out, [2]int{start, end})
	}
	return out
}

// blankStrings replaces the contents of every string in b[body[0]:body[1]]
// with spaces (a literal string) or zeros (a hexadecimal one), keeping the
// delimiters and so the length. A stream's data is left alone: an
// information dictionary has none.
func blankStrings(b []byte, body [2]int) {
	for i := body[0]; i < body[1]; i++ {
		switch {
		case bytes.HasPrefix(b[i:body[1]], []byte("stream")) && (i == 0 || isSpace(b[i-1]) || b[i-1] == '>') &&
			i+len("stream") < len(b) && (b[i+len("stream")] == '\r' || b[i+len("stream")] == '\n'):
			return // a stream's data follows: an information dictionary has none
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
