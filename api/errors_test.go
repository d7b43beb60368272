package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"phananh/domain"
	"phananh/staff"
)

func TestCapitalise(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"tiêu đề quá dài", "Tiêu đề quá dài"},
		{"địa điểm chứa ký tự", "Địa điểm chứa ký tự"},
		{"đơn vị nhận", "Đơn vị nhận"},
		{"ở đâu", "Ở đâu"},
		{"Vui lòng", "Vui lòng"},
		{"\xffabc", "\xffabc"},
	} {
		if got := capitalise(tc.in); got != tc.want {
			t.Errorf("capitalise(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestVietnameseMessagesNameEveryFieldWhole renders every message that
// names a field with every field's label: each must be valid UTF-8 and
// start with a capital, whatever letter the label starts with.
func TestVietnameseMessagesNameEveryFieldWhole(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Header.Set("Accept-Language", "vi")
	for code, tmpl := range viMessages {
		if !strings.Contains(tmpl, "%s") {
			continue
		}
		for field, label := range viFields {
			_, body := localise(req, &domain.Error{Code: code, Field: field})
			msg := body.Error.Message
			first, _ := utf8.DecodeRuneInString(msg)
			if !utf8.ValidString(msg) || !unicode.IsUpper(first) {
				t.Errorf("%s/%s: message %q", code, field, msg)
			}
			if !strings.Contains(strings.ToLower(msg), strings.ToLower(label)) {
				t.Errorf("%s/%s: message %q does not name %q", code, field, msg, label)
			}
		}
	}
}

// TestEveryFieldHasAVietnameseLabel reads the module's code for the field
// names its refusals carry and wants a Vietnamese label for each: without
// one, a Vietnamese message names the field by its English key ("Comment
// quá dài …"). A field name is a string literal given as FieldErrorf's
// field or as a domain.Error's Field, or given to a function that passes
// one of its parameters on as such (checkText, boolParam, parseDate …),
// found to any depth.
func TestEveryFieldHasAVietnameseLabel(t *testing.T) {
	fset := token.NewFileSet()
	var files []*ast.File
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "tools" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err == nil {
			files = append(files, f)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// carriers: function name → which argument is a field name.
	carriers := map[string]int{"FieldErrorf": 1}
	for grew := true; grew; {
		grew = false
		for _, f := range files {
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				params := map[string]int{}
				for _, field := range fn.Type.Params.List {
					for _, name := range field.Names {
						params[name.Name] = len(params)
					}
				}
				carries := func(e ast.Expr) {
					if id, ok := e.(*ast.Ident); ok {
						if k, ok := params[id.Name]; ok {
							if _, known := carriers[fn.Name.Name]; !known {
								carriers[fn.Name.Name], grew = k, true
							}
						}
					}
				}
				eachFieldName(fn.Body, carriers, carries)
			}
		}
	}
	fields := map[string]string{} // field → where it was seen first
	note := func(e ast.Expr) {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if name, err := strconv.Unquote(lit.Value); err == nil {
				if _, seen := fields[name]; !seen {
					fields[name] = fset.Position(lit.Pos()).String()
				}
			}
		}
	}
	for _, f := range files {
		eachFieldName(f, carriers, note)
	}
	for _, carrier := range []string{"checkText", "boolParam", "parseDate"} {
		if _, ok := carriers[carrier]; !ok {
			t.Errorf("%s was not found to carry a field name: the reading is broken", carrier)
		}
	}
	if len(fields) < 20 {
		t.Fatalf("found only %d field names: %v", len(fields), fields)
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if label := viFields[name]; label == "" || label == name {
			t.Errorf("field %q (%s) has no Vietnamese label in viFields (%q)", name, fields[name], label)
		}
	}
}

// eachFieldName calls visit with every expression under root in a place
// that names a field: a carrier's field argument, or a Field: value.
func eachFieldName(root ast.Node, carriers map[string]int, visit func(ast.Expr)) {
	ast.Inspect(root, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			name := ""
			switch fn := n.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			if k, ok := carriers[name]; ok && k < len(n.Args) {
				visit(n.Args[k])
			}
		case *ast.KeyValueExpr:
			if key, ok := n.Key.(*ast.Ident); ok && key.Name == "Field" {
				visit(n.Value)
			}
		}
		return true
	})
}

