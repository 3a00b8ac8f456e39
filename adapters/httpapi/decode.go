package httpapi

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// validator is implemented by request types that check themselves.
type validator interface{ Validate() error }

// decodeJSON reads exactly one JSON value of the request body into dst,
// strictly: the media type must be JSON, the body at most the handler's
// limit, every member known to dst, nothing after the value. When dst
// validates itself, Validate runs too. A body of JSON null is refused like
// any other body that is not an object. Errors are requestErrors naming the
// offending field where there is one, or the domain's typed input errors.
func (h *Handler) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &requestError{status: http.StatusUnsupportedMediaType, code: CodeUnsupportedMedia,
				detail: "the body must be application/json"}
		}
	}
	body := bufio.NewReader(http.MaxBytesReader(w, r.Body, h.maxBody))
	null := startsWithNull(body)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if null {
		// encoding/json decodes null into a struct as a no-op, which
		// would pass for a body of all defaults.
		return badRequest(CodeInvalidType, "(body)", "(body) must be an object, not JSON null")
	}
	// Exactly one value: anything but EOF after it is an error.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return badRequest(CodeMalformedJSON, "", "the body must hold exactly one JSON value")
	}
	if v, ok := dst.(validator); ok {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// startsWithNull reports whether the first value in br starts like a JSON
// null. It consumes the white space before the value (which the decoder
// would skip anyway), however long, and nothing else. Only null itself
// then decodes without an error.
func startsWithNull(br *bufio.Reader) bool {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return false
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		_ = br.UnreadByte() // cannot fail right after ReadByte
		return b == 'n'
	}
}

// jsonError classifies a decoding error.
func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return &requestError{status: http.StatusRequestEntityTooLarge, code: CodeBodyTooLarge,
			detail: fmt.Sprintf("the body exceeds %d bytes", mbe.Limit)}
	case errors.Is(err, io.EOF):
		return badRequest(CodeMalformedJSON, "", "the body is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest(CodeMalformedJSON, "", "the body ends in the middle of a JSON value")
	case errors.As(err, &syn):
		return badRequest(CodeMalformedJSON, "", fmt.Sprintf("malformed JSON at byte %d", syn.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return badRequest(CodeInvalidType, field, fmt.Sprintf("%s must be %s, not JSON %s", field, jsonKind(typ.Type.Kind().String()), typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json offers no typed error for unknown fields; the
		// message format is part of its documented behaviour.
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return badRequest(CodeUnknownField, name, fmt.Sprintf("unknown field %q", name))
	}
	// A type's own UnmarshalJSON failed (money, enums): a domain input
	// error names its field and is mapped by the error table; otherwise it
	// is still the client's malformed value, never a 500.
	if _, internal := problemFor(err); !internal {
		return err
	}
	return badRequest(CodeMalformedJSON, "", "malformed JSON value")
}

func jsonKind(k string) string {
	switch k {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "a different type"
}

// pathID returns a path parameter holding an id: 1-128 printable
// characters, no spaces or control characters.
func pathID(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	if !validID(v) {
		return "", badParam(name, name+" must be 1-128 printable characters without spaces")
	}
	return v, nil
}

func validID(v string) bool {
	if v == "" || len(v) > 128 || !utf8.ValidString(v) {
		return false
	}
	for _, c := range v {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// queryInt parses an optional integer query parameter within [lo, hi].
func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, badParam(name, fmt.Sprintf("%s must be an integer from %d to %d", name, lo, hi))
	}
	return n, nil
}

// queryInt64 parses an optional non-negative 64-bit integer.
func queryInt64(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, badParam(name, name+" must be a non-negative integer")
	}
	return n, nil
}

// queryTime parses an optional RFC 3339 time.
func queryTime(r *http.Request, name string) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, badParam(name, name+" must be an RFC 3339 time")
	}
	return t, nil
}

// queryBool parses an optional boolean ("true"/"false").
func queryBool(r *http.Request, name string) (bool, error) {
	switch r.URL.Query().Get(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, badParam(name, name+" must be true or false")
}
