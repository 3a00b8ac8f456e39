package doccodec_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/internal/doccodec"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// documents are the values the stores keep as JSON documents.
func documents() []any {
	return []any{
		&marketplace.Seller{}, &marketplace.Product{}, &marketplace.Order{}, &marketplace.Payment{},
		&marketplace.Account{}, &marketplace.Resource{}, &marketplace.Flow{}, &marketplace.Invoice{},
		&marketplace.UnsubscribeRequest{}, &marketplace.SavedItem{}, &marketplace.IdempotencyRecord{},
		&marketplace.Event{},
	}
}

var (
	moneyType = reflect.TypeFor[billing.Money]()
	timeType  = reflect.TypeFor[time.Time]()
	rawType   = reflect.TypeFor[json.RawMessage]()
	stamp     = time.Date(2026, 11, 23, 7, 0, 0, 123456789, time.UTC)
)

// fill sets every exported field reachable from v to a value that is not
// zero: one element in each slice and map, pointers allocated.
func fill(v reflect.Value, name string, depth int) {
	if depth > 8 || !v.CanSet() {
		return
	}
	switch v.Type() {
	case moneyType:
		v.Set(reflect.ValueOf(billing.MustMoney("1234.5678", "USD")))
		return
	case timeType:
		v.Set(reflect.ValueOf(stamp))
		return
	case rawType:
		v.SetBytes([]byte(`{"k":[1,"x",null,true]}`))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("s-" + name + " <&> é")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), name, depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), name, depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, key := range []string{"b", "a"} {
			k := reflect.New(v.Type().Key()).Elem()
			if k.Kind() != reflect.String {
				return
			}
			k.SetString(key)
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, name, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), v.Type().Field(i).Name, depth+1)
			}
		}
	}
}

// TestSameBytesAsEncodingJSON checks that every document encodes to
// exactly the bytes encoding/json writes, empty and filled, and that what
// either decoder reads encodes back the same.
func TestSameBytesAsEncodingJSON(t *testing.T) {
	for _, doc := range documents() {
		for _, filled := range []bool{false, true} {
			v := reflect.New(reflect.TypeOf(doc).Elem())
			if filled {
				fill(v.Elem(), "", 0)
			}
			name := v.Type().Elem().Name()
			want, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatalf("%s: encoding/json: %v", name, err)
			}
			got, err := doccodec.Marshal(v.Interface())
			if err != nil {
				t.Fatalf("%s: Marshal: %v", name, err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s (filled %v): bytes differ from encoding/json (-want +got):\n%s", name, filled, diff)
			}
			a, b := reflect.New(v.Type().Elem()), reflect.New(v.Type().Elem())
			if err := json.Unmarshal(want, a.Interface()); err != nil {
				t.Fatalf("%s: encoding/json decode: %v", name, err)
			}
			if err := doccodec.Unmarshal(want, b.Interface()); err != nil {
				t.Fatalf("%s: Unmarshal: %v", name, err)
			}
			ra, _ := json.Marshal(a.Interface())
			rb, _ := json.Marshal(b.Interface())
			if diff := cmp.Diff(string(ra), string(rb)); diff != "" {
				t.Errorf("%s (filled %v): decoded values differ (-encoding/json +doccodec):\n%s", name, filled, diff)
			}
			if filled && len(want) < 40 {
				t.Errorf("%s: filled document is suspiciously small: %s", name, want)
			}
		}
	}
}

func TestUnmarshalErrors(t *testing.T) {
	for _, in := range []string{`{`, `{"id":1}`, `[]`, `{"balance":{"amount":"x","currency":"USD"}}`} {
		var a marketplace.Account
		if err := doccodec.Unmarshal([]byte(in), &a); err == nil {
			t.Errorf("Unmarshal(%s) = nil error, want one", in)
		}
		if err := json.Unmarshal([]byte(in), &a); err == nil {
			t.Errorf("encoding/json accepts %s: the case does not test an error", in)
		}
	}
}

func FuzzUnmarshalMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{`{"id":"a","balance":{"amount":"1.5","currency":"USD"}}`, `{"id":"\u00e9","version":3}`, `null`, `{"credit":true}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var a, b marketplace.Account
		errA := json.Unmarshal(data, &a)
		errB := doccodec.Unmarshal(data, &b)
		if errA != nil {
			return // the codec may be more lenient on input encoding/json refuses; stores only read their own documents
		}
		if errB != nil {
			t.Fatalf("doccodec refuses %q that encoding/json reads: %v", data, errB)
		}
		ra, _ := json.Marshal(a)
		rb, _ := json.Marshal(b)
		if string(ra) != string(rb) {
			t.Fatalf("%q decodes differently:\n%s\n%s", data, ra, rb)
		}
	})
}