// TestEveryBodyFieldHasAVietnameseLabel: a JSON body's value of the wrong
// type is refused naming its path ("location.lat"); every property of every
// request body in the OpenAPI document, at any depth, has a label for it.
func TestEveryBodyFieldHasAVietnameseLabel(t *testing.T) {
	paths := documentedBodyFields(t)
	if len(paths) < 30 {
		t.Fatalf("found only %d body fields: %v", len(paths), slices.Sorted(maps.Keys(paths)))
	}
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		if label := viFields[path]; label == "" || label == path {
			t.Errorf("body field %q has no Vietnamese label in viFields", path)
		}
	}
}

// bodySchema is what a documented body field says of its size and form.
type bodySchema struct {
	Ref                 string `json:"$ref"`
	Type                any
	Items               *json.RawMessage
	Properties          map[string]json.RawMessage
	AllOf, OneOf, AnyOf []json.RawMessage
	Enum                []any
	Pattern, Format     string
	MaxLength, MaxItems *int
}

// documentedBodyFields walks every JSON request body of the OpenAPI
// document and returns its fields by dotted path, as encoding/json names
// them ("council.name" for an item of an array), each with the schemas
// that describe it (one per operation it appears in, and per branch).
func documentedBodyFields(t *testing.T) map[string][]bodySchema {
	t.Helper()
	var doc struct {
		Paths      map[string]map[string]json.RawMessage
		Components struct{ Schemas map[string]json.RawMessage }
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	fields := map[string][]bodySchema{}
	var walk func(raw json.RawMessage, prefix string, depth int) []bodySchema
	walk = func(raw json.RawMessage, prefix string, depth int) []bodySchema {
		var s bodySchema
		if err := json.Unmarshal(raw, &s); err != nil || depth > 10 {
			t.Fatalf("schema at %q: %v", prefix, err)
		}
		if s.Ref != "" {
			return walk(doc.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")], prefix, depth+1)
		}
		out := []bodySchema{s}
		for _, sub := range slices.Concat(s.AllOf, s.OneOf, s.AnyOf) {
			out = append(out, walk(sub, prefix, depth+1)...)
		}
		if s.Items != nil {
			walk(*s.Items, prefix, depth+1) // encoding/json names no index
		}
		for name, p := range s.Properties {
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			fields[path] = append(fields[path], walk(p, path, depth+1)...)
		}
		return out
	}
	for _, ops := range doc.Paths {
		for _, raw := range ops {
			var op struct {
				RequestBody struct {
					Content map[string]struct{ Schema json.RawMessage }
				}
			}
			if json.Unmarshal(raw, &op) != nil {
				continue // a path's parameters, not an operation
			}
			for media, c := range op.RequestBody.Content {
				if strings.Contains(media, "json") {
					walk(c.Schema, "", 0)
				}
			}
		}
	}
	return fields
}

// TestEveryBodyTextHasItsLimit: every text and list a request body may
// carry has its limit in the document, and the limit is the one the server
// applies, so a client built from the document never meets an
// undocumented too_long. A text whose form is fixed (an enum, a pattern, a
// format) needs none.
func TestEveryBodyTextHasItsLimit(t *testing.T) {
	limits := map[string]int{
		"title": domain.MaxTitle, "description": domain.MaxDescription,
		"location.address": domain.MaxAddress, "location.commune": domain.MaxCode,
		"reporter.name": domain.MaxName, "reporter.phone": domain.MaxPhone, "reporter.email": domain.MaxEmail,
		"reporter.webhook_url": domain.MaxWebhookURL, "webhook_url": domain.MaxWebhookURL,
		"comment": domain.MaxComment, "text": domain.MaxComment, "reason": domain.MaxReason, "note": domain.MaxReason,
		"officer": domain.MaxCode, "unit": domain.MaxCode, "authority": domain.MaxCode, "decision_ref": domain.MaxCode,
		"findings": domain.MaxComment, "summary": domain.MaxComment, "measures": domain.MaxComment,
		"minutes": domain.MaxComment, "place": domain.MaxAddress,
		"council": domain.MaxCouncil, "council.name": domain.MaxName,
		"attendance": domain.MaxAttendance, "attendance.name": domain.MaxName,
		"name": staff.MaxNameLen, "password": staff.MaxPasswordLen, // login
	}
	fields := documentedBodyFields(t)
	for _, path := range slices.Sorted(maps.Keys(fields)) {
		for _, s := range fields[path] {
			var max *int
			switch s.Type {
			case "string":
				if len(s.Enum) > 0 || s.Pattern != "" || s.Format != "" {
					continue
				}
				max = s.MaxLength
			case "array":
				max = s.MaxItems
			default:
				continue
			}
			want, known := limits[path]
			switch {
			case !known:
				t.Errorf("body field %q (%v) has no limit in this test's table: which does the server apply?", path, s.Type)
			case max == nil:
				t.Errorf("body field %q (%v) has no documented limit; the server's is %d", path, s.Type, want)
			case *max != want:
				t.Errorf("body field %q is documented at most %d, the server's limit is %d", path, *max, want)
			}
		}
	}
}

// TestTypeErrorsSayTheJSONType: a value of the wrong JSON type is refused
// naming the type a person knows, never a Go type ("api.reportRequest").
func TestTypeErrorsSayTheJSONType(t *testing.T) {
	for _, tc := range []struct {
		name, body, field, want string
		build                   func(echo.Context, int64) (domain.Command, error)
	}{
		{"an array for the report", `[1]`, "", "the request body must be a JSON object", nil},
		{"a number for the location", `{"location":5}`, "location", "location must be a JSON object", nil},
		{"a number for the title", `{"title":1}`, "title", "title must be a JSON string", nil},
		{"a string for a flag", `{"anonymous":"yes"}`, "anonymous", "anonymous must be a JSON boolean (true or false)", nil},
		{"a fraction for the days", `{"days":1.5}`, "days", "days must be a JSON whole number", actionBodies["extend-deadline"]},
		{"an object for the council", `{"council":{}}`, "council", "council must be a JSON array", actionBodies["schedule-mediation"]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.build == nil {
				_, err = reportCommand(fuzzContext(echo.MIMEApplicationJSON, []byte(tc.body)), DefaultMaxJSONBytes)
			} else {
				_, err = tc.build(fuzzContext(echo.MIMEApplicationJSON, []byte(tc.body)), DefaultMaxJSONBytes)
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.EINVALID || de.Field != tc.field || de.Message != tc.want {
				t.Errorf("error %#v, want invalid, field %q, message %q", err, tc.field, tc.want)
			}
		})
	}
}

// TestRefusalsBlameTheBodysField: where an action's body names a field
// otherwise than the domain does, a refusal names the body's field and
// keeps its code and message (through wrapping); each such name at least
// appears in the OpenAPI document.
func TestRefusalsBlameTheBodysField(t *testing.T) {
	for action, names := range bodyFields {
		if _, ok := actionBodies[action]; !ok {
			t.Errorf("bodyFields names %q, which is no action", action)
		}
		for domainName, bodyName := range names {
			err := fmt.Errorf("cases: %s: %w", action, domain.FieldErrorf(domain.EINVALID, domainName, "bad %s", domainName))
			var de *domain.Error
			if !errors.As(blameBodyField(action, err), &de) || de.Field != bodyName || de.Code != domain.EINVALID || de.Message != "bad "+domainName {
				t.Errorf("%s: %s refused as %#v, want field %s", action, domainName, de, bodyName)
			}
			if !strings.Contains(string(openAPIDocument), `"`+bodyName+`"`) {
				t.Errorf("%s: %s is not in the OpenAPI document", action, bodyName)
			}
		}
	}
	other := domain.FieldErrorf(domain.EINVALID, "reason", "bad reason")
	if got := blameBodyField("transfer", other); got != other {
		t.Errorf("a field the body names alike was changed: %v", got)
	}
}
