package api

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"
)

// exportSample holds what a spreadsheet must not take for a formula, and
// Vietnamese text that must come through intact.
var exportSample = table{
	sheet:  "Tháng 2026-03",
	header: []string{"Tên (Name)", "Tiếp nhận (Received)", "Tỷ lệ (Rate)"},
	rows: [][]any{
		{"Ô nhiễm nguồn nước", 12, 0.75},
		{"=HYPERLINK(\"http://x\",\"y\")", 0, nil},
		{"+84 912", 3, 1.5},
		{"-1+1", 1, nil},
		{"@SUM(A1)", 2, nil},
		{"\tTab", 2, nil},
		{"a=b", 2, nil},
	},
}

var exportSafe = []string{"Ô nhiễm nguồn nước", "'=HYPERLINK(\"http://x\",\"y\")", "'+84 912", "'-1+1", "'@SUM(A1)", "'\tTab", "a=b"}

func TestCSVExport(t *testing.T) {
	var buf bytes.Buffer
	if err := writeCSV(&buf, exportSample); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("no BOM: % x", buf.Bytes()[:8])
	}
	if !bytes.Contains(buf.Bytes(), []byte("\r\n")) {
		t.Errorf("lines do not end in CRLF")
	}
	records, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(records[0], exportSample.header) {
		t.Errorf("header = %q", records[0])
	}
	for i, want := range exportSafe {
		if got := records[i+1][0]; got != want {
			t.Errorf("row %d: %q, want %q", i+1, got, want)
		}
	}
	if got := records[1][1:]; !slices.Equal(got, []string{"12", "0.75"}) {
		t.Errorf("numbers = %q", got)
	}
	if got := records[2][2]; got != "" {
		t.Errorf("an absent figure = %q, want an empty cell", got)
	}
}

func TestXLSXExport(t *testing.T) {
	var buf bytes.Buffer
	if err := writeXLSX(&buf, exportSample); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("excelize cannot open it: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"Tháng 2026-03"}) {
		t.Errorf("sheets = %q", got)
	}
	rows, err := f.GetRows("Tháng 2026-03")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], exportSample.header) {
		t.Errorf("header = %q", rows[0])
	}
	for i, want := range exportSafe {
		if got := rows[i+1][0]; got != want {
			t.Errorf("row %d: %q, want %q", i+1, got, want)
		}
		formula, err := f.GetCellFormula("Tháng 2026-03", "A"+string(rune('2'+i)))
		if err != nil || formula != "" {
			t.Errorf("row %d holds a formula %q (%v)", i+1, formula, err)
		}
	}
	// Numbers are numbers, not text.
	for _, cell := range []string{"B2", "C2"} {
		typ, err := f.GetCellType("Tháng 2026-03", cell)
		if err != nil || (typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) {
			t.Errorf("%s has type %v (%v), want a number", cell, typ, err)
		}
	}
	if v, _ := f.GetCellValue("Tháng 2026-03", "C2"); v != "0.75" {
		t.Errorf("C2 = %q, want 0.75", v)
	}
}
