package projections

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"io"
)

// Snapshots are gob streams. JSON was measured first: encoding/json took
// 6–10 µs per timeline entry to write and 9–14 µs to read back, so
// restoring the case view of 10,000 cases (0.5–0.7 s) was hardly faster
// than replaying their 50,000 events (≈ 0.8 s at BenchmarkRunnerRebuild's
// 62,000 events/s). Gob takes about 3 µs per entry each way, ≈ 0.15 s
// (BenchmarkSnapshotCaseView, BenchmarkRestoreCaseView).
//
// Gob is deterministic here because nothing in a snapshot is a map (maps
// become slices sorted by key) and values are written in a fixed order.
// Gob flattens pointers: a pointer to a zero value comes back nil. No
// pointer of the state can hold one (coordinates lie in Vietnam, a sealed
// reporter has a key id, an occurrence time is a real time), and the
// restart tests compare restored and rebuilt state with reflect.DeepEqual.
// Gob also fills absent fields with zero values and skips unknown ones:
// the snapshot version, not the decoder, is what keeps an old format from
// being misread.

// snapshotHeader starts every snapshot, so that a snapshot can be checked
// against the model, version and sequence its metadata claims.
type snapshotHeader struct {
	Model   string
	Version int
	Seq     uint64
}

// check fails unless the header is exactly what the caller expects.
func (h snapshotHeader) check(model string, version int, seq uint64) error {
	switch {
	case h.Model != model:
		return fmt.Errorf("snapshot of model %q, not %q", h.Model, model)
	case h.Version != version:
		return fmt.Errorf("snapshot version %d, this code reads %d", h.Version, version)
	case h.Seq != seq:
		return fmt.Errorf("snapshot at seq %d, its metadata says %d", h.Seq, seq)
	}
	return nil
}

// encodeSnapshot writes the header and then the body as one gob stream.
func encodeSnapshot(w io.Writer, h snapshotHeader, body any) error {
	enc := gob.NewEncoder(w)
	if err := enc.Encode(h); err != nil {
		return err
	}
	return enc.Encode(body)
}

// decodeSnapshot reads a header, checks it, then reads the body and
// insists that nothing follows it.
func decodeSnapshot(r io.Reader, model string, version int, seq uint64, body any) error {
	br := bufferedReader(r)
	dec := gob.NewDecoder(br)
	var h snapshotHeader
	if err := dec.Decode(&h); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if err := h.check(model, version, seq); err != nil {
		return err
	}
	if err := dec.Decode(body); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return fmt.Errorf("data after the snapshot")
	}
	return nil
}

// bufferedReader gives gob an io.ByteReader, so that it reads no further
// than the end of the snapshot and trailing data can be detected.
func bufferedReader(r io.Reader) interface {
	io.Reader
	io.ByteReader
} {
	if br, ok := r.(interface {
		io.Reader
		io.ByteReader
	}); ok {
		return br
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return errReader{err}
	}
	return bytes.NewReader(data)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
func (e errReader) ReadByte() (byte, error)  { return 0, e.err }
