package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opengallery/opengallery/adapters/saasaccess"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
)

// The checks, in the order Run performs them. Refresh checks are named
// CheckRefreshPrefix + scene, e.g. "refresh/RENEWAL".
const (
	CheckCreate           = "create"
	CheckCreateIdempotent = "create_again_same_instance"
	CheckQueryAppInfo     = "query_until_app_info"
	CheckRefreshPrefix    = "refresh/"
	CheckFreeze           = "freeze"
	CheckUnfreeze         = "unfreeze"
	CheckUpgrade          = "upgrade_keeps_instance"
	CheckChangeCheck      = "change_check"
	CheckBadSignature     = "refuse_bad_signature"
	CheckStaleTimestamp   = "refuse_stale_timestamp"
	CheckReplayedNonce    = "refuse_replayed_nonce"
	CheckTamperedBody     = "refuse_tampered_body"
	CheckOversizedBody    = "refuse_oversized_body"
	CheckUnknownActivity  = "refuse_unknown_activity"
	CheckRelease          = "release"
)

// Checks lists every check name in run order.
func Checks() []string {
	out := []string{CheckCreate, CheckCreateIdempotent, CheckQueryAppInfo}
	for _, s := range provisioning.Scenes {
		out = append(out, CheckRefreshPrefix+string(s))
	}
	return append(out, CheckFreeze, CheckUnfreeze, CheckUpgrade, CheckChangeCheck,
		CheckBadSignature, CheckStaleTimestamp, CheckReplayedNonce, CheckTamperedBody, CheckOversizedBody, CheckUnknownActivity,
		CheckRelease)
}

// Status is the outcome of one check.
type Status string

// The outcomes.
const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP" // not run because an earlier check it needs failed
)

// Result is one check's outcome.
type Result struct {
	Check   string
	Status  Status
	Detail  string // what was seen; for a failure, what was wrong
	Elapsed time.Duration
}

// Report is the outcome of a Run, one Result per check in run order.
type Report struct {
	Endpoint string
	Results  []Result
}

// Passed reports whether every check passed.
func (r Report) Passed() bool {
	for _, res := range r.Results {
		if res.Status != Pass {
			return false
		}
	}
	return len(r.Results) > 0
}

// Result returns the result of the named check and whether it ran.
func (r Report) Result(check string) (Result, bool) {
	for _, res := range r.Results {
		if res.Check == check {
			return res, true
		}
	}
	return Result{}, false
}

// WriteTo writes one line per check and a summary line.
func (r Report) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	counts := map[Status]int{}
	for _, res := range r.Results {
		counts[res.Status]++
		fmt.Fprintf(&b, "%s  %-34s %7s  %s\n", res.Status, res.Check, res.Elapsed.Round(10*time.Microsecond), res.Detail)
	}
	fmt.Fprintf(&b, "%d passed, %d failed, %d skipped: %s\n", counts[Pass], counts[Fail], counts[Skip], r.Endpoint)
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// Config says which endpoint to check and how.
type Config struct {
	// Endpoint is the seller's interface URL. Required.
	Endpoint string
	// AccessKey is the seller's access key. Required.
	AccessKey string
	// ClientOptions configure the saasaccess.Client of the positive checks
	// (key derivation, encryption type, HTTP client, timeout, clock,
	// random). WithRequireBodySign is added unless AllowUnsignedResponses.
	ClientOptions []saasaccess.Option
	// HTTPClient sends the hand-built refusal checks. Default: a client
	// with the protocol's 5-second timeout.
	HTTPClient *http.Client
	// Now is the clock for hand-built requests. Default time.Now.
	Now func() time.Time
	// Random supplies nonces and the run id. Default crypto/rand.
	Random io.Reader
	// RunID prefixes the order ids of this run so that runs do not collide.
	// Default: 8 random hex characters.
	RunID string
	// ProductID and SKUCode name the product bought; TargetProduct is the
	// one asked about in the change check. Defaults: "conformance-product",
	// "conformance-sku", and the same product with linear value 20.
	ProductID, SKUCode string
	TargetProduct      provisioning.ProductInfo
	// MaxBodySize is the endpoint's body limit; the oversized check sends
	// one byte more. Default 1 MiB.
	MaxBodySize int64
	// PollInterval and PollTimeout pace the create and query polling.
	// Defaults 1 s and 30 s.
	PollInterval, PollTimeout time.Duration
	// AllowUnsignedResponses accepts answers without a Body-Sign header (a
	// present one is still verified).
	AllowUnsignedResponses bool
}

