package saasaccess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/opengallery/opengallery/provisioning"
)

// Seller is what a seller implements to serve the protocol behind a
// Handler: the seven operations of provisioning.SaaS, seen from the
// seller's side. Any provisioning.SaaS (such as provisioning/fake's) is a
// Seller.
//
// Requests reach a Seller already authenticated, decoded and validated
// (a newInstance may lack orderLineId and businessId, reference ambiguity
// 8: only orderId is required, and productId for pay-per-use).
// Return nil for success; return a *provisioning.ResultError to answer a
// specific code, or an error wrapping one of provisioning's sentinels
// (provisioning.CodeOf maps it: ErrInstanceNotFound → 000003, ErrProcessing
// → 000004, ErrInvalidInput → 000002, ...); anything else answers 000005
// without revealing its text.
type Seller interface {
	// CreateInstance must not block and must be idempotent per
	// req.Key() (see Idempotent). Processing answers 000004.
	CreateInstance(ctx context.Context, req provisioning.CreateRequest) (provisioning.CreateResult, error)
	// QueryInstances reports the instances the seller knows among the ids;
	// a nil AppInfo means "not ready yet". Passwords are encrypted by the
	// Handler.
	QueryInstances(ctx context.Context, req provisioning.QueryRequest) ([]provisioning.InstanceInfo, error)
	// Refresh records the instance's new expiry for the scene.
	Refresh(ctx context.Context, req provisioning.RefreshRequest) error
	// UpdateStatus freezes or unfreezes the instance.
	UpdateStatus(ctx context.Context, req provisioning.StatusRequest) error
	// Upgrade applies the paid upgrade order; the instance id stays.
	Upgrade(ctx context.Context, req provisioning.UpgradeRequest) error
	// ChangeCheck answers nil if the instance may change to req.Product at
	// renewal, or the refusal.
	ChangeCheck(ctx context.Context, req provisioning.ChangeCheckRequest) error
	// Release deletes the instance.
	Release(ctx context.Context, req provisioning.ReleaseRequest) error
}

// Handler is the seller side of the protocol, an http.Handler to mount at
// the product's interface URL. For each request it checks the method, the
// body size, the timestamp window, the signature and the nonce; decodes the
// body tolerantly; validates it; calls the Seller; and answers JSON with a
// resultCode, the app-info passwords encrypted and a Body-Sign header.
//
// Every outcome, including panics in the Seller, is a protocol answer with
// HTTP status 200 and a result code (000001 authentication, 000002 bad
// request, 000005 internal); the Handler never answers 500. It is safe for
// concurrent use.
type Handler struct {
	seller  Seller
	signer  *Signer
	crypter *Crypter
	nonces  *NonceCache
	cfg     config
	log     *slog.Logger
}

// NewHandler returns a Handler for seller with the seller's access key.
// Options: WithClock, WithRandom, WithMaxBodySize, WithWindow,
// WithSecondsTimestamps, WithNonceCache, WithoutBodySign, WithEncryptType,
// WithKeyDerivation, WithTimeZone, WithCurrency, WithLogger.
//
// Errors: *ConfigError wrapping ErrConfig for a nil seller, an empty key or
// a bad option; *CredentialError wrapping ErrCredential when the configured
// encryption type cannot be used with this key and derivation.
func NewHandler(accessKey string, seller Seller, opts ...Option) (*Handler, error) {
	cfg, err := build(accessKey, opts)
	if err != nil {
		return nil, err
	}
	if seller == nil {
		return nil, &ConfigError{Option: "seller", Reason: "is nil"}
	}
	cr, err := newCrypterFor(accessKey, cfg)
	if err != nil {
		return nil, err
	}
	nc := cfg.nonces
	if nc == nil {
		nc = NewNonceCache(cfg.nonceCapacity)
	}
	log := cfg.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{seller: seller, signer: NewSigner(accessKey), crypter: cr, nonces: nc, cfg: cfg, log: log}, nil
}

// answer is a response body and the code it carries, for logging.
type answer struct {
	code provisioning.ResultCode
	body any
}

