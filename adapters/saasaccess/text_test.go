package saasaccess_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/saasaccess"
)

func TestNumberAndText(t *testing.T) {
	var v struct {
		N []saasaccess.Number `json:"n"`
		T []saasaccess.Text   `json:"t"`
	}
	if err := json.Unmarshal([]byte(`{"n":[1,"2.50",-3e2,null,"abc"],"t":["s",1.5,false,null]}`), &v); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]saasaccess.Number{"1", "2.50", "-3e2", "", "abc"}, v.N); d != "" {
		t.Errorf("numbers (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]saasaccess.Text{"s", "1.5", "false", ""}, v.T); d != "" {
		t.Errorf("texts (-want +got):\n%s", d)
	}
	out, err := json.Marshal(v.N)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), `[1,2.50,-3e2,"","abc"]`; got != want {
		t.Errorf("marshal = %s, want %s", got, want)
	}
	for _, bad := range []string{`{}`, `[]`, `nul`, `tru`, `01`, `"\x"`, ` `} {
		var n saasaccess.Number
		if err := n.UnmarshalJSON([]byte(bad)); !errors.Is(err, saasaccess.ErrBadRequest) {
			t.Errorf("Number(%s) = %q, %v; want ErrBadRequest", bad, n, err)
		}
	}
}