// ErrConfig reports an unusable Config.
var ErrConfig = errors.New("conformance: invalid configuration")

type runner struct {
	cfg    Config
	client *saasaccess.Client
	signer *saasaccess.Signer
	report Report
	id     string // the instance created, "" when create failed
}

// Run performs every check against cfg.Endpoint and returns the report. A
// check's failure does not stop the run; checks that need an instance are
// skipped when none could be created. ctx bounds the whole run.
//
// Errors: ErrConfig (wrapped) when Endpoint or AccessKey is missing or the
// client cannot be built (for instance a raw key of the wrong length).
func Run(ctx context.Context, cfg Config) (Report, error) {
	if cfg.Endpoint == "" || cfg.AccessKey == "" {
		return Report{}, fmt.Errorf("%w: Endpoint and AccessKey are required", ErrConfig)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: saasaccess.DefaultTimeout}
	}
	if cfg.MaxBodySize <= 0 {
		cfg.MaxBodySize = saasaccess.DefaultMaxBodySize
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 30 * time.Second
	}
	if cfg.ProductID == "" {
		cfg.ProductID = "conformance-product"
	}
	if cfg.SKUCode == "" {
		cfg.SKUCode = "conformance-sku"
	}
	if cfg.TargetProduct.ProductID == "" {
		cfg.TargetProduct = provisioning.ProductInfo{ProductID: cfg.ProductID, SKUCode: cfg.SKUCode, LinearValue: 20}
	}
	if cfg.RunID == "" {
		var b [4]byte
		if _, err := io.ReadFull(cfg.Random, b[:]); err != nil {
			return Report{}, fmt.Errorf("%w: random source: %v", ErrConfig, err)
		}
		cfg.RunID = strings.ToUpper(hex.EncodeToString(b[:]))
	}
	opts := append([]saasaccess.Option{saasaccess.WithClock(cfg.Now), saasaccess.WithRandom(cfg.Random)}, cfg.ClientOptions...)
	if !cfg.AllowUnsignedResponses {
		opts = append(opts, saasaccess.WithRequireBodySign())
	}
	client, err := saasaccess.NewClient(cfg.Endpoint, cfg.AccessKey, opts...)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	r := &runner{cfg: cfg, client: client, signer: saasaccess.NewSigner(cfg.AccessKey), report: Report{Endpoint: cfg.Endpoint}}
	r.lifecycle(ctx)
	r.refusals(ctx)
	r.release(ctx)
	return r.report, nil
}

// check runs f and records its result.
func (r *runner) check(name string, f func() (detail string, err error)) bool {
	start := time.Now()
	detail, err := f()
	res := Result{Check: name, Status: Pass, Detail: detail, Elapsed: time.Since(start)}
	if err != nil {
		res.Status, res.Detail = Fail, err.Error()
	}
	r.report.Results = append(r.report.Results, res)
	return err == nil
}

func (r *runner) skip(name, why string) {
	r.report.Results = append(r.report.Results, Result{Check: name, Status: Skip, Detail: why})
}

func (r *runner) orderID(suffix string) string { return "CONF" + r.cfg.RunID + "-" + suffix }

