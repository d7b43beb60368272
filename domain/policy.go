package domain

import (
	"bytes"
	_ "embed" // the Lào Cai defaults ship inside the binary
	"encoding/json"
	"fmt"
	"io"
)

// Limits bound what one case may hold, so one report cannot fill the disk.
type Limits struct {
	MaxAttachmentsPerCase     int   `json:"max_attachments_per_case"`
	MaxAttachmentBytesPerCase int64 `json:"max_attachment_bytes_per_case"`
}

// Policy is the operator's rules as data: where cases go, how long each
// step may take, and how much a case may hold. The binary ships a default
// for Lào Cai; --policy FILE replaces it.
type Policy struct {
	Routing   RoutingPolicy  `json:"routing"`
	Deadlines DeadlinePolicy `json:"deadlines"`
	Limits    Limits         `json:"limits"`
}

//go:embed defaults/laocai-geo.json
var defaultGeo []byte

//go:embed defaults/laocai-policy.json
var defaultPolicy []byte

// DefaultGeography returns the built-in sample geography of Lào Cai. It is
// a sample: a few communes whose names we can stand behind, placeholder
// codes, no centroids. Production loads the full list with --geo.
func DefaultGeography() *Geography {
	g, err := LoadGeography(bytes.NewReader(defaultGeo))
	if err != nil {
		panic("domain: built-in geography is broken: " + err.Error())
	}
	return g
}

// DefaultPolicy returns the built-in policy for Lào Cai.
func DefaultPolicy() *Policy {
	p, err := LoadPolicy(bytes.NewReader(defaultPolicy))
	if err != nil {
		panic("domain: built-in policy is broken: " + err.Error())
	}
	return p
}

// LoadPolicy reads a policy JSON document and checks it.
func LoadPolicy(r io.Reader) (*Policy, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxGeoBytes+1))
	if err != nil {
		return nil, fmt.Errorf("policy: read: %w", err)
	}
	if len(data) > maxGeoBytes {
		return nil, fmt.Errorf("policy: file larger than %d bytes", maxGeoBytes)
	}
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("policy: decode: %w", err)
	}
	if err := p.Deadlines.index(); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if len(p.Routing.Rules) == 0 {
		return nil, fmt.Errorf("policy: no routing rules")
	}
	if p.Limits.MaxAttachmentsPerCase <= 0 || p.Limits.MaxAttachmentBytesPerCase <= 0 {
		return nil, fmt.Errorf("policy: limits must be positive")
	}
	return &p, nil
}
