package saasaccess

import (
	"strconv"
	"time"
)

// FormatTimestamp returns t as the protocol's timestamp query parameter:
// UNIX milliseconds in decimal (reference ambiguity 4: the Chinese page and
// every example use 13-digit milliseconds).
func FormatTimestamp(t time.Time) string {
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// ParseTimestamp reads a timestamp query parameter: decimal UNIX
// milliseconds, or, when allowSeconds is set, a 10-digit value as UNIX
// seconds (the English page's wording).
//
// Errors: *AuthError wrapping ErrAuth for anything else (a timestamp that
// cannot be read cannot authenticate a request).
func ParseTimestamp(s string, allowSeconds bool) (time.Time, error) {
	if s == "" || len(s) > 19 {
		return time.Time{}, &AuthError{Reason: "timestamp is missing or too long"}
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, &AuthError{Reason: "timestamp is not decimal digits"}
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, &AuthError{Reason: "timestamp out of range"}
	}
	if allowSeconds && len(s) == 10 {
		return time.Unix(n, 0), nil
	}
	return time.UnixMilli(n), nil
}

// expireTimeLayout is the protocol's yyyyMMddHHmmss.
const expireTimeLayout = "20060102150405"

// gmt8 is the platform time zone the reference recommends for expireTime
// (ambiguity 19): GMT+08:00 wall time.
var gmt8 = time.FixedZone("GMT+08:00", 8*60*60)