func (r *runner) createRequest(businessID string) provisioning.CreateRequest {
	now := r.cfg.Now().UTC().Truncate(time.Second)
	return provisioning.CreateRequest{
		OrderID: r.orderID("NEW"), OrderLineID: r.orderID("NEW") + "-000001", BusinessID: r.orderID(businessID),
		ProductID: r.cfg.ProductID, Mode: billing.Monthly, Test: true,
		Buyer: provisioning.Buyer{CustomerID: "conformance-customer", CustomerName: "Conformance", UserID: "conformance-user", UserName: "conformance"},
		Order: provisioning.OrderDetails{
			PeriodType: "month", PeriodCount: 1, CreatedAt: now, ExpiresAt: now.AddDate(0, 1, 0),
			Products: []provisioning.ProductInfo{{ProductID: r.cfg.ProductID, SKUCode: r.cfg.SKUCode, LinearValue: 10}},
		},
	}
}

// poll calls f until it reports done, the poll timeout passes or ctx ends.
func (r *runner) poll(ctx context.Context, f func() (done bool, err error)) error {
	deadline := time.Now().Add(r.cfg.PollTimeout)
	for {
		done, err := f()
		if err != nil || done {
			return err
		}
		if time.Now().Add(r.cfg.PollInterval).After(deadline) {
			return fmt.Errorf("not done after %s", r.cfg.PollTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.cfg.PollInterval):
		}
	}
}

// create polls newInstance while the seller answers "processing".
func (r *runner) create(ctx context.Context, businessID string) (provisioning.CreateResult, error) {
	var res provisioning.CreateResult
	err := r.poll(ctx, func() (bool, error) {
		var err error
		res, err = r.client.CreateInstance(ctx, r.createRequest(businessID))
		return err == nil && !res.Processing, err
	})
	return res, err
}

func (r *runner) lifecycle(ctx context.Context) {
	created := r.check(CheckCreate, func() (string, error) {
		res, err := r.create(ctx, "B1")
		if err != nil {
			return "", err
		}
		r.id = res.InstanceID
		return "instance " + res.InstanceID, nil
	})
	if !created {
		why := "no instance: " + CheckCreate + " failed"
		r.skip(CheckCreateIdempotent, why)
		r.skip(CheckQueryAppInfo, why)
		for _, s := range provisioning.Scenes {
			r.skip(CheckRefreshPrefix+string(s), why)
		}
		for _, c := range []string{CheckFreeze, CheckUnfreeze, CheckUpgrade, CheckChangeCheck} {
			r.skip(c, why)
		}
		return
	}
	r.check(CheckCreateIdempotent, func() (string, error) {
		res, err := r.create(ctx, "B2") // a resend carries a new business id
		if err != nil {
			return "", err
		}
		if res.InstanceID != r.id {
			return "", fmt.Errorf("second create of the same order line answered instance %q, want %q", res.InstanceID, r.id)
		}
		return "same instance " + r.id, nil
	})
	r.check(CheckQueryAppInfo, func() (string, error) {
		var info provisioning.InstanceInfo
		err := r.poll(ctx, func() (bool, error) {
			infos, err := r.client.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{r.id}, Test: true})
			for _, i := range infos {
				if i.InstanceID == r.id {
					info = i
				}
			}
			return info.Ready(), err
		})
		if err != nil {
			return "", err
		}
		a := info.AppInfo
		if a.FrontEndURL == "" {
			return "", errors.New("app info has no frontEndUrl")
		}
		detail := "frontEndUrl " + a.FrontEndURL
		if !a.Password.IsZero() {
			detail += ", password decrypted"
		}
		return detail, nil
	})
	expires := r.cfg.Now().UTC().Truncate(time.Second).AddDate(1, 0, 0)
	for _, s := range provisioning.Scenes {
		r.check(CheckRefreshPrefix+string(s), func() (string, error) {
			err := r.client.Refresh(ctx, provisioning.RefreshRequest{
				Scene: s, OrderID: r.orderID(string(s)), OrderLineID: r.orderID(string(s)) + "-000001",
				InstanceID: r.id, ProductID: r.cfg.ProductID, ExpiresAt: expires, Test: true,
			})
			return "accepted", err
		})
	}
	for _, st := range []struct {
		check  string
		status provisioning.InstanceStatus
	}{{CheckFreeze, provisioning.StatusFreeze}, {CheckUnfreeze, provisioning.StatusUnfreeze}} {
		r.check(st.check, func() (string, error) {
			return "accepted", r.client.UpdateStatus(ctx, provisioning.StatusRequest{InstanceID: r.id, Status: st.status, Test: true})
		})
	}
	r.check(CheckUpgrade, func() (string, error) {
		err := r.client.Upgrade(ctx, provisioning.UpgradeRequest{InstanceID: r.id, OrderID: r.orderID("UPGRADE"), OrderLineID: r.orderID("UPGRADE") + "-000001", Test: true})
		if err != nil {
			return "", err
		}
		infos, err := r.client.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{r.id}, Test: true})
		if err != nil {
			return "", fmt.Errorf("query after upgrade: %w", err)
		}
		if len(infos) != 1 || infos[0].InstanceID != r.id {
			return "", fmt.Errorf("after upgrade, query of %s answered %d instances", r.id, len(infos))
		}
		return "instance id unchanged", nil
	})
	r.check(CheckChangeCheck, func() (string, error) {
		err := r.client.ChangeCheck(ctx, provisioning.ChangeCheckRequest{InstanceID: r.id, Product: r.cfg.TargetProduct, Test: true})
		if err == nil {
			return "change allowed", nil
		}
		// Refusing a change is a legitimate answer; failing to understand
		// the request is not.
		var re *provisioning.ResultError
		if errors.As(err, &re) && re.Code.Known() {
			switch re.Code {
			case provisioning.CodeAuthFailed, provisioning.CodeInvalidParameter, provisioning.CodeInternal:
			default:
				return fmt.Sprintf("change refused with %s (%s)", re.Code, re.Code.Meaning()), nil
			}
		}
		return "", err
	})
}

