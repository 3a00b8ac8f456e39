package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/supervision"
)

// Code is a stable, machine-readable error code carried by every problem
// response in its "code" member. Clients switch on it; it never changes
// meaning. The codes are listed in the OpenAPI document.
type Code string

// The codes. The first group comes from the adapter itself (decoding,
// authentication, routing); the rest are mapped from domain sentinels by
// errorTable.
const (
	CodeUnauthenticated       Code = "unauthenticated"        // 401: no or unknown bearer token
	CodeMalformedJSON         Code = "malformed_json"         // 400: the body is not one JSON value
	CodeUnknownField          Code = "unknown_field"          // 400: a JSON member the request type does not have
	CodeInvalidType           Code = "invalid_type"           // 400: a JSON value of the wrong type
	CodeInvalidParameter      Code = "invalid_parameter"      // 400: a bad path or query parameter
	CodeBodyTooLarge          Code = "body_too_large"         // 413: the body exceeds the route's limit
	CodeUnsupportedMedia      Code = "unsupported_media_type" // 415: not application/json (or multipart where expected)
	CodeMethodNotAllowed      Code = "method_not_allowed"     // 405
	CodePreconditionFailed    Code = "precondition_failed"    // 412: If-Match does not match the current version
	CodePreconditionRequired  Code = "precondition_required"  // 428: an update needs If-Match
	CodeNotFound              Code = "not_found"              // 404: unknown, or not the caller's
	CodeForbidden             Code = "forbidden"              // 403: the caller's role may not do this
	CodeConflict              Code = "conflict"               // 409: concurrent change or wrong state
	CodeInvalidInput          Code = "invalid_input"          // 400: a field breaks a rule
	CodePaymentFailed         Code = "payment_failed"         // 402
	CodeIdempotencyMismatch   Code = "idempotency_mismatch"   // 422: key reused with another request
	CodeUnknownCurrency       Code = "unknown_currency"       // 400
	CodeCurrencyMismatch      Code = "currency_mismatch"      // 400
	CodePriceMissing          Code = "price_missing"          // 422: no price for the billing mode
	CodeDowngrade             Code = "downgrade_not_allowed"  // 422: cheaper configuration mid-term
	CodeNotRenewable          Code = "not_renewable"          // 409
	CodeNotRefundable         Code = "not_refundable"         // 409
	CodeRuleNotAllowed        Code = "rule_not_allowed"       // 409: billing rules forbid it in this state
	CodeInvalidTransition     Code = "invalid_transition"     // 409
	CodeFlowFrozen            Code = "flow_frozen"            // 409: an appeal froze the flow
	CodeTooEarly              Code = "too_early"              // 409: time or count condition not met yet
	CodeActionNotAllowed      Code = "action_not_allowed"     // 403: the flow refuses this role's action in its status
	CodeQuotaExceeded         Code = "quota_exceeded"         // 409
	CodeNameConflict          Code = "name_conflict"          // 409
	CodeDependencyUnavailable Code = "dependency_unavailable" // 503: a seller endpoint or deployer failed
	CodeInternal              Code = "internal"               // 500: a fault on our side, logged
	CodeRequestCancelled      Code = "request_cancelled"      // 408: the client went away mid-request
)

// mapping is one row of the error table.
type mapping struct {
	err    error
	status int
	code   Code
	title  string
}

// kindSpecification is the Kind of the marketplace's NotFoundError for a
// specification of a product (a product's part, not an aggregate Kind).
const kindSpecification marketplace.Kind = "specification"

// errorTable maps domain sentinels to HTTP. It is the only place that does.
// Order matters: the first row whose sentinel errors.Is matches wins, so the
// more specific sentinels (a frozen flow is also "not allowed") come first.
var errorTable = []mapping{
	{marketplace.ErrNotFound, http.StatusNotFound, CodeNotFound, "Not found"},
	{provisioning.ErrNotFound, http.StatusNotFound, CodeNotFound, "Not found"},
	{supervision.ErrFrozen, http.StatusConflict, CodeFlowFrozen, "Flow frozen by an appeal"},
	{supervision.ErrTooEarly, http.StatusConflict, CodeTooEarly, "Conditions not met yet"},
	{supervision.ErrNotAllowed, http.StatusForbidden, CodeActionNotAllowed, "Action not allowed now"},
	{marketplace.ErrNotAllowed, http.StatusForbidden, CodeForbidden, "Not allowed"},
	{marketplace.ErrIdempotencyMismatch, http.StatusUnprocessableEntity, CodeIdempotencyMismatch, "Idempotency key reused"},
	{marketplace.ErrPaymentFailed, http.StatusPaymentRequired, CodePaymentFailed, "Payment failed"},
	{billing.ErrUnknownCurrency, http.StatusBadRequest, CodeUnknownCurrency, "Unknown currency"},
	{billing.ErrCurrencyMismatch, http.StatusBadRequest, CodeCurrencyMismatch, "Currency mismatch"},
	{billing.ErrPriceMissing, http.StatusUnprocessableEntity, CodePriceMissing, "No price for this billing mode"},
	{billing.ErrDowngrade, http.StatusUnprocessableEntity, CodeDowngrade, "Downgrade not allowed mid-term"},
	{billing.ErrNotRenewable, http.StatusConflict, CodeNotRenewable, "Not renewable"},
	{billing.ErrNotRefundable, http.StatusConflict, CodeNotRefundable, "Not refundable"},
	{billing.ErrNotAllowed, http.StatusConflict, CodeRuleNotAllowed, "Not allowed in this state"},
	{billing.ErrInvalidTransition, http.StatusConflict, CodeInvalidTransition, "Invalid state transition"},
	{provisioning.ErrQuotaExceeded, http.StatusConflict, CodeQuotaExceeded, "Quota exceeded"},
	{provisioning.ErrNameConflict, http.StatusConflict, CodeNameConflict, "Name conflict"},
	{marketplace.ErrConflict, http.StatusConflict, CodeConflict, "Conflict"},
	{marketplace.ErrInvalidInput, http.StatusBadRequest, CodeInvalidInput, "Invalid input"},
	{billing.ErrInvalidInput, http.StatusBadRequest, CodeInvalidInput, "Invalid input"},
	{supervision.ErrInvalidInput, http.StatusBadRequest, CodeInvalidInput, "Invalid input"},
	{provisioning.ErrInvalidInput, http.StatusBadRequest, CodeInvalidInput, "Invalid input"},
	{marketplace.ErrUnavailable, http.StatusServiceUnavailable, CodeDependencyUnavailable, "Dependency unavailable"},
	{provisioning.ErrUnavailable, http.StatusServiceUnavailable, CodeDependencyUnavailable, "Dependency unavailable"},
	// The adapter's own sentinels.
	{ErrUnauthenticated, http.StatusUnauthorized, CodeUnauthenticated, "Authentication required"},
	{errPrecondition, http.StatusPreconditionFailed, CodePreconditionFailed, "Precondition failed"},
	{ErrInvalidAttachment, http.StatusBadRequest, CodeInvalidInput, "Invalid attachment"},
}

