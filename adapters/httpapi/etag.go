package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// errPrecondition is a failed If-Match; the error table answers 412. The
// version is never compared here, after a read of its own: a change landing
// between that read and the write would be overwritten. Each conditional
// route passes the If-Match version into its use case, which compares it
// inside its transaction, and problemFor answers the use case's
// *PreconditionError as errPrecondition. A lost race (*ConflictError) is
// not a failed precondition: it is answered 409 like any other conflict.
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
