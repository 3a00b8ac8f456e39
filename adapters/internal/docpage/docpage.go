// Package docpage holds what the SQL stores (adapters/sqlite and
// adapters/postgres) share to page through aggregates kept as JSON
// documents: the opaque cursor and the loop that reads one page.
package docpage

import (
	"encoding/base64"
	"encoding/json"

	"github.com/opengallery/opengallery/marketplace"
)

// Cursor is a position in a sorted list: the sort key of the last item of
// a page (R: a rank group, T: a time in the store's own representation, S:
// a string key) and its id, which breaks ties.
type Cursor[K any] struct {
	R  int    `json:"r,omitempty"`
	T  K      `json:"t,omitzero"`
	S  string `json:"s,omitempty"`
	ID string `json:"id"`
}

// Encode returns the cursor as the opaque string a Page carries.
func (c Cursor[K]) Encode() string {
	b, _ := json.Marshal(c) // a struct of plain fields always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode parses a cursor written by Encode; the empty string is the first
// page (nil, nil).
//
// Errors: marketplace.BadCursor (ErrInvalidInput) for anything else.
func Decode[K any](s string) (*Cursor[K], error) {
	if s == "" {
		return nil, nil
	}
	var c Cursor[K]
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" {
		return nil, marketplace.BadCursor(s)
	}
	return &c, nil
}

// Rows is what both database/sql and pgx query results offer.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// Collect reads one page from rows selecting (doc, sort time, id), which
// the query asked for with LIMIT limit+1: the extra row only tells that a
// next page exists, and next is then the cursor after the last item kept.
//
// Errors: the rows' scan and iteration errors; JSON decoding errors.
func Collect[T, K any](rows Rows, limit int) (items []T, next string, err error) {
	items = make([]T, 0, min(limit, 64))
	var last Cursor[K]
	for rows.Next() {
		var doc []byte
		var c Cursor[K]
		if err := rows.Scan(&doc, &c.T, &c.ID); err != nil {
			return nil, "", err
		}
		if len(items) == limit {
			next = last.Encode()
			break
		}
		var v T
		if err := json.Unmarshal(doc, &v); err != nil {
			return nil, "", err
		}
		items = append(items, v)
		last = c
	}
	return items, next, rows.Err()
}