// Problem is an RFC 9457 problem details object with OpenGallery's
// extension members: Code (stable, machine-readable) and, for invalid input,
// the offending Field.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Code     Code   `json:"code"`
	Field    string `json:"field,omitempty"`
}

// requestError is an error the adapter raises itself (decoding, routing,
// parameters), already knowing its status and code.
type requestError struct {
	status int
	code   Code
	field  string
	detail string
}

func (e *requestError) Error() string { return e.detail }

func badRequest(code Code, field, detail string) error {
	return &requestError{status: http.StatusBadRequest, code: code, field: field, detail: detail}
}

func badParam(field, detail string) error {
	return badRequest(CodeInvalidParameter, field, detail)
}

// problemFor turns any error into the problem the client sees, and says
// whether the error must be logged. Unknown errors are internal faults:
// the client gets a generic 500 and the real error goes to the log only;
// unavailable dependencies are 503 with a generic detail, logged too.
func problemFor(err error) (p Problem, logged bool) {
	var re *requestError
	if errors.As(err, &re) {
		return Problem{Status: re.status, Code: re.code, Title: http.StatusText(re.status), Detail: re.detail, Field: re.field}, false
	}
	// A version the caller named (If-Match) that the aggregate is not at:
	// 412, not the 409 of the ErrConflict it wraps. A race lost at commit
	// (*ConflictError) stays 409 (try again).
	var pe *marketplace.PreconditionError
	if errors.As(err, &pe) {
		err = errPrecondition
	}
	for _, m := range errorTable {
		if errors.Is(err, m.err) {
			p = Problem{Status: m.status, Code: m.code, Title: m.title, Detail: err.Error()}
			switch {
			case m.status == http.StatusNotFound:
				// Not found and not yours must read the same, so the
				// detail never names anything the caller asked for.
				p.Detail = "no such resource, or not yours"
				// A missing specification of a product the caller can
				// see is public knowledge (the specs are listed with the
				// product): say which input was wrong.
				var nf *marketplace.NotFoundError
				if errors.As(err, &nf) && nf.Kind == kindSpecification {
					p.Field = "spec_id"
				}
				return p, false
			case m.status == http.StatusUnauthorized:
				p.Detail = "send a valid bearer token in the Authorization header: Authorization: Bearer TOKEN"
			case m.status >= 500:
				// A dependency's error may name hosts and addresses: the
				// log gets it, the client a generic detail.
				p.Detail = "a dependency (a seller endpoint or the deployer) is unavailable; try again later"
				return p, true
			}
			p.Field = fieldOf(err)
			return p, false
		}
	}
	return Problem{Status: http.StatusInternalServerError, Code: CodeInternal, Title: "Internal error",
		Detail: "an internal error occurred; it has been logged"}, true
}

// fieldOf returns the field named by a typed input error anywhere in err.
func fieldOf(err error) string {
	var me *marketplace.InputError
	if errors.As(err, &me) {
		return me.Field
	}
	var be *billing.InputError
	if errors.As(err, &be) {
		return be.Field
	}
	var se *supervision.InputError
	if errors.As(err, &se) {
		return se.Field
	}
	var pe *provisioning.FieldError
	if errors.As(err, &pe) {
		return pe.Field
	}
	var ae *AttachmentError
	if errors.As(err, &ae) {
		return ae.Field
	}
	return ""
}

// writeError is the single error writer.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client hung up: not our fault, and nobody is listening.
		writeProblem(w, Problem{Type: "https://opengallery.dev/problems/" + string(CodeRequestCancelled), Title: "Request cancelled",
			Status: http.StatusRequestTimeout, Code: CodeRequestCancelled, Instance: r.URL.Path})
		return
	}
	p, logged := problemFor(err)
	if logged {
		h.log.ErrorContext(r.Context(), "httpapi: "+string(p.Code), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	p.Type = "https://opengallery.dev/problems/" + string(p.Code)
	p.Instance = r.URL.Path
	writeProblem(w, p)
}

func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
