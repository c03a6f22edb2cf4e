package store

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// A store moves house as JSON Lines: a header, then one line per row,
// {"table": "...", "row": {column: value}}, tables in an order where every
// row comes after those it refers to. Both stores have the same tables and
// columns, so what one exports the other imports; ids are kept, so a
// message waiting to be sent keeps its nonce across the move.

// exportFormat names the format in the header line.
const exportFormat = "disputebot-store"

// exportTables are the tables, each after those its rows refer to.
var exportTables = []string{"meta", "articles", "sources", "article_scopes", "feeds", "feed_items", "aliases", "subscriptions", "batches", "deliveries"}

// serialTables are the tables whose ids the database hands out; after an
// import, PostgreSQL's sequences must start past the ids imported.
var serialTables = []string{"articles", "sources", "subscriptions", "batches", "deliveries"}

// notMoved are meta keys that belong to one store: its identity stays.
var notMoved = map[string]bool{"store_id": true}

type exportHeader struct {
	Format     string         `json:"format"`
	Version    int            `json:"version"`
	From       string         `json:"from"`
	ExportedAt time.Time      `json:"exported_at"`
	Rows       map[string]int `json:"rows,omitempty"`
}

type exportLine struct {
	Table string                     `json:"table"`
	Row   map[string]json.RawMessage `json:"row"`
}

// Export writes the whole store to w as JSON Lines, from one consistent
// snapshot (a running bot may go on writing). It returns the rows written
// per table.
func (s *Store) Export(ctx context.Context, w io.Writer) (map[string]int, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: s.db.d.snapshot()})
	if err != nil {
		return nil, fmt.Errorf("store: export: %w", err)
	}
	defer tx.Rollback()
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(exportHeader{Format: exportFormat, Version: 1, From: s.db.d.name, ExportedAt: time.Now().UTC()}); err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, table := range exportTables {
		n, err := exportTable(ctx, tx, enc, table)
		if err != nil {
			return nil, fmt.Errorf("store: export %s: %w", table, err)
		}
		counts[table] = n
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("store: export: %w", err)
	}
	return counts, nil
}

func exportTable(ctx context.Context, tx *txn, enc *json.Encoder, table string) (int, error) {
	rows, err := tx.QueryContext(ctx, "SELECT * FROM "+table+" ORDER BY 1, 2")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		line := exportLine{Table: table, Row: make(map[string]json.RawMessage, len(cols))}
		for i, c := range cols {
			v := vals[i]
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			raw, err := json.Marshal(v)
			if err != nil {
				return n, err
			}
			line.Row[c] = raw
		}
		if table == "meta" && notMoved[strings.Trim(string(line.Row["key"]), `"`)] {
			continue
		}
		if err := enc.Encode(line); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// ErrNotEmpty refuses an import into a store that already holds data.
var ErrNotEmpty = errors.New("store: the store to import into is not empty")

// ImportError is a line of an export that cannot be read.
type ImportError struct {
	Line int
	Why  string
}

func (e *ImportError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Why) }

// Import reads an export into this store, which must be empty (just
// created: nothing but its own identity). It is one transaction: a bad
// line anywhere leaves the store empty. It returns the rows read per table.
func (s *Store) Import(ctx context.Context, r io.Reader) (map[string]int, error) {
	counts := map[string]int{}
	err := s.tx(ctx, func(tx *txn) error {
		for _, table := range exportTables {
			var n int
			q := "SELECT COUNT(*) FROM " + table
			if table == "meta" {
				q += " WHERE key <> 'store_id'"
			}
			if err := tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return ErrNotEmpty
			}
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 256<<20) // an article's text is one line
		stmts := map[string]*sql.Stmt{}
		defer func() {
			for _, st := range stmts {
				st.Close()
			}
		}()
		known := map[string]int{}
		for i, t := range exportTables {
			known[t] = i
		}
		lineNo, last := 0, 0
		for sc.Scan() {
			lineNo++
			if lineNo == 1 {
				var h exportHeader
				if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Format != exportFormat {
					return &ImportError{Line: 1, Why: "not a disputebot export (its first line names no disputebot-store format)"}
				}
				if h.Version != 1 {
					return &ImportError{Line: 1, Why: fmt.Sprintf("export format version %d is newer than this build reads (1)", h.Version)}
				}
				continue
			}
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			var l exportLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				return &ImportError{Line: lineNo, Why: "not a JSON object"}
			}
			order, ok := known[l.Table]
			if !ok || len(l.Row) == 0 {
				return &ImportError{Line: lineNo, Why: fmt.Sprintf("unknown table %q, or no row", l.Table)}
			}
			if order < last {
				return &ImportError{Line: lineNo, Why: "tables out of order: a row before those it refers to"}
			}
			last = order
			cols := make([]string, 0, len(l.Row))
			for c := range l.Row {
				if !isColumnName(c) {
					return &ImportError{Line: lineNo, Why: fmt.Sprintf("bad column name %q", c)}
				}
				cols = append(cols, c)
			}
			slices.Sort(cols)
			args := make([]any, len(cols))
			for j, c := range cols {
				v, err := importValue(l.Row[c])
				if err != nil {
					return &ImportError{Line: lineNo, Why: fmt.Sprintf("column %s: %v", c, err)}
				}
				args[j] = v
			}
			key := l.Table + "(" + strings.Join(cols, ",") + ")"
			st := stmts[key]
			if st == nil {
				q := "INSERT INTO " + l.Table + "(" + strings.Join(cols, ", ") + ") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
				var err error
				if st, err = tx.Tx.PrepareContext(ctx, tx.d.rebind(q)); err != nil {
					return &ImportError{Line: lineNo, Why: fmt.Sprintf("the %s table has no such columns (%s)", l.Table, strings.Join(cols, ", "))}
				}
				stmts[key] = st
			}
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return &ImportError{Line: lineNo, Why: fmt.Sprintf("the %s row was refused: %v", l.Table, err)}
			}
			counts[l.Table]++
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("reading the export: %w", err)
		}
		if lineNo == 0 {
			return &ImportError{Line: 1, Why: "the export is empty"}
		}
		return tx.d.afterImport(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// isColumnName keeps the names an export may give to lower-case words:
// they are written into the INSERT statement.
func isColumnName(c string) bool {
	if c == "" || len(c) > 40 {
		return false
	}
	for _, r := range c {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}

// importValue turns a JSON value back into a column's: text, a whole
// number, a real number or NULL.
func importValue(raw json.RawMessage) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case nil, string:
		return x, nil
	case bool:
		return boolInt(x), nil
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, nil
		}
		return x.Float64()
	default:
		return nil, errors.New("not text, a number or null")
	}
}
