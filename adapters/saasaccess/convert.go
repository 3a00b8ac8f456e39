package saasaccess

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
)

// The wire's charging modes. Only PERIOD appears in the published example;
// ONETIME and ONDEMAND are inferred from the three billing modes of the
// access guide's interface table [I].
const (
	chargingPeriod   = "PERIOD"
	chargingOneTime  = "ONETIME"
	chargingOnDemand = "ONDEMAND"
)

// testFlag encodes Test: "1" for a debugging request, omitted otherwise
// (the newest page says it is not carried for normal requests).
func testFlag(test bool) Text {
	if test {
		return "1"
	}
	return ""
}

func isTest(t Text) bool { return strings.TrimSpace(string(t)) == "1" }

func formatWireTime(t time.Time, loc *time.Location) Text {
	if t.IsZero() {
		return ""
	}
	return Text(t.In(loc).Format(expireTimeLayout))
}

func parseWireTime(t Text, loc *time.Location) (time.Time, bool) {
	v, err := time.ParseInLocation(expireTimeLayout, strings.TrimSpace(string(t)), loc)
	if err != nil {
		return time.Time{}, false
	}
	return v.UTC(), true
}

// parseInt reads an integral Number; "10" and "10.0" are 10.
func parseInt(n Number) (int64, bool) {
	s := strings.TrimSpace(string(n))
	if s == "" {
		return 0, true
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, true
	}
	d, err := billing.ParseAmount(s)
	if err != nil || !d.Equal(d.Truncate(0)) || !d.Abs().LessThan(decimal.New(1, 18)) {
		return 0, false
	}
	return d.IntPart(), true
}

func wireProduct(p provisioning.ProductInfo) ProductInfo {
	w := ProductInfo{SKUCode: Text(p.SKUCode), ProductID: Text(p.ProductID)}
	if p.LinearValue != 0 {
		w.LinearValue = Number(strconv.FormatInt(p.LinearValue, 10))
	}
	return w
}

func productFromWire(w ProductInfo) (provisioning.ProductInfo, bool) {
	v, ok := parseInt(w.LinearValue)
	return provisioning.ProductInfo{
		ProductID: strings.TrimSpace(string(w.ProductID)), SKUCode: strings.TrimSpace(string(w.SKUCode)), LinearValue: v,
	}, ok
}

// newInstanceToWire builds the newInstance body. Buyer phone and e-mail are
// encrypted as the protocol sends them.
func (c *Client) newInstanceToWire(r provisioning.CreateRequest) (NewInstanceRequest, error) {
	w := NewInstanceRequest{
		Activity: ActivityNewInstance, OrderID: Text(r.OrderID), OrderLineID: Text(r.OrderLineID),
		BusinessID: Text(r.BusinessID), ProductID: Text(r.ProductID), TestFlag: testFlag(r.Test),
	}
	if b := r.Buyer; b != (provisioning.Buyer{}) {
		wb := &BuyerInfo{CustomerID: Text(b.CustomerID), CustomerName: Text(b.CustomerName), UserID: Text(b.UserID), UserName: Text(b.UserName)}
		for _, f := range []struct {
			dst *Text
			v   string
		}{{&wb.MobilePhone, b.MobilePhone}, {&wb.Email, b.Email}} {
			if f.v == "" {
				continue
			}
			enc, err := c.crypter.Encrypt(c.cfg.encryptType, f.v)
			if err != nil {
				return w, err
			}
			*f.dst = Text(enc)
		}
		w.BuyerInfo = wb
	}
	o := r.Order
	oi := OrderInfo{
		BusinessID: Text(r.BusinessID), OrderID: Text(r.OrderID), PeriodType: Text(o.PeriodType),
		ProvisionType: Text(o.ProvisionType), CreateTime: formatWireTime(o.CreatedAt, c.cfg.location),
		ExpireTime: formatWireTime(o.ExpiresAt, c.cfg.location),
	}
	if o.Trial {
		oi.TrialFlag = "1"
	}
	switch r.Mode {
	case billing.Yearly, billing.Monthly:
		oi.ChargingMode = chargingPeriod
		if oi.PeriodType == "" {
			oi.PeriodType = map[billing.Mode]Text{billing.Yearly: "year", billing.Monthly: "month"}[r.Mode]
		}
	case billing.OneTime:
		oi.ChargingMode = chargingOneTime
	case billing.PayPerUse:
		oi.ChargingMode = chargingOnDemand
	}
	if o.Amount.Currency != "" {
		oi.OrderAmount = Number(o.Amount.Amount.String())
	}
	if o.PeriodCount != 0 {
		oi.PeriodNumber = Number(strconv.Itoa(o.PeriodCount))
	}
	for _, p := range o.Products {
		oi.ProductInfo = append(oi.ProductInfo, wireProduct(p))
	}
	for _, k := range slices.Sorted(maps.Keys(o.Extra)) {
		oi.ExtendParams = append(oi.ExtendParams, ExtendParam{Name: Text(k), Value: Text(o.Extra[k])})
	}
	w.OrderInfo = []OrderInfo{oi}
	return w, nil
}