func (r *runner) release(ctx context.Context) {
	if r.id == "" {
		r.skip(CheckRelease, "no instance: "+CheckCreate+" failed")
		return
	}
	r.check(CheckRelease, func() (string, error) {
		return "accepted", r.client.Release(ctx, provisioning.ReleaseRequest{InstanceID: r.id, Test: true})
	})
}

// raw is a hand-built request.
type raw struct {
	body      []byte
	signBody  []byte // what the signature covers; body when nil
	nonce     string
	timestamp string
	signature string // computed when empty
}

// rawAnswer is what came back.
type rawAnswer struct {
	code string
	msg  string
}

func (r *runner) nonce() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r.cfg.Random, b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// send POSTs a hand-built request and reads the answer, checking that it
// is a protocol response and, unless allowed otherwise, signed.
func (r *runner) send(ctx context.Context, q raw) (rawAnswer, error) {
	if q.nonce == "" {
		n, err := r.nonce()
		if err != nil {
			return rawAnswer{}, err
		}
		q.nonce = n
	}
	if q.timestamp == "" {
		q.timestamp = saasaccess.FormatTimestamp(r.cfg.Now())
	}
	if q.signBody == nil {
		q.signBody = q.body
	}
	if q.signature == "" {
		q.signature = r.signer.Sign(q.nonce, q.timestamp, q.signBody)
	}
	u, err := url.Parse(r.cfg.Endpoint)
	if err != nil {
		return rawAnswer{}, err
	}
	v := u.Query()
	v.Set("signature", q.signature)
	v.Set("timestamp", q.timestamp)
	v.Set("nonce", q.nonce)
	u.RawQuery = v.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(q.body))
	if err != nil {
		return rawAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	resp, err := r.cfg.HTTPClient.Do(req)
	if err != nil {
		return rawAnswer{}, fmt.Errorf("no answer: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.cfg.MaxBodySize+1))
	if err != nil {
		return rawAnswer{}, fmt.Errorf("reading answer: %w", err)
	}
	if sig := resp.Header.Values(saasaccess.BodySignHeader); len(sig) > 0 || !r.cfg.AllowUnsignedResponses {
		if len(sig) != 1 {
			return rawAnswer{}, fmt.Errorf("answer has %d %s headers, want 1", len(sig), saasaccess.BodySignHeader)
		}
		if err := r.signer.VerifyBodySign(body, sig[0]); err != nil {
			return rawAnswer{}, fmt.Errorf("answer's %s: %w", saasaccess.BodySignHeader, err)
		}
	}
	var pr saasaccess.Response
	if err := json.Unmarshal(body, &pr); err != nil || pr.ResultCode == "" {
		return rawAnswer{}, fmt.Errorf("HTTP %d answer is not a protocol response: %.80q", resp.StatusCode, body)
	}
	return rawAnswer{code: string(pr.ResultCode), msg: string(pr.ResultMsg)}, nil
}

// expect sends q and wants the code.
func (r *runner) expect(ctx context.Context, q raw, want provisioning.ResultCode) (string, error) {
	a, err := r.send(ctx, q)
	if err != nil {
		return "", err
	}
	if a.code != string(want) {
		return "", fmt.Errorf("answered %s %q, want %s (%s)", a.code, a.msg, want, want.Meaning())
	}
	return fmt.Sprintf("refused with %s %q", a.code, a.msg), nil
}

func (r *runner) queryBody() []byte {
	id := r.id
	if id == "" {
		id = r.orderID("NONE")
	}
	b, _ := json.Marshal(saasaccess.QueryInstanceRequest{Activity: saasaccess.ActivityQueryInstance, InstanceID: saasaccess.Text(id), TestFlag: "1"})
	return b
}

func (r *runner) refusals(ctx context.Context) {
	body := r.queryBody()
	r.check(CheckBadSignature, func() (string, error) {
		return r.expect(ctx, raw{body: body, signature: strings.Repeat("0f", 32)}, provisioning.CodeAuthFailed)
	})
	r.check(CheckStaleTimestamp, func() (string, error) {
		stale := saasaccess.FormatTimestamp(r.cfg.Now().Add(-5 * time.Minute))
		return r.expect(ctx, raw{body: body, timestamp: stale}, provisioning.CodeAuthFailed)
	})
	r.check(CheckReplayedNonce, func() (string, error) {
		n, err := r.nonce()
		if err != nil {
			return "", err
		}
		q := raw{body: body, nonce: n, timestamp: saasaccess.FormatTimestamp(r.cfg.Now())}
		first, err := r.send(ctx, q)
		if err != nil {
			return "", fmt.Errorf("first request: %w", err)
		}
		if first.code == string(provisioning.CodeAuthFailed) {
			return "", fmt.Errorf("first, genuine request already refused with %s %q", first.code, first.msg)
		}
		d, err := r.expect(ctx, q, provisioning.CodeAuthFailed)
		if err != nil {
			return "", fmt.Errorf("replay: %w", err)
		}
		return d, nil
	})
	r.check(CheckTamperedBody, func() (string, error) {
		tampered := bytes.Replace(body, []byte(`"testFlag":"1"`), []byte(`"testFlag":"0"`), 1)
		return r.expect(ctx, raw{body: tampered, signBody: body}, provisioning.CodeAuthFailed)
	})
	r.check(CheckOversizedBody, func() (string, error) {
		prefix := []byte(`{"activity":"queryInstance","instanceId":"x","pad":"`)
		big := make([]byte, 0, r.cfg.MaxBodySize+1)
		big = append(big, prefix...)
		for int64(len(big)) < r.cfg.MaxBodySize-1 {
			big = append(big, 'x')
		}
		big = append(big, '"', '}')
		return r.expect(ctx, raw{body: big}, provisioning.CodeInvalidParameter)
	})
	r.check(CheckUnknownActivity, func() (string, error) {
		return r.expect(ctx, raw{body: []byte(`{"activity":"conformanceUnknownActivity","instanceId":"x","testFlag":"1"}`)}, provisioning.CodeInvalidParameter)
	})
}