// fail answers code with msg, without this package's error prefix (the
// message is read by KooGallery's operators, not Go code).
func fail(code provisioning.ResultCode, msg string) answer {
	msg = strings.TrimPrefix(msg, "saasaccess: ")
	return answer{code, &Response{ResultCode: Text(code), ResultMsg: resultMessage(msg)}}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := h.serve(w, r)
	raw, err := json.Marshal(a.body)
	if err != nil {
		// Only our own wire types are marshalled; this cannot fail, but
		// the protocol still gets an answer if it ever does.
		a = fail(provisioning.CodeInternal, provisioning.CodeInternal.Meaning())
		raw, _ = json.Marshal(a.body)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json;charset=UTF-8")
	hdr.Set("Content-Length", strconv.Itoa(len(raw)))
	if h.cfg.bodySign {
		hdr[BodySignHeader] = []string{h.signer.BodySignHeader(raw)} // exact spelling, not canonicalised
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(raw)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (a answer) {
	activity := Activity("")
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("saasaccess: seller panicked", "activity", activity, "panic", fmt.Sprint(p))
			a = fail(provisioning.CodeInternal, provisioning.CodeInternal.Meaning())
		}
		if !a.code.Success() {
			h.log.Warn("saasaccess: request refused", "activity", activity, "resultCode", string(a.code))
		}
	}()
	if r.Method != http.MethodPost {
		return fail(provisioning.CodeInvalidParameter, "method must be POST")
	}
	rb := r.Body
	if rb == nil {
		rb = http.NoBody // a request built by hand rather than by net/http
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, rb, h.cfg.maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return fail(provisioning.CodeInvalidParameter, fmt.Sprintf("body larger than %d bytes", h.cfg.maxBody))
		}
		return fail(provisioning.CodeInvalidParameter, "reading body failed")
	}
	if err := h.authenticate(r, body); err != nil {
		if errors.Is(err, ErrBusy) {
			return fail(provisioning.CodeInternal, "busy, retry later")
		}
		return fail(provisioning.CodeAuthFailed, err.Error())
	}
	req, err := DecodeRequest(body)
	if err != nil {
		return fail(provisioning.CodeInvalidParameter, err.Error())
	}
	activity = req.Activity
	return h.dispatch(r.Context(), req)
}

// authenticate checks the query parameters, the window, the signature and
// then the nonce, so that only correctly signed requests occupy the cache.
func (h *Handler) authenticate(r *http.Request, body []byte) error {
	q := r.URL.Query()
	sig, ts, nonce := q.Get("signature"), q.Get("timestamp"), q.Get("nonce")
	if sig == "" || ts == "" || nonce == "" {
		return &AuthError{Reason: "signature, timestamp and nonce query parameters are required"}
	}
	t, err := ParseTimestamp(ts, h.cfg.allowSeconds)
	if err != nil {
		return err
	}
	now := h.cfg.now()
	if d := now.Sub(t); d > h.cfg.window || d < -h.cfg.window {
		return &AuthError{Reason: fmt.Sprintf("timestamp more than %s from now", h.cfg.window)}
	}
	if err := h.signer.Verify(nonce, ts, body, sig); err != nil {
		return err
	}
	return h.nonces.Check(nonce, t.Add(h.cfg.window), now)
}

// sellerFailure turns a Seller error into an answer. Only result errors
// and validation errors show their text; anything else is internal.
func sellerFailure(err error) answer {
	code := provisioning.CodeOf(err)
	if code.Success() {
		code = provisioning.CodeInternal
	}
	msg := code.Meaning()
	if re, ok := errors.AsType[*provisioning.ResultError](err); ok && re.Message != "" {
		msg = re.Message
	} else if errors.Is(err, provisioning.ErrInvalidInput) {
		msg = err.Error()
	}
	return fail(code, msg)
}

func ok() Response {
	return Response{ResultCode: Text(provisioning.CodeSuccess), ResultMsg: "success."}
}

