package rulesets

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var tableKeys = []string{"columns", "rows", "file"}

const tableHint = "split the table, or look the values up through a connector"

// tableGeom is where a table's parts stand in the author's files, for problems found after reading.
type tableGeom struct {
	columns Pos   // the columns list or the CSV header
	colPos  []Pos // each column name
	rowPos  []Pos // each row's key
	valPos  [][]Pos
}

func (l *loader) decodeTables(d *decoder, n *yaml.Node) {
	for _, e := range d.entries(n, "tables") {
		field := "tables." + e.Key
		t := &Table{Name: e.Key, Pos: d.pos(e.K)}
		l.declare(d, e.K, e.Key, "table", field)
		m := d.fields(e.V, field, tableKeys...)
		fe, hasFile := m["file"]
		colE, hasCols := m["columns"]
		rowE, hasRows := m["rows"]
		var g *tableGeom
		switch {
		case hasFile:
			t.File = d.str(fe.V, field+".file")
			msg, hint := checkPath(t.File, ".csv")
			if msg != "" {
				d.problem(fe.V, field+".file", hint, "%s", msg)
				t.File = ""
			}
			switch {
			case l.jsonForm && (!hasCols || !hasRows):
				d.problem(fe.K, field, "add `columns` and `rows` with the content of "+t.File, "the JSON form carries the table itself, next to `file`")
			case l.jsonForm:
				g = l.inlineTable(d, colE, rowE, field, t)
			case hasCols || hasRows:
				k := colE.K
				if !hasCols {
					k = rowE.K
				}
				d.problem(k, field, "remove `columns` and `rows`, or remove `file`", "a table read from a CSV file takes its columns and rows from the file")
			case msg == "":
				if data, ok := l.readFile(d, fe.V, field+".file", t.File); ok {
					g = l.csvTable(data, t, field)
				}
			}
		case !hasCols:
			d.problem(e.K, field, "write {columns: [...], rows: {Key: [...]}} or {file: tables/<name>.csv}", "a table needs `columns` and `rows`, or a CSV `file`")
		default:
			g = l.inlineTable(d, colE, rowE, field, t)
		}
		if g != nil {
			l.checkTable(t, g, field)
		}
		l.rs.Tables = append(l.rs.Tables, t)
	}
}

func (l *loader) inlineTable(d *decoder, colE, rowE entry, field string, t *Table) *tableGeom {
	g := &tableGeom{columns: d.pos(colE.V)}
	for _, c := range d.list(colE.V, field+".columns") {
		if c == nil || c.Kind != yaml.ScalarNode {
			d.problem(c, field+".columns", "write the column names, e.g. [from, to]", "a column name is text, got %s", kindName(c))
			continue
		}
		t.Columns = append(t.Columns, c.Value)
		g.colPos = append(g.colPos, d.pos(c))
	}
	if rowE.V == nil {
		return g
	}
	rows := d.entries(rowE.V, field+".rows")
	if len(rows) > l.lim.tableRows {
		d.problem(rows[l.lim.tableRows].K, field+".rows", tableHint, "table %s has more than %d rows (LoadOptions.MaxTableRows)", t.Name, l.lim.tableRows)
		return nil
	}
	for _, re := range rows {
		rf := field + ".rows." + re.Key
		row := &Row{Key: re.Key, Pos: d.pos(re.K)}
		var vp []Pos
		list := d.list(re.V, rf)
		if l.cells += len(list); l.cells > l.lim.tableCells {
			d.problem(re.K, rf, tableHint, "with table %s the tables have more than %d cells (LoadOptions.MaxTableCells)", t.Name, l.lim.tableCells)
			return nil
		}
		for _, c := range list {
			if c != nil && c.Kind != yaml.ScalarNode {
				d.problem(c, rf, "a cell holds text, a number, true/false or null", "a table cell cannot be %s", kindName(c))
				row.Values = append(row.Values, nil)
			} else {
				v, _ := d.value(c, rf)
				row.Values = append(row.Values, v)
			}
			vp = append(vp, d.pos(c))
		}
		t.Rows = append(t.Rows, row)
		g.rowPos = append(g.rowPos, row.Pos)
		g.valPos = append(g.valPos, vp)
	}
	return g
}

