package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"phananh/domain"
)

// Exports: every dashboard and the case list as JSON, CSV or XLSX.
//
// CSV is UTF-8 with a byte order mark, which is what makes Excel read it
// as UTF-8 (without it Excel guesses a Windows code page and mangles
// "Ô nhiễm"), with CRLF line ends (RFC 4180). XLSX is written with
// excelize: hand-written OOXML is more code to own than one dependency.
//
// A text cell that starts with = + - @ (or a tab or carriage return) is
// prefixed with an apostrophe in both formats, so a spreadsheet never takes
// it for a formula (CSV injection). Numbers are written as numbers.

// Export formats.
const (
	formatJSON = "json"
	formatCSV  = "csv"
	formatXLSX = "xlsx"
)

const (
	mimeCSV  = "text/csv; charset=utf-8"
	mimeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	utf8BOM  = "\uFEFF"
)

// exportFormat reads ?format=json|csv|xlsx (json when absent).
func exportFormat(c echo.Context) (string, error) {
	switch f := strings.ToLower(c.QueryParam("format")); f {
	case "", formatJSON:
		return formatJSON, nil
	case formatCSV, formatXLSX:
		return f, nil
	}
	return "", domain.FieldErrorf(domain.EINVALID, "format", "format is json, csv or xlsx")
}

// table is an export's content: a header row and rows whose cells are a
// string, an int, a float64 or nil (an empty cell).
type table struct {
	sheet  string // XLSX sheet name: at most 31 characters, none of []:*?/\
	header []string
	rows   [][]any
}

// spreadsheetSafe keeps a spreadsheet from reading text as a formula.
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return spreadsheetSafe(v)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return spreadsheetSafe(fmt.Sprint(v))
}

// optional turns a figure that may be absent into a cell.
func optional(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func writeCSV(w io.Writer, t table) error {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	record := make([]string, len(t.header))
	for i, h := range t.header {
		record[i] = spreadsheetSafe(h)
	}
	if err := cw.Write(record); err != nil {
		return err
	}
	for _, row := range t.rows {
		record = record[:0]
		for _, v := range row {
			record = append(record, cellText(v))
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeXLSX(w io.Writer, t table) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName(f.GetSheetName(0), t.sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(t.sheet)
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true}})
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, len(t.header), 16); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	header := make([]any, len(t.header))
	for i, h := range t.header {
		header[i] = excelize.Cell{StyleID: bold, Value: spreadsheetSafe(h)}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	values := make([]any, len(t.header))
	for i, row := range t.rows {
		values = values[:0]
		for _, v := range row {
			if s, ok := v.(string); ok {
				v = spreadsheetSafe(s)
			}
			values = append(values, v)
		}
		ref, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(ref, values); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

// sendTable answers with the table as a CSV or XLSX attachment named
// name (ASCII, without extension).
func sendTable(c echo.Context, format, name string, t table) error {
	var buf bytes.Buffer
	write, mime := writeCSV, mimeCSV
	if format == formatXLSX {
		write, mime = writeXLSX, mimeXLSX
	}
	// Rendered whole before the first byte is sent, so a failure is still
	// an error answer, not a truncated file.
	if err := write(&buf, t); err != nil {
		return fmt.Errorf("api: render %s export: %w", format, err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", name+"."+format))
	return c.Blob(http.StatusOK, mime, buf.Bytes())
}