func (h *Handler) dispatch(ctx context.Context, req *Request) answer {
	invalid := func(err error) answer { return fail(provisioning.CodeInvalidParameter, err.Error()) }
	done := func(err error) answer {
		if err != nil {
			return sellerFailure(err)
		}
		return answer{provisioning.CodeSuccess, ok()}
	}
	switch req.Activity {
	case ActivityNewInstance:
		pr := h.createFromWire(req.NewInstance)
		if err := validateReceivedCreate(pr); err != nil {
			return invalid(err)
		}
		res, err := h.seller.CreateInstance(ctx, pr)
		if err != nil {
			return sellerFailure(err)
		}
		if err := res.Validate(); err != nil {
			h.log.Error("saasaccess: seller returned an invalid create result", "err", err)
			return fail(provisioning.CodeInternal, provisioning.CodeInternal.Meaning())
		}
		out := &NewInstanceResponse{Response: ok(), InstanceID: Text(res.InstanceID)}
		code := provisioning.CodeSuccess
		if res.Processing {
			code = provisioning.CodeProcessing
			out.Response = Response{ResultCode: Text(code), ResultMsg: resultMessage(code.Meaning())}
		}
		if out.AppInfo, err = appInfoToWire(res.AppInfo, h.crypter, h.cfg.encryptType); err != nil {
			return fail(provisioning.CodeInternal, provisioning.CodeInternal.Meaning())
		}
		return answer{code, out}
	case ActivityQueryInstance:
		w := req.QueryInstance
		pr := provisioning.QueryRequest{InstanceIDs: splitIDs(w.InstanceID), Test: isTest(w.TestFlag)}
		if err := pr.Validate(); err != nil {
			return invalid(err)
		}
		infos, err := h.seller.QueryInstances(ctx, pr)
		if err != nil {
			return sellerFailure(err)
		}
		out := &QueryInstanceResponse{Response: ok(), Info: make([]InstanceInfo, 0, len(infos))}
		for _, info := range infos {
			if err := info.Validate(); err != nil {
				h.log.Error("saasaccess: seller returned invalid instance info", "err", err)
				return fail(provisioning.CodeInternal, provisioning.CodeInternal.Meaning())
			}
			wa, err := appInfoToWire(info.AppInfo, h.crypter, h.cfg.encryptType)
			if err != nil {
				return fail(provisioning.CodeInternal, provisioning.CodeInternal.Meaning())
			}
			out.Info = append(out.Info, InstanceInfo{InstanceID: Text(info.InstanceID), AppInfo: wa})
		}
		return answer{provisioning.CodeSuccess, out}
	case ActivityRefreshInstance:
		w := req.RefreshInstance
		pr := provisioning.RefreshRequest{
			Scene: provisioning.Scene(trim(w.Scene)), OrderID: trim(w.OrderID), OrderLineID: trim(w.OrderLineID),
			InstanceID: trim(w.InstanceID), ProductID: trim(w.ProductID), Test: isTest(w.TestFlag),
		}
		if w.ExpireTime != "" {
			t, ok := parseWireTime(w.ExpireTime, h.cfg.location)
			if !ok {
				return fail(provisioning.CodeInvalidParameter, "expireTime must be yyyyMMddHHmmss")
			}
			pr.ExpiresAt = t
		}
		if err := pr.Validate(); err != nil {
			return invalid(err)
		}
		return done(h.seller.Refresh(ctx, pr))
	case ActivityUpdateInstanceStatus:
		w := req.UpdateInstanceStatus
		pr := provisioning.StatusRequest{InstanceID: trim(w.InstanceID), Status: provisioning.InstanceStatus(trim(w.Status)), Test: isTest(w.TestFlag)}
		if err := pr.Validate(); err != nil {
			return invalid(err)
		}
		return done(h.seller.UpdateStatus(ctx, pr))
	case ActivityReleaseInstance:
		w := req.ReleaseInstance
		pr := provisioning.ReleaseRequest{InstanceID: trim(w.InstanceID), OrderID: trim(w.OrderID), OrderLineID: trim(w.OrderLineID), Test: isTest(w.TestFlag)}
		if err := pr.Validate(); err != nil {
			return invalid(err)
		}
		return done(h.seller.Release(ctx, pr))
	case ActivityUpgradeInstance:
		w := req.UpgradeInstance
		pr := provisioning.UpgradeRequest{InstanceID: trim(w.InstanceID), OrderID: trim(w.OrderID), OrderLineID: trim(w.OrderLineID), Test: isTest(w.TestFlag)}
		if err := pr.Validate(); err != nil {
			return invalid(err)
		}
		return done(h.seller.Upgrade(ctx, pr))
	case ActivityChangeInstanceCheck:
		w := req.ChangeInstanceCheck
		pr := provisioning.ChangeCheckRequest{InstanceID: trim(w.InstanceID), Test: isTest(w.TestFlag)}
		if w.ProductInfo != nil {
			p, ok := productFromWire(*w.ProductInfo)
			if !ok {
				return fail(provisioning.CodeInvalidParameter, "productInfo.linearValue must be an integer")
			}
			pr.Product = p
		}
		if err := pr.Validate(); err != nil {
			return invalid(err)
		}
		return done(h.seller.ChangeCheck(ctx, pr))
	}
	return fail(provisioning.CodeInvalidParameter, "unknown activity")
}

// optionalOnReceipt are the newInstance fields the published table marks
// required but the signature-page example does not carry at the top level
// (reference ambiguity 8): a seller accepts a body without them, keyed on
// what it has.
var optionalOnReceipt = map[string]bool{"order_line_id": true, "business_id": true}

// validateReceivedCreate applies CreateRequest.Validate with the reference's
// reading of ambiguity 8: of the ids only orderId is required (and productId
// for pay-per-use, which keys idempotency); lengths and every other rule
// still apply. Without an order line id, Idempotent and any seller keying on
// CreateRequest.Key give one instance per order.
func validateReceivedCreate(r provisioning.CreateRequest) error {
	var kept []error
	for _, fe := range provisioning.FieldErrors(r.Validate()) {
		if fe.Rule == provisioning.RuleRequired && optionalOnReceipt[fe.Field] {
			continue
		}
		kept = append(kept, fe)
	}
	return errors.Join(kept...)
}

// decryptLenient decrypts an inbound buyer field; a value that does not
// decrypt is dropped rather than failing the order (the field is
// informative and the order query has it).
func (h *Handler) decryptLenient(t Text) string {
	if t == "" {
		return ""
	}
	v, err := h.crypter.Decrypt(h.cfg.encryptType, string(t))
	if err != nil {
		h.log.Warn("saasaccess: buyer field does not decrypt; dropped", "err", err)
		return ""
	}
	return v
}
