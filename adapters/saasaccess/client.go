package saasaccess

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/opengallery/opengallery/provisioning"
)

// BodySignHeader is the response signature header. KooGallery's checker
// requires exactly this spelling.
const BodySignHeader = "Body-Sign"

// Client is the marketplace side of the protocol: it implements
// provisioning.SaaS by POSTing signed JSON to one seller endpoint URL. It is
// safe for concurrent use. Its errors never quote the endpoint's URL or
// address: a transport failure names the activity and what went wrong.
type Client struct {
	endpoint *url.URL
	signer   *Signer
	crypter  *Crypter
	cfg      config
	hc       *http.Client
}

var _ provisioning.SaaS = (*Client)(nil)

// NewClient returns a Client for the seller endpoint with the seller's
// access key. Options: WithClock, WithRandom, WithHTTPClient, WithTimeout,
// WithMaxBodySize, WithRequireBodySign, WithEncryptType, WithKeyDerivation,
// WithTimeZone.
//
// Errors: *ConfigError wrapping ErrConfig for an endpoint that is not an
// absolute http(s) URL, an empty key or a bad option; *CredentialError
// wrapping ErrCredential when the configured encryption type cannot be used
// with this key and derivation (RawKey needs a 32- or 16-byte key).
func NewClient(endpoint, accessKey string, opts ...Option) (*Client, error) {
	cfg, err := build(accessKey, opts)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &ConfigError{Option: "endpoint", Reason: "must be an absolute http(s) URL"}
	}
	cr, err := newCrypterFor(accessKey, cfg)
	if err != nil {
		return nil, err
	}
	hc := cfg.httpClient
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{endpoint: u, signer: NewSigner(accessKey), crypter: cr, cfg: cfg, hc: hc}, nil
}

// newCrypterFor builds the Crypter and checks the configured type is usable.
func newCrypterFor(accessKey string, cfg config) (*Crypter, error) {
	cr, err := NewCrypter(accessKey, cfg.derivation, cfg.random)
	if err != nil {
		return nil, err
	}
	if !cr.Supports(cfg.encryptType) {
		_, err := DeriveKey(accessKey, cfg.encryptType, cfg.derivation)
		return nil, err
	}
	return cr, nil
}

// nonce returns 32 random hex characters.
func (c *Client) nonce() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(c.cfg.random, b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// unavailable wraps a transport-level failure so that it unwraps to
// provisioning.ErrUnavailable (and keeps context errors visible).
type unavailable struct {
	activity Activity
	err      error
}

func (e *unavailable) Error() string {
	return fmt.Sprintf("saasaccess: %s: %v", e.activity, e.err)
}

func (e *unavailable) Unwrap() []error { return []error{provisioning.ErrUnavailable, e.err} }

// transportError is a transport failure told without the endpoint: Go's
// *url.Error quotes the whole signed URL (the endpoint's own query
// parameters, nonce, signature, timestamp) and net errors name addresses,
// and callers store and show these errors. It unwraps to the cause inside
// the *url.Error, so context and net errors stay testable with errors.Is
// and errors.As.
type transportError struct {
	text string
	err  error
}

func (e *transportError) Error() string { return e.text }

func (e *transportError) Unwrap() error { return e.err }

// transport wraps a failure to send a request or read its answer as
// unavailable, keeping only what went wrong: the operation and kind of a
// net error ("dial tcp: connect: connection refused"), a lookup's outcome,
// or the cause's text with the endpoint's host taken out.
func (c *Client) transport(activity Activity, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var (
		de   *net.DNSError
		oe   *net.OpError
		text string
	)
	switch {
	case errors.As(err, &de):
		text = "lookup: " + de.Err
	case errors.As(err, &oe) && oe.Err != nil:
		text = strings.TrimSpace(oe.Op+" "+oe.Net) + ": " + oe.Err.Error()
	default:
		text = err.Error()
	}
	for _, s := range []string{c.endpoint.String(), c.endpoint.Host, c.endpoint.Hostname()} {
		if s != "" {
			text = strings.ReplaceAll(text, s, "the endpoint")
		}
	}
	return &unavailable{activity, &transportError{text: text, err: err}}
}

// call POSTs body as activity and decodes the response into out, which
// embeds Response. A resultCode other than 000000 is returned as the code
// with a nil error; the caller decides (newInstance treats 000004 apart).
func (c *Client) call(ctx context.Context, activity Activity, body any, out interface{ response() *Response }) (provisioning.ResultCode, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return "", &unavailable{activity, err}
	}
	if int64(len(raw)) > c.cfg.maxBody {
		// The endpoint would refuse it (000002); not worth sending or retrying.
		return "", &provisioning.FieldError{Field: "request", Rule: provisioning.RuleMaxLength,
			Reason: fmt.Sprintf("encodes to %d bytes, over the %d-byte body limit", len(raw), c.cfg.maxBody)}
	}
	nonce, err := c.nonce()
	if err != nil {
		return "", &unavailable{activity, fmt.Errorf("nonce: %w", err)}
	}
	ts := FormatTimestamp(c.cfg.now())
	q := c.endpoint.Query()
	q.Set("signature", c.signer.Sign(nonce, ts, raw))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	u := *c.endpoint
	u.RawQuery = q.Encode()

	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(raw))
	if err != nil {
		return "", c.transport(activity, err)
	}
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", c.transport(activity, err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.maxBody+1))
	if err != nil {
		return "", c.transport(activity, err)
	}
	if int64(len(respBody)) > c.cfg.maxBody {
		return "", &ResponseError{Activity: string(activity), Reason: fmt.Sprintf("body larger than %d bytes", c.cfg.maxBody)}
	}
	if sig := resp.Header.Values(BodySignHeader); len(sig) > 0 || c.cfg.requireBodySig {
		if len(sig) != 1 {
			return "", &ResponseError{Activity: string(activity), Reason: fmt.Sprintf("want one %s header, got %d", BodySignHeader, len(sig))}
		}
		if err := c.signer.VerifyBodySign(respBody, sig[0]); err != nil {
			return "", &ResponseError{Activity: string(activity), Reason: "Body-Sign", Err: err}
		}
	}
	if err := json.Unmarshal(bytes.TrimPrefix(respBody, []byte("\xef\xbb\xbf")), out); err != nil {
		return "", &ResponseError{Activity: string(activity), Reason: fmt.Sprintf("HTTP %d, body is not a protocol response", resp.StatusCode), Err: err}
	}
	r := out.response()
	code := provisioning.ResultCode(trim(r.ResultCode))
	if code == "" {
		return "", &ResponseError{Activity: string(activity), Reason: fmt.Sprintf("HTTP %d, no resultCode", resp.StatusCode)}
	}
	if code.Success() && resp.StatusCode != http.StatusOK {
		return "", &ResponseError{Activity: string(activity), Reason: fmt.Sprintf("HTTP %d with resultCode 000000", resp.StatusCode)}
	}
	return code, nil
}

