package projections

import "encoding/binary"

// texts keeps the texts of a view's timeline entries end to end in large
// byte chunks. A chunk holds no pointers, so the collector marks it without
// scanning it: a million comments are a few hundred such objects instead
// of a million strings, each of which a collection would have to visit.
// Texts are never changed or removed (the log's events are immutable), so
// the chunks only grow. A text goes into the last chunk only if it fits in
// its capacity, otherwise into a new chunk: a full chunk is never grown by
// append, which would copy its 64 KiB and leave the old copy as garbage.
type texts struct {
	chunks [][]byte
}

// textRef is where a text is: 0 for the empty text, otherwise 1 + the
// chunk's index << 32 + the offset in the chunk of the text's length
// (a uvarint), which the text follows.
type textRef uint64

// textChunk is the size of a chunk: large enough that the chunks are few,
// small enough that the one being filled wastes little. A text longer than
// this gets a chunk of its own.
const textChunk = 64 << 10

// add keeps s and returns where it is.
func (ts *texts) add(s string) textRef {
	if s == "" {
		return 0
	}
	need := uvarintLen(uint64(len(s))) + len(s)
	n := len(ts.chunks)
	if n == 0 || cap(ts.chunks[n-1])-len(ts.chunks[n-1]) < need {
		ts.chunks = append(ts.chunks, make([]byte, 0, max(textChunk, need)))
		n++
	}
	c := ts.chunks[n-1]
	off := len(c)
	c = binary.AppendUvarint(c, uint64(len(s)))
	ts.chunks[n-1] = append(c, s...)
	return textRef(uint64(n-1)<<32|uint64(off)) + 1
}

// get returns a copy of the text at r.
func (ts *texts) get(r textRef) string {
	if r == 0 {
		return ""
	}
	r--
	c := ts.chunks[r>>32][uint32(r):]
	n, k := binary.Uvarint(c)
	return string(c[k : k+int(n)])
}

// uvarintLen is how many bytes binary.AppendUvarint writes for x.
func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}
