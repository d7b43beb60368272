package domain

import "strings"

// Category is what a case is about (lĩnh vực), e.g. "pollution.water".
type Category string

// CategoryInfo describes a category for forms and routing.
type CategoryInfo struct {
	Code        Category `json:"code"`
	Name        string   `json:"name"`
	NameEn      string   `json:"name_en"`
	DefaultKind Kind     `json:"default_kind"`
}

// Group is the part before the dot: "pollution" or "land".
func (c Category) Group() string {
	group, _, _ := strings.Cut(string(c), ".")
	return group
}

var categories = []CategoryInfo{
	{"pollution.water", "Ô nhiễm nguồn nước", "Water pollution", KindIncident},
	{"pollution.air", "Ô nhiễm không khí", "Air pollution", KindIncident},
	{"pollution.noise", "Tiếng ồn", "Noise", KindIncident},
	{"pollution.waste", "Chất thải, rác thải", "Waste", KindIncident},
	{"pollution.plastic", "Xả thải nhựa", "Plastic dumping", KindIncident},
	{"pollution.soil", "Ô nhiễm đất", "Soil pollution", KindIncident},
	{"pollution.mining", "Khai thác khoáng sản trái phép", "Illegal mining", KindDenunciation},
	{"pollution.other", "Ô nhiễm khác", "Other pollution", KindPetition},
	{"land.boundary", "Tranh chấp ranh giới đất", "Land boundary dispute", KindLandDispute},
	{"land.encroachment", "Lấn chiếm đất đai", "Land encroachment", KindLandDispute},
	{"land.use_rights", "Tranh chấp quyền sử dụng đất", "Land use rights dispute", KindLandDispute},
	{"land.compensation", "Bồi thường, hỗ trợ, tái định cư", "Compensation and resettlement", KindComplaint},
	{"land.other", "Đất đai khác", "Other land matter", KindPetition},
}

// Categories lists every category, pollution first.
func Categories() []CategoryInfo {
	return append([]CategoryInfo(nil), categories...)
}

// LookupCategory returns the category's description, or false if c is unknown.
func LookupCategory(c Category) (CategoryInfo, bool) {
	for _, info := range categories {
		if info.Code == c {
			return info, true
		}
	}
	return CategoryInfo{}, false
}
