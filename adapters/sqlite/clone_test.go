package sqlite

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opengallery/opengallery/marketplace"
)

// fill sets every field reachable from v (addressable) to a non-zero value:
// pointers to filled values, slices and maps of one filled element, so
// that a clone of it exercises every reference the type can hold.
func fill(t *testing.T, v reflect.Value, depth int) {
	t.Helper()
	if depth > 8 {
		return // recursive types: deep enough
	}
	switch v.Type() {
	case reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2026, 11, 23, 6, 0, 0, 123, time.UTC)))
		return
	case reflect.TypeFor[decimal.Decimal]():
		v.Set(reflect.ValueOf(decimal.RequireFromString("12.34")))
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.String:
		v.SetString("x")
	case reflect.Pointer:
		n := reflect.New(v.Type().Elem())
		fill(t, n.Elem(), depth+1)
		v.Set(n)
	case reflect.Slice:
		n := reflect.MakeSlice(v.Type(), 1, 1)
		fill(t, n.Index(0), depth+1)
		v.Set(n)
	case reflect.Map:
		n := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(t, k, depth+1)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(t, e, depth+1)
		n.SetMapIndex(k, e)
		v.Set(n)
	case reflect.Array:
		for i := range v.Len() {
			fill(t, v.Index(i), depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i), depth+1)
			}
		}
	default:
		t.Fatalf("fill: unexpected %s", v.Type())
	}
}

// shared reports the path of a reference (pointer, slice array, map)
// that a and b, deep-equal values of one type, have in common, or "".
func shared(a, b reflect.Value, path string) string {
	if immutable[a.Type()] {
		return ""
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		return shared(a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.Len() == 0 {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		for i := range a.Len() {
			if p := shared(a.Index(i), b.Index(i), path+"[i]"); p != "" {
				return p
			}
		}
	case reflect.Map:
		if a.Len() == 0 {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		for _, k := range a.MapKeys() {
			if p := shared(a.MapIndex(k), b.MapIndex(k), path+"[k]"); p != "" {
				return p
			}
		}
	case reflect.Array:
		for i := range a.Len() {
			if p := shared(a.Index(i), b.Index(i), path+"[i]"); p != "" {
				return p
			}
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if p := shared(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
				return p
			}
		}
	}
	return ""
}

// clone returns a deep copy of v made with t's plan.
func clone(t *testing.T, v reflect.Value) reflect.Value {
	t.Helper()
	p, err := cloneFor(v.Type())
	if err != nil {
		t.Fatalf("cloneFor(%s): %v", v.Type(), err)
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	if p.fix != nil {
		p.fix(c)
	}
	return c
}

// Every aggregate View reads by id has a clone plan (otherwise it is read
// without the document cache), and a clone of a value with every field set
// is deep-equal to it and shares no reference with it.
func TestClonePlansCoverEveryKind(t *testing.T) {
	for kind, tbl := range tables {
		if viewPlans[kind] == nil {
			t.Errorf("%s (%s): no clone plan: point reads of it bypass the document cache", kind, tbl.name)
		}
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[marketplace.Seller](), reflect.TypeFor[marketplace.Product](), reflect.TypeFor[marketplace.Order](),
		reflect.TypeFor[marketplace.Payment](), reflect.TypeFor[marketplace.Account](), reflect.TypeFor[marketplace.Resource](),
		reflect.TypeFor[marketplace.Flow](), reflect.TypeFor[marketplace.Invoice](), reflect.TypeFor[marketplace.UnsubscribeRequest](),
	} {
		t.Run(typ.Name(), func(t *testing.T) {
			v := reflect.New(typ).Elem()
			fill(t, v, 0)
			c := clone(t, v)
			if !reflect.DeepEqual(v.Interface(), c.Interface()) {
				t.Fatalf("clone differs from the original")
			}
			if p := shared(v, c, typ.Name()); p != "" {
				t.Fatalf("clone shares %s with the original", p)
			}
		})
	}
}

type cloneNode struct {
	Name string
	Next *cloneNode
	Kids []cloneNode
	Tags map[string][]string
	Arr  [2]*int
}

func TestCloneRecursiveType(t *testing.T) {
	one := 1
	v := cloneNode{Name: "a", Next: &cloneNode{Name: "b", Kids: []cloneNode{{Name: "c"}}},
		Tags: map[string][]string{"k": {"v"}}, Arr: [2]*int{&one, nil}}
	c := clone(t, reflect.ValueOf(v)).Interface().(cloneNode)
	if !reflect.DeepEqual(v, c) {
		t.Fatalf("clone = %+v, want %+v", c, v)
	}
	c.Next.Name = "changed"
	c.Next.Kids[0].Name = "changed"
	c.Tags["k"][0] = "changed"
	*c.Arr[0] = 2
	if v.Next.Name != "b" || v.Next.Kids[0].Name != "c" || v.Tags["k"][0] != "v" || one != 1 {
		t.Fatalf("writing to the clone changed the original: %+v", v)
	}
}

func TestCloneRefusesWhatItCannotCopy(t *testing.T) {
	type withUnexportedRef struct {
		A string
		p *int
	}
	type withUnexportedValue struct {
		A string
		n int
	}
	for _, c := range []struct {
		name string
		typ  reflect.Type
		ok   bool
	}{
		{"interface field", reflect.TypeFor[struct{ V any }](), false},
		{"func field", reflect.TypeFor[struct{ F func() }](), false},
		{"chan", reflect.TypeFor[chan int](), false},
		{"map with pointer keys", reflect.TypeFor[map[*int]int](), false},
		{"unexported pointer field", reflect.TypeFor[withUnexportedRef](), false},
		{"unexported value field", reflect.TypeFor[withUnexportedValue](), true},
		{"time and decimal", reflect.TypeFor[struct {
			T time.Time
			D decimal.Decimal
		}](), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := cloneFor(c.typ)
			if c.ok && err != nil {
				t.Fatalf("cloneFor: %v", err)
			}
			if !c.ok && !errors.Is(err, errNotClonable) {
				t.Fatalf("cloneFor = %v, want errNotClonable", err)
			}
		})
	}
}
