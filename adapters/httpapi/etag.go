package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// errPrecondition is a failed If-Match; the error table answers 412.
var errPrecondition = errors.New("httpapi: precondition failed")

// etag renders an aggregate version as a strong entity tag. Versions
// increase on every stored change, so the tag changes exactly when the
// resource does.
func etag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// ifMatch returns the version the client's If-Match names, or 0 when the
// header is absent or "*" (no precondition).
//
// Errors: a requestError for a header that is not one of our tags.
func ifMatch(r *http.Request) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	v, ok := strings.CutPrefix(h, `"v`)
	if ok {
		v, ok = strings.CutSuffix(v, `"`)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if !ok || err != nil || n <= 0 {
		return 0, badRequest(CodeInvalidParameter, "If-Match", `If-Match must be an entity tag from ETag, like "v3"`)
	}
	return n, nil
}

// checkVersion compares the If-Match version (0: none) with the current one.
// precondition checks an If-Match version want (0: none) against the
// aggregate's current version, which current reads only when there is one
// to check.
//
// Errors: errPrecondition when the versions differ; current's error as is.
func precondition(want int64, current func() (int64, error)) error {
	if want == 0 {
		return nil
	}
	have, err := current()
	if err != nil {
		return err
	}
	return checkVersion(want, have)
}

func checkVersion(want, have int64) error {
	if want != 0 && want != have {
		return errPrecondition
	}
	return nil
}