func (r *Response) response() *Response { return r }

// result turns a non-success code into its *provisioning.ResultError.
func result(code provisioning.ResultCode, r *Response) error {
	return code.Err(string(r.ResultMsg))
}

// validate runs a request's Validate, giving nil for success.
func validate(v interface{ Validate() error }) error { return v.Validate() }

// CreateInstance sends newInstance. A 000004 answer gives a CreateResult
// with Processing set and a nil error.
//
// Errors: *provisioning.FieldError (ErrInvalidInput) without calling the
// seller; *provisioning.ResultError for any other failure code; an error
// wrapping provisioning.ErrUnavailable when the endpoint cannot be reached
// or its answer cannot be read, verified or decrypted (*ResponseError,
// ErrBadResponse), or carries no instance id.
func (c *Client) CreateInstance(ctx context.Context, req provisioning.CreateRequest) (provisioning.CreateResult, error) {
	if err := validate(req); err != nil {
		return provisioning.CreateResult{}, err
	}
	w, err := c.newInstanceToWire(req)
	if err != nil {
		return provisioning.CreateResult{}, &unavailable{ActivityNewInstance, err}
	}
	var resp NewInstanceResponse
	code, err := c.call(ctx, ActivityNewInstance, w, &resp)
	if err != nil {
		return provisioning.CreateResult{}, err
	}
	res := provisioning.CreateResult{InstanceID: trim(resp.InstanceID)}
	switch code {
	case provisioning.CodeSuccess:
	case provisioning.CodeProcessing:
		res.Processing = true
	default:
		return provisioning.CreateResult{}, result(code, &resp.Response)
	}
	if res.AppInfo, err = appInfoFromWire(resp.AppInfo, c.crypter, resp.EncryptType, c.cfg.encryptType); err != nil {
		return provisioning.CreateResult{}, &ResponseError{Activity: string(ActivityNewInstance), Reason: "app info", Err: err}
	}
	if err := res.Validate(); err != nil {
		return provisioning.CreateResult{}, &ResponseError{Activity: string(ActivityNewInstance), Reason: "unusable result", Err: err}
	}
	return res, nil
}

