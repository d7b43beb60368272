package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"phananh/domain"
)

// HTTP-level error codes, beside the domain's.
const (
	codeBodyTooLarge     domain.Code = "body_too_large"
	codeUnsupportedMedia domain.Code = "unsupported_media_type"
	codeInvalidJSON      domain.Code = "invalid_json"
	codeUnknownField     domain.Code = "unknown_field"
	codeMethodNotAllowed domain.Code = "method_not_allowed"
	codeRateLimited      domain.Code = "rate_limited"
)

// statusOf is the one place a code becomes an HTTP status.
func statusOf(code domain.Code) int {
	switch code {
	case domain.ENOTFOUND:
		return http.StatusNotFound
	case domain.ECONFLICT, domain.EIllegalTransition, domain.EVersionConflict, domain.EDuplicateSubmitted:
		return http.StatusConflict
	case domain.EFORBIDDEN, codeCSRF:
		return http.StatusForbidden
	case domain.ELimitReached:
		return http.StatusUnprocessableEntity
	case domain.EInvalidFileType, codeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case codeBodyTooLarge, domain.EFileTooLarge:
		return http.StatusRequestEntityTooLarge
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case codePreconditionRequired:
		return http.StatusPreconditionRequired
	case codeRateLimited:
		return http.StatusTooManyRequests
	case codeInvalidCredentials, codeUnauthenticated:
		return http.StatusUnauthorized
	case domain.EUnavailable:
		return http.StatusServiceUnavailable
	case domain.EINTERNAL:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// viMessages are the Vietnamese messages by code; %s is the field's label.
var viMessages = map[domain.Code]string{
	domain.EINVALID:            "Giá trị của %s không hợp lệ.",
	domain.EInvalidCategory:    "Lĩnh vực không hợp lệ. Hãy chọn một lĩnh vực trong danh sách.",
	domain.EInvalidKind:        "Loại đơn không hợp lệ.",
	domain.EInvalidCommune:     "Không tìm thấy xã/phường này. Hãy chọn xã/phường trong danh sách.",
	domain.EInvalidLocation:    "Vị trí không hợp lệ: cần cả vĩ độ và kinh độ, và điểm phải nằm trong lãnh thổ Việt Nam.",
	domain.EInvalidText:        "%s chứa ký tự không hợp lệ (không phải UTF-8 hoặc ký tự điều khiển).",
	domain.EInvalidTime:        "Thời gian ở %s không hợp lệ.",
	domain.EInvalidID:          "Mã %s không hợp lệ: cần một UUID.",
	domain.EInvalidReporter:    "Thông tin người phản ánh không hợp lệ (%s).",
	domain.ERequired:           "Vui lòng nhập %s.",
	domain.ETooLong:            "%s quá dài so với giới hạn cho phép.",
	domain.EIllegalTransition:  "Không thể thực hiện thao tác này ở trạng thái hiện tại của hồ sơ.",
	domain.ECONFLICT:           "Thao tác mâu thuẫn với trạng thái hiện tại của hồ sơ.",
	domain.EVersionConflict:    "Hồ sơ vừa được người khác cập nhật. Hãy tải lại và thử lại.",
	domain.EDuplicateSubmitted: "Mã phản ánh này đã được dùng cho một phản ánh khác.",
	domain.ELimitReached:       "Đã đạt giới hạn cho phép (%s).",
	domain.EFileTooLarge:       "Tệp đính kèm quá lớn.",
	domain.EInvalidFileType:    "Loại tệp không được chấp nhận. Chỉ nhận ảnh JPEG, PNG, WebP hoặc tệp PDF.",
	domain.ENOTFOUND:           "Không tìm thấy phản ánh với mã và mã tra cứu này.",
	domain.EFORBIDDEN:          "Bạn không có quyền thực hiện thao tác này.",
	domain.EUnavailable:        "Hệ thống đang cập nhật dữ liệu. Vui lòng thử lại sau giây lát.",
	domain.EInvalidLanguage:    "Ngôn ngữ không hợp lệ: chọn \"vi\" (tiếng Việt) hoặc \"en\" (tiếng Anh).",
	domain.EInvalidWebhook:     "Địa chỉ webhook không hợp lệ: cần một địa chỉ https đầy đủ, không quá 2048 byte; phản ánh ẩn danh không đăng ký được webhook.",
	domain.EINTERNAL:           "Đã có lỗi phía hệ thống. Vui lòng thử lại sau.",
	codeBodyTooLarge:           "Dữ liệu gửi lên quá lớn.",
	codeUnsupportedMedia:       "Định dạng dữ liệu không được hỗ trợ.",
	codeInvalidJSON:            "Dữ liệu gửi lên không phải JSON hợp lệ.",
	codeUnknownField:           "Dữ liệu có trường không được hỗ trợ: %s.",
	codeMethodNotAllowed:       "Phương thức không được hỗ trợ cho địa chỉ này.",
	codeRateLimited:            "Bạn gửi quá nhiều yêu cầu. Vui lòng thử lại sau.",
	codePreconditionRequired:   "Thiếu phiên bản hồ sơ (If-Match). Hãy tải lại hồ sơ và gửi kèm phiên bản bạn đang xem, để không ghi đè thay đổi của người khác.",
}

// enFallback are English messages for codes whose error carries none fit to show.
var enFallback = map[domain.Code]string{
	domain.ENOTFOUND:     "No report with this id and tracking code.",
	domain.EINTERNAL:     "Something went wrong on our side. Please try again later.",
	codeBodyTooLarge:     "The request body is too large.",
	codeUnsupportedMedia: "Unsupported content type.",
	codeInvalidJSON:      "The request body is not valid JSON.",
	codeMethodNotAllowed: "Method not allowed for this address.",
}

// viFields are the Vietnamese labels of request fields.
var viFields = map[string]string{
	"id": "phản ánh", "category": "lĩnh vực", "kind": "loại đơn", "title": "tiêu đề",
	"description": "nội dung", "location": "vị trí", "location.commune": "xã/phường",
	"location.address": "địa chỉ", "occurred_at": "thời điểm xảy ra", "reporter": "người phản ánh",
	"reporter.name": "họ tên", "reporter.phone": "số điện thoại", "reporter.email": "thư điện tử",
	"file": "tệp đính kèm", "reason": "lý do", "note": "ghi chú", "text": "nội dung", "summary": "kết quả giải quyết",
	"assignee": "người được giao", "to": "đơn vị nhận", "days": "số ngày", "decision": "số quyết định",
	"place": "địa điểm", "at": "thời gian", "minutes": "biên bản", "rating": "mức hài lòng",
	"after": "vị trí đọc (after)", "code": "mã tra cứu", "language": "ngôn ngữ", "webhook_url": "địa chỉ webhook",
	"If-Match": "phiên bản hồ sơ (If-Match)", "comment": "ý kiến", "findings": "kết quả kiểm tra",
	"inspected_at": "ngày kiểm tra", "measures": "biện pháp xử lý", "officer": "cán bộ được giao",
	"of": "hồ sơ gốc", "primary": "hồ sơ gốc", "visibility": "phạm vi hiển thị",
	"council": "thành phần hội đồng hòa giải", "council.name": "họ tên thành viên hội đồng",
	"council.role": "vai trò thành viên hội đồng", "outcome": "kết quả hòa giải",
	"attendance": "danh sách người tham dự", "attendance.name": "họ tên người tham dự",
	"q": "từ khóa tìm kiếm", "open": "bộ lọc hồ sơ đang mở", "overdue": "bộ lọc quá hạn",
	"sort": "thứ tự sắp xếp", "status": "trạng thái", "limit": "số mục mỗi trang",
	"cursor": "vị trí trang (cursor)", "name": "tên đăng nhập", "role": "vai trò", "password": "mật khẩu",
	"anonymous": "chế độ ẩn danh", "complex": "vụ việc phức tạp", "date": "ngày kiểm tra", "decision_ref": "số quyết định",
	"authority": "cơ quan có thẩm quyền", "attendance.party": "tư cách bên tranh chấp", "attendance.present": "tình trạng có mặt",
	"location.lat": "vĩ độ", "location.lon": "kinh độ", "reporter.webhook_url": "địa chỉ webhook",
}

// apiError is the one error shape of the API.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    domain.Code `json:"code"`
	Message string      `json:"message"`
	Field   string      `json:"field,omitempty"`
}

// language picks "en" or "vi" (the default) from Accept-Language, honouring q-values.
func language(r *http.Request) string {
	best, bestQ := "vi", -1.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base := strings.ToLower(strings.SplitN(tag, "-", 2)[0])
		if (base == "vi" || base == "en") && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

// localise turns an error into the API's error body in the request's language.
func localise(r *http.Request, err error) (int, apiError) {
	var de *domain.Error
	if !errors.As(err, &de) {
		de = &domain.Error{Code: domain.EINTERNAL}
	}
	body := apiErrorBody{Code: de.Code, Field: de.Field}
	if language(r) == "en" {
		body.Message = de.Message
		if msg, ok := enFallback[de.Code]; ok && (de.Message == "" || de.Code == domain.EINTERNAL) {
			body.Message = msg
		}
		if body.Message == "" {
			body.Message = strings.ReplaceAll(string(de.Code), "_", " ")
		}
	} else {
		tmpl, ok := viMessages[de.Code]
		if !ok {
			tmpl = viMessages[domain.EINVALID]
		}
		label := viFields[de.Field]
		if label == "" {
			label = de.Field
		}
		if label == "" {
			label = "dữ liệu gửi lên" // the body as a whole, e.g. an array where an object belongs
		}
		if strings.Contains(tmpl, "%s") {
			body.Message = capitalise(fmt.Sprintf(tmpl, label))
		} else {
			body.Message = tmpl
		}
	}
	status := statusOf(de.Code)
	return status, apiError{Error: body}
}

// capitalise upper-cases a message's first letter, which may take more
// than one byte: "địa điểm" must become "Địa điểm", not a broken byte.
func capitalise(msg string) string {
	r, n := utf8.DecodeRuneInString(msg)
	if r == utf8.RuneError {
		return msg
	}
	return string(unicode.ToUpper(r)) + msg[n:]
}

// errorHandler is Echo's error handler: every error leaves as the one shape.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		var he *echo.HTTPError
		if errors.As(err, &he) {
			err = fromHTTPError(he)
		}
		status, body := localise(c.Request(), err)
		if status >= 500 {
			log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
		}
		if c.Request().Method == http.MethodHead {
			err = c.NoContent(status)
		} else {
			err = c.JSON(status, body)
		}
		if err != nil {
			log.Warn("error response not sent", "err", err)
		}
	}
}

// fromHTTPError maps Echo's own errors (unknown route, wrong method, body
// limit) to domain errors with codes.
func fromHTTPError(he *echo.HTTPError) error {
	switch he.Code {
	case http.StatusNotFound:
		return &domain.Error{Code: domain.ENOTFOUND, Message: "not found"}
	case http.StatusMethodNotAllowed:
		return &domain.Error{Code: codeMethodNotAllowed, Message: "method not allowed"}
	case http.StatusRequestEntityTooLarge:
		return &domain.Error{Code: codeBodyTooLarge, Message: "the request body is too large"}
	case http.StatusUnsupportedMediaType:
		return &domain.Error{Code: codeUnsupportedMedia, Message: "unsupported content type"}
	case http.StatusTooManyRequests:
		return &domain.Error{Code: codeRateLimited, Message: "too many requests"}
	case http.StatusServiceUnavailable:
		return &domain.Error{Code: domain.EUnavailable, Message: "not ready"}
	}
	if he.Code >= 400 && he.Code < 500 {
		return &domain.Error{Code: domain.EINVALID, Message: fmt.Sprint(he.Message)}
	}
	return &domain.Error{Code: domain.EINTERNAL, Message: fmt.Sprint(he.Message)}
}
