package open311

import (
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"phananh/domain"
)

// changeset dates the endpoint's description (the standard's "changeset"):
// bump it when the services or their attributes change shape.
var changeset = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

type discoveryDoc struct {
	XMLName    xml.Name   `xml:"discovery" json:"-"`
	Changeset  string     `xml:"changeset" json:"changeset"`
	Contact    string     `xml:"contact" json:"contact"`
	KeyService string     `xml:"key_service" json:"key_service"`
	Endpoints  []endpoint `xml:"endpoints>endpoint" json:"endpoints"`
}

type endpoint struct {
	Specification string   `xml:"specification" json:"specification"`
	URL           string   `xml:"url" json:"url"`
	Changeset     string   `xml:"changeset" json:"changeset"`
	Type          string   `xml:"type" json:"type"`
	Formats       []string `xml:"formats>format" json:"formats"`
}

func (h *handler) discovery(c echo.Context, f format) error {
	scheme := c.Scheme()
	if p := c.Request().Header.Get(echo.HeaderXForwardedProto); p == "https" || p == "http" {
		scheme = p
	}
	doc := discoveryDoc{
		Changeset:  changeset.Format(time.RFC3339),
		Contact:    h.d.Contact,
		KeyService: "API keys are issued by the operator (phananh apikey add); Khóa API do đơn vị vận hành cấp.",
		Endpoints: []endpoint{{
			Specification: "http://wiki.open311.org/GeoReport_v2",
			URL:           scheme + "://" + c.Request().Host + Prefix,
			Changeset:     changeset.Format(time.RFC3339),
			Type:          "production",
			Formats:       []string{"text/xml", "application/json"},
		}},
	}
	cacheable(c)
	return render(c, f, http.StatusOK, doc, doc)
}

// service is one category as an Open311 service.
type service struct {
	Code        string `xml:"service_code" json:"service_code"`
	Name        string `xml:"service_name" json:"service_name"`
	Description string `xml:"description" json:"description"`
	Metadata    bool   `xml:"metadata" json:"metadata"`
	Type        string `xml:"type" json:"type"`
	Keywords    string `xml:"keywords" json:"keywords"`
	Group       string `xml:"group" json:"group"`
}

type servicesXML struct {
	XMLName  xml.Name  `xml:"services"`
	Services []service `xml:"service"`
}

// groupNames name the two groups for people; the group itself is the
// category's prefix, pollution or land.
var groupNames = map[string]string{"pollution": "ô nhiễm môi trường, environmental pollution", "land": "đất đai, land"}

func serviceOf(info domain.CategoryInfo) service {
	kind := string(info.DefaultKind)
	for _, k := range domain.Kinds() {
		if k.Code == info.DefaultKind {
			kind = k.Name + " / " + k.NameEn
		}
	}
	return service{
		Code: string(info.Code), Name: info.Name,
		Description: info.NameEn + ". Loại đơn / kind: " + kind + ".",
		// Every service asks for the commune (attribute[commune]).
		Metadata: true,
		Type:     "realtime",
		Keywords: strings.Join([]string{info.Code.Group(), groupNames[info.Code.Group()], info.NameEn}, ", "),
		Group:    info.Code.Group(),
	}
}

func (h *handler) services(c echo.Context, f format) error {
	out := []service{}
	for _, info := range domain.Categories() {
		out = append(out, serviceOf(info))
	}
	cacheable(c)
	return render(c, f, http.StatusOK, out, servicesXML{Services: out})
}

// definition is a service's attributes (the standard's service definition).
type definition struct {
	XMLName    xml.Name    `xml:"service_definition" json:"-"`
	Code       string      `xml:"service_code" json:"service_code"`
	Attributes []attribute `xml:"attributes>attribute" json:"attributes"`
}

type attribute struct {
	Variable            bool    `xml:"variable" json:"variable"`
	Code                string  `xml:"code" json:"code"`
	Datatype            string  `xml:"datatype" json:"datatype"`
	Required            bool    `xml:"required" json:"required"`
	DatatypeDescription string  `xml:"datatype_description" json:"datatype_description"`
	Order               int     `xml:"order" json:"order"`
	Description         string  `xml:"description" json:"description"`
	Values              []value `xml:"values>value,omitempty" json:"values,omitempty"`
}

type value struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

// Attribute codes this server reads from a POST as attribute[CODE].
const (
	attrCommune = "commune"
	attrTitle   = "title"
)

// attributes are the same for every category today: the commune, which
// routing needs, and an optional title. A category that asks more
// questions adds its own here.
func (h *handler) attributes() []attribute {
	communes := []value{}
	for _, cm := range h.d.Service.Rules().Geo.Communes {
		name := cm.Name
		if cm.NameEn != "" && cm.NameEn != cm.Name {
			name += " (" + cm.NameEn + ")"
		}
		communes = append(communes, value{Key: cm.Code, Name: name})
	}
	return []attribute{
		{Variable: true, Code: attrCommune, Datatype: "singlevaluelist", Required: true, Order: 1,
			DatatypeDescription: "Mã xã/phường trong danh sách / a commune code from the list",
			Description:         "Xã/phường nơi xảy ra sự việc / commune where it happens",
			Values:              communes},
		{Variable: true, Code: attrTitle, Datatype: "string", Required: false, Order: 2,
			DatatypeDescription: "Tối đa 200 ký tự / at most 200 characters",
			Description:         "Tiêu đề ngắn; mặc định là đầu phần mô tả / short title; defaults to the start of the description"},
	}
}

func (h *handler) serviceDefinition(c echo.Context, f format, code string) error {
	info, ok := domain.LookupCategory(domain.Category(code))
	if !ok {
		return h.fail(c, f, failf(http.StatusNotFound, "service_code "+domain.Shorten(code)+" not found"))
	}
	d := definition{Code: string(info.Code), Attributes: h.attributes()}
	cacheable(c)
	return render(c, f, http.StatusOK, d, d)
}

// cacheable: reference data changes only with the operator's files.
func cacheable(c echo.Context) {
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=3600")
}
