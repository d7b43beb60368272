package domain

// Kind is the legal type of a case (loại đơn). It decides the lifecycle's
// branches and the deadline clocks.
type Kind string

// Kinds.
const (
	KindComplaint    Kind = "complaint"    // khiếu nại
	KindDenunciation Kind = "denunciation" // tố cáo
	KindLandDispute  Kind = "land_dispute" // tranh chấp đất đai
	KindIncident     Kind = "incident"     // sự cố / ô nhiễm môi trường
	KindPetition     Kind = "petition"     // kiến nghị, phản ánh
)

// KindInfo names a kind for people.
type KindInfo struct {
	Code   Kind   `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
}

// Kinds lists every kind with its names.
func Kinds() []KindInfo {
	return []KindInfo{
		{KindComplaint, "Khiếu nại", "Complaint"},
		{KindDenunciation, "Tố cáo", "Denunciation"},
		{KindLandDispute, "Tranh chấp đất đai", "Land dispute"},
		{KindIncident, "Sự cố, ô nhiễm môi trường", "Environmental incident"},
		{KindPetition, "Kiến nghị, phản ánh", "Petition"},
	}
}

// Valid reports whether k is one of the five kinds.
func (k Kind) Valid() bool {
	for _, info := range Kinds() {
		if info.Code == k {
			return true
		}
	}
	return false
}

// Clock names a legal time limit that runs on a case.
type Clock string

// Clocks.
const (
	ClockAcknowledge Clock = "acknowledge" // incident: first acknowledgement
	ClockAccept      Clock = "accept"      // decide to accept (thụ lý) or reject
	ClockMediate     Clock = "mediate"     // land dispute: commune mediation
	ClockResolve     Clock = "resolve"     // settle the case
)
