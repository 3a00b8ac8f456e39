package saasaccess

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Text is a string field of the wire format that decodes tolerantly: a
// JSON string as is, a number or boolean as its literal text ("1" for 1,
// "true" for true), null as "". The published examples are not consistent
// about quoting (testFlag, encryptType, periodNumber), and a seller must not
// fail an order over it. It always encodes as a JSON string.
type Text string

// UnmarshalJSON implements json.Unmarshaler.
//
// Errors: *RequestError wrapping ErrBadRequest for an object or array.
func (t *Text) UnmarshalJSON(b []byte) error {
	s, err := scalarText(b)
	if err != nil {
		return err
	}
	*t = Text(s)
	return nil
}

// Number is a numeric field of the wire format kept as its decimal text, so
// that amounts never pass through a float. It decodes from a JSON number or
// a string (a quoted "12.50" is accepted) and encodes as a bare JSON number
// when its text is a valid number literal, otherwise as a string.
type Number string

// UnmarshalJSON implements json.Unmarshaler.
//
// Errors: *RequestError wrapping ErrBadRequest for an object or array.
func (n *Number) UnmarshalJSON(b []byte) error {
	s, err := scalarText(b)
	if err != nil {
		return err
	}
	*n = Number(s)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (n Number) MarshalJSON() ([]byte, error) {
	if n != "" && isNumberLiteral(string(n)) {
		return []byte(n), nil
	}
	return json.Marshal(string(n))
}

// isNumberLiteral reports whether s is a JSON number literal.
func isNumberLiteral(s string) bool {
	return json.Valid([]byte(s)) && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))
}

// scalarText returns the text of a JSON scalar.
func scalarText(b []byte) (string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "", &RequestError{Reason: "empty value"}
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", &RequestError{Reason: "bad string: " + err.Error()}
		}
		return s, nil
	case 'n':
		if string(b) == "null" {
			return "", nil
		}
	case 't', 'f':
		if v, err := strconv.ParseBool(string(b)); err == nil {
			return strconv.FormatBool(v), nil
		}
	case '{', '[':
		return "", &RequestError{Reason: "expected a string or number, got an object or array"}
	default:
		if isNumberLiteral(string(b)) {
			return string(b), nil
		}
	}
	return "", &RequestError{Reason: "bad scalar value"}
}