// createFromWire reads a newInstance body. The order details are
// informative (the seller should query the order), so values that cannot
// be parsed are left zero instead of failing the order; so are buyer phone
// and e-mail that do not decrypt.
func (h *Handler) createFromWire(w *NewInstanceRequest) provisioning.CreateRequest {
	r := provisioning.CreateRequest{
		OrderID: trim(w.OrderID), OrderLineID: trim(w.OrderLineID), BusinessID: trim(w.BusinessID),
		ProductID: trim(w.ProductID), Test: isTest(w.TestFlag),
	}
	if b := w.BuyerInfo; b != nil {
		r.Buyer = provisioning.Buyer{
			CustomerID: trim(b.CustomerID), CustomerName: trim(b.CustomerName), UserID: trim(b.UserID), UserName: trim(b.UserName),
			MobilePhone: h.decryptLenient(b.MobilePhone), Email: h.decryptLenient(b.Email),
		}
	}
	if len(w.OrderInfo) == 0 {
		return r
	}
	oi := w.OrderInfo[0]
	if r.BusinessID == "" {
		r.BusinessID = trim(oi.BusinessID)
	}
	if r.OrderID == "" {
		r.OrderID = trim(oi.OrderID)
	}
	d := &r.Order
	d.Trial = isTest(oi.TrialFlag)
	d.PeriodType = strings.ToLower(trim(oi.PeriodType))
	d.ProvisionType = trim(oi.ProvisionType)
	switch strings.ToUpper(trim(oi.ChargingMode)) {
	case chargingPeriod:
		switch d.PeriodType {
		case "year":
			r.Mode = billing.Yearly
		case "month":
			r.Mode = billing.Monthly
		}
	case chargingOneTime:
		r.Mode = billing.OneTime
	case chargingOnDemand:
		r.Mode = billing.PayPerUse
	}
	if amt, err := billing.ParseAmount(strings.TrimSpace(string(oi.OrderAmount))); err == nil {
		d.Amount, _ = billing.NewMoney(amt, h.cfg.currency)
	}
	if n, ok := parseInt(oi.PeriodNumber); ok && n >= 0 && n <= 1<<31-1 {
		d.PeriodCount = int(n)
	}
	for _, p := range oi.ProductInfo {
		pi, _ := productFromWire(p)
		d.Products = append(d.Products, pi)
	}
	if r.ProductID == "" && len(d.Products) > 0 {
		r.ProductID = d.Products[0].ProductID
	}
	d.CreatedAt, _ = parseWireTime(oi.CreateTime, h.cfg.location)
	d.ExpiresAt, _ = parseWireTime(oi.ExpireTime, h.cfg.location)
	for _, p := range oi.ExtendParams {
		if d.Extra == nil {
			d.Extra = make(map[string]string, len(oi.ExtendParams))
		}
		d.Extra[string(p.Name)] = string(p.Value)
	}
	return r
}

func trim(t Text) string { return strings.TrimSpace(string(t)) }

// splitIDs splits queryInstance's comma-separated instanceId, dropping
// blanks.
func splitIDs(t Text) []string {
	var ids []string
	for id := range strings.SplitSeq(string(t), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// appInfoToWire encrypts the password for the wire.
func appInfoToWire(a *provisioning.AppInfo, cr *Crypter, t EncryptType) (*AppInfo, error) {
	if a == nil {
		return nil, nil
	}
	w := &AppInfo{
		FrontEndURL: Text(a.FrontEndURL), AdminURL: Text(a.AdminURL), UserName: Text(a.UserName), Memo: Text(a.Memo),
	}
	if !a.Password.IsZero() {
		enc, err := cr.Encrypt(t, a.Password.Reveal())
		if err != nil {
			return nil, err
		}
		w.Password = Text(enc)
		w.EncryptType = Text(strconv.Itoa(int(t)))
	}
	return w, nil
}

// appInfoFromWire decrypts the password. The encryptType of the app info
// wins over the response's, which wins over the configured default.
func appInfoFromWire(w *AppInfo, cr *Crypter, outer Text, def EncryptType) (*provisioning.AppInfo, error) {
	if w == nil {
		return nil, nil
	}
	a := &provisioning.AppInfo{
		FrontEndURL: string(w.FrontEndURL), AdminURL: string(w.AdminURL), UserName: string(w.UserName), Memo: string(w.Memo),
	}
	if w.Password == "" {
		return a, nil
	}
	t := def
	for _, s := range []Text{w.EncryptType, outer} {
		if s := trim(s); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || !EncryptType(n).Valid() {
				return nil, &CredentialError{Reason: "unknown encryptType " + quoteShort(s)}
			}
			t = EncryptType(n)
			break
		}
	}
	pw, err := cr.Decrypt(t, string(w.Password))
	if err != nil {
		return nil, err
	}
	a.Password = provisioning.NewSecret(pw)
	return a, nil
}

// resultMessage cuts a message to the wire's 255 characters.
func resultMessage(s string) Text {
	if r := []rune(s); len(r) > provisioning.MaxResultMessage {
		s = string(r[:provisioning.MaxResultMessage])
	}
	return Text(s)
}