// csvTable reads a CSV table: a header row whose first cell names the key column (ignored), then one row
// per key.
func (l *loader) csvTable(data []byte, t *Table, field string) *tableGeom {
	file := t.File
	f := field + ".file"
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	g := &tableGeom{columns: Pos{File: file, Line: 1, Column: 1}}
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		l.probs.add(Pos{File: file, Line: 1}, f, "write a header row: key,column1,column2", "%s is empty", file)
		return nil
	}
	if err != nil {
		l.probs.addProblem(csvProblem(file, f, err))
		return nil
	}
	if l.cells+len(header)-1 > l.lim.tableCells {
		l.probs.add(Pos{File: file, Line: 1, Column: 1}, f, tableHint, "with table %s the tables have more than %d cells (LoadOptions.MaxTableCells)", t.Name, l.lim.tableCells)
		return nil
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // spreadsheet programs write a byte order mark
	}
	for i := 1; i < len(header); i++ {
		line, col := r.FieldPos(i)
		t.Columns = append(t.Columns, strings.TrimSpace(header[i]))
		g.colPos = append(g.colPos, Pos{File: file, Line: line, Column: col})
	}
	seen := map[string]int{}
	rows := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			l.probs.addProblem(csvProblem(file, f, err))
			return nil
		}
		line, _ := r.FieldPos(0)
		// Stop at the limits: the rest of the file is not read.
		rows++
		l.cells += len(rec) - 1
		switch {
		case rows > l.lim.tableRows:
			l.probs.add(Pos{File: file, Line: line, Column: 1}, f, tableHint, "table %s has more than %d rows (LoadOptions.MaxTableRows)", t.Name, l.lim.tableRows)
			return nil
		case l.cells > l.lim.tableCells:
			l.probs.add(Pos{File: file, Line: line, Column: 1}, f, tableHint, "with table %s the tables have more than %d cells (LoadOptions.MaxTableCells)", t.Name, l.lim.tableCells)
			return nil
		}
		row := &Row{Key: strings.TrimSpace(rec[0]), Pos: Pos{File: file, Line: line, Column: 1}}
		var vp []Pos
		for i := 1; i < len(rec); i++ {
			row.Values = append(row.Values, csvValue(rec[i]))
			ln, cl := r.FieldPos(i)
			vp = append(vp, Pos{File: file, Line: ln, Column: cl})
		}
		if first, dup := seen[row.Key]; dup {
			l.probs.add(row.Pos, f, "give each row its own key", "duplicate row key `%s` (first at line %d)", row.Key, first)
			continue
		}
		seen[row.Key] = line
		t.Rows = append(t.Rows, row)
		g.rowPos = append(g.rowPos, row.Pos)
		g.valPos = append(g.valPos, vp)
	}
	return g
}

func csvProblem(file, field string, err error) Problem {
	p := Problem{Pos: Pos{File: file, Line: 1}, Field: field, Message: "invalid CSV: " + err.Error(), Hint: "quote cells that contain commas or quotes with \"...\""}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		p.Pos.Line, p.Pos.Column = pe.Line, pe.Column
		p.Message = "invalid CSV: " + pe.Err.Error()
	}
	return p
}

var csvNumberRE = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// csvValue types a CSV cell the way a JSON reader would see it: numbers, true/false, empty as null,
// anything else text.
func csvValue(s string) any {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return nil
	case "true":
		return true
	case "false":
		return false
	}
	if csvNumberRE.MatchString(s) {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	}
	return s
}

// checkTable checks the shape of a table, wherever it was read from.
func (l *loader) checkTable(t *Table, g *tableGeom, field string) {
	if len(t.Columns) == 0 {
		l.probs.add(g.columns, field+".columns", "name at least one column", "a table needs at least one column")
	}
	colAt := map[string]int{}
	for i, c := range t.Columns {
		p := g.columns
		if i < len(g.colPos) {
			p = g.colPos[i]
		}
		switch _, dup := colAt[c]; {
		case c == "":
			l.probs.add(p, field+".columns", "name every column", "column %d has no name", i+1)
		case dup:
			l.probs.add(p, field+".columns", "give each column its own name", "duplicate column `%s`", c)
		default:
			colAt[c] = i
		}
	}
	from, hasFrom := colAt["from"]
	to, hasTo := colAt["to"]
	for i, row := range t.Rows {
		rf := field + ".rows." + row.Key
		rp := g.rowPos[i]
		if row.Key == "" {
			l.probs.add(rp, rf, "give the row a key", "a row has an empty key")
		}
		if len(row.Values) != len(t.Columns) {
			l.probs.add(rp, rf, "give one value per column ("+strings.Join(t.Columns, ", ")+")", "row `%s` has %d values, but the table has %d columns", row.Key, len(row.Values), len(t.Columns))
			continue
		}
		if !hasFrom || !hasTo {
			continue
		}
		lo, okLo := row.Values[from].(float64)
		hi, okHi := row.Values[to].(float64)
		if !okLo {
			l.probs.add(valPos(g, i, from), rf, "a range table's from and to are numbers", "`from` of row `%s` is not a number", row.Key)
		}
		if !okHi {
			l.probs.add(valPos(g, i, to), rf, "a range table's from and to are numbers", "`to` of row `%s` is not a number", row.Key)
		}
		if okLo && okHi && lo > hi {
			l.probs.add(valPos(g, i, from), rf, "swap them", "row `%s` has from %v greater than to %v", row.Key, lo, hi)
		}
	}
}

func valPos(g *tableGeom, row, col int) Pos {
	if row < len(g.valPos) && col < len(g.valPos[row]) {
		return g.valPos[row][col]
	}
	return g.rowPos[row]
}