// QueryInstances sends queryInstance for the ids, comma-separated, and
// decrypts the passwords of the app infos returned.
//
// Errors: *provisioning.FieldError (ErrInvalidInput) without calling the
// seller; *provisioning.ResultError for a failure code; an error wrapping
// provisioning.ErrUnavailable when the answer cannot be used, including an
// instance that was not asked for, a front-end URL over 512 characters or a
// password that does not decrypt.
func (c *Client) QueryInstances(ctx context.Context, req provisioning.QueryRequest) ([]provisioning.InstanceInfo, error) {
	if err := validate(req); err != nil {
		return nil, err
	}
	w := QueryInstanceRequest{Activity: ActivityQueryInstance, InstanceID: Text(strings.Join(req.InstanceIDs, ",")), TestFlag: testFlag(req.Test)}
	var resp QueryInstanceResponse
	code, err := c.call(ctx, ActivityQueryInstance, w, &resp)
	if err != nil {
		return nil, err
	}
	if !code.Success() {
		return nil, result(code, &resp.Response)
	}
	asked := make(map[string]bool, len(req.InstanceIDs))
	for _, id := range req.InstanceIDs {
		asked[id] = true
	}
	infos := make([]provisioning.InstanceInfo, 0, len(resp.Info))
	for i, wi := range resp.Info {
		info := provisioning.InstanceInfo{InstanceID: trim(wi.InstanceID)}
		if !asked[info.InstanceID] {
			return nil, &ResponseError{Activity: string(ActivityQueryInstance), Reason: fmt.Sprintf("info[%d] is instance %s, which was not asked for", i, quoteShort(info.InstanceID))}
		}
		if info.AppInfo, err = appInfoFromWire(wi.AppInfo, c.crypter, resp.EncryptType, c.cfg.encryptType); err != nil {
			return nil, &ResponseError{Activity: string(ActivityQueryInstance), Reason: fmt.Sprintf("info[%d].appInfo", i), Err: err}
		}
		if err := info.Validate(); err != nil {
			return nil, &ResponseError{Activity: string(ActivityQueryInstance), Reason: fmt.Sprintf("info[%d]", i), Err: err}
		}
		infos = append(infos, info)
	}
	return infos, nil
}

// simple sends a request whose answer is only a result code.
func (c *Client) simple(ctx context.Context, activity Activity, body any) error {
	var resp Response
	code, err := c.call(ctx, activity, body, &resp)
	if err != nil {
		return err
	}
	return result(code, &resp)
}

// Refresh sends refreshInstance; ExpiresAt travels as yyyyMMddHHmmss in the
// configured zone (GMT+08:00 by default).
//
// Errors: *provisioning.FieldError, *provisioning.ResultError, an error
// wrapping provisioning.ErrUnavailable.
func (c *Client) Refresh(ctx context.Context, req provisioning.RefreshRequest) error {
	if err := validate(req); err != nil {
		return err
	}
	return c.simple(ctx, ActivityRefreshInstance, RefreshInstanceRequest{
		Activity: ActivityRefreshInstance, Scene: Text(req.Scene), OrderID: Text(req.OrderID), OrderLineID: Text(req.OrderLineID),
		InstanceID: Text(req.InstanceID), ProductID: Text(req.ProductID), ExpireTime: formatWireTime(req.ExpiresAt, c.cfg.location),
		TestFlag: testFlag(req.Test),
	})
}

// UpdateStatus sends updateInstanceStatus (FREEZE or UNFREEZE).
//
// Errors: *provisioning.FieldError, *provisioning.ResultError, an error
// wrapping provisioning.ErrUnavailable.
func (c *Client) UpdateStatus(ctx context.Context, req provisioning.StatusRequest) error {
	if err := validate(req); err != nil {
		return err
	}
	return c.simple(ctx, ActivityUpdateInstanceStatus, UpdateInstanceStatusRequest{
		Activity: ActivityUpdateInstanceStatus, InstanceID: Text(req.InstanceID), Status: Text(req.Status), TestFlag: testFlag(req.Test),
	})
}

// Upgrade sends upgradeInstance.
//
// Errors: *provisioning.FieldError, *provisioning.ResultError, an error
// wrapping provisioning.ErrUnavailable.
func (c *Client) Upgrade(ctx context.Context, req provisioning.UpgradeRequest) error {
	if err := validate(req); err != nil {
		return err
	}
	return c.simple(ctx, ActivityUpgradeInstance, UpgradeInstanceRequest{
		Activity: ActivityUpgradeInstance, InstanceID: Text(req.InstanceID), OrderID: Text(req.OrderID),
		OrderLineID: Text(req.OrderLineID), TestFlag: testFlag(req.Test),
	})
}

// ChangeCheck sends changeInstanceCheck (with the right activity, not the
// published example's upgradeInstance). nil means the change is allowed.
//
// Errors: *provisioning.FieldError, *provisioning.ResultError (the
// refusal), an error wrapping provisioning.ErrUnavailable.
func (c *Client) ChangeCheck(ctx context.Context, req provisioning.ChangeCheckRequest) error {
	if err := validate(req); err != nil {
		return err
	}
	p := wireProduct(req.Product)
	return c.simple(ctx, ActivityChangeInstanceCheck, ChangeInstanceCheckRequest{
		Activity: ActivityChangeInstanceCheck, InstanceID: Text(req.InstanceID), ProductInfo: &p, TestFlag: testFlag(req.Test),
	})
}

// Release sends releaseInstance.
//
// Errors: *provisioning.FieldError, *provisioning.ResultError, an error
// wrapping provisioning.ErrUnavailable.
func (c *Client) Release(ctx context.Context, req provisioning.ReleaseRequest) error {
	if err := validate(req); err != nil {
		return err
	}
	return c.simple(ctx, ActivityReleaseInstance, ReleaseInstanceRequest{
		Activity: ActivityReleaseInstance, InstanceID: Text(req.InstanceID), OrderID: Text(req.OrderID),
		OrderLineID: Text(req.OrderLineID), TestFlag: testFlag(req.Test),
	})
}
