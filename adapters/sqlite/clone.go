package sqlite

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// Deep copies of decoded documents, for the document cache (doccache.go):
// a cached value is shared by every later read of the same row version, so
// each read gets its own copy, and nothing a caller does to what it got
// (appending to a slice, writing through a pointer, filling a map) reaches
// the cache or another caller.
//
// A clone is a plain assignment of the value followed by a fix-up that
// replaces every pointer, slice and map reachable from it with a fresh copy.
// The fix-up is planned once per type by reflection. Types whose values
// cannot be copied this way are reported by cloneFor and never cached:
// interfaces, functions and channels (what they refer to is unknown), and
// structs with unexported fields that hold references (they cannot be set).
// time.Time and decimal.Decimal hold pointers in unexported fields but are
// immutable values (no method changes what a value refers to), so they are
// copied by assignment like a string.

// errNotClonable is wrapped by cloneFor for a type it cannot deep-copy.
var errNotClonable = errors.New("sqlite: type cannot be deep-copied")

// immutable are struct types with unexported reference fields whose values
// never change what they refer to.
var immutable = map[reflect.Type]bool{
	reflect.TypeFor[time.Time]():       true,
	reflect.TypeFor[decimal.Decimal](): true,
}

// fixup replaces the references held by v (addressable, of the type it was
// planned for) with fresh deep copies.
type fixup func(v reflect.Value)

// clonePlan is the fix-up of one type; fix is nil when assignment alone is
// a deep copy (no references). Pointer, slice and map plans set fix before
// planning their element, so a recursive type (which can only recur through
// them) finds its own plan's fix already set.
type clonePlan struct {
	fix fixup
}

var (
	clonePlansMu sync.Mutex
	clonePlans   = map[reflect.Type]*clonePlan{}
	cloneErrs    = map[reflect.Type]error{}
)

// cloneFor returns the plan that deep-copies values of t.
//
// Errors: errNotClonable (wrapped, naming the field) when t holds an
// interface, function, channel or unsafe pointer, or a struct with an
// unexported field that holds references.
func cloneFor(t reflect.Type) (*clonePlan, error) {
	clonePlansMu.Lock()
	defer clonePlansMu.Unlock()
	if err := cloneErrs[t]; err != nil {
		return nil, err
	}
	if p := clonePlans[t]; p != nil {
		return p, nil
	}
	building := map[reflect.Type]*clonePlan{}
	p, err := planClone(t, building)
	if err != nil {
		cloneErrs[t] = err
		return nil, err
	}
	for bt, bp := range building {
		clonePlans[bt] = bp
	}
	return p, nil
}

// planClone builds t's plan; building holds the plans of the types being
// planned (for recursive types) and, on success, every plan made.
func planClone(t reflect.Type, building map[reflect.Type]*clonePlan) (*clonePlan, error) {
	if p := clonePlans[t]; p != nil {
		return p, nil
	}
	if p := building[t]; p != nil {
		return p, nil
	}
	p := &clonePlan{}
	building[t] = p
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return p, nil
	case reflect.Pointer:
		var elem *clonePlan
		p.fix = func(v reflect.Value) {
			if v.IsNil() {
				return
			}
			n := reflect.New(t.Elem())
			n.Elem().Set(v.Elem())
			if elem.fix != nil {
				elem.fix(n.Elem())
			}
			v.Set(n)
		}
		var err error
		if elem, err = planClone(t.Elem(), building); err != nil {
			return nil, err
		}
		return p, nil
	case reflect.Slice:
		var elem *clonePlan
		p.fix = func(v reflect.Value) {
			if v.IsNil() {
				return
			}
			n := reflect.MakeSlice(t, v.Len(), v.Len())
			reflect.Copy(n, v)
			if elem.fix != nil {
				for i := range n.Len() {
					elem.fix(n.Index(i))
				}
			}
			v.Set(n)
		}
		var err error
		if elem, err = planClone(t.Elem(), building); err != nil {
			return nil, err
		}
		return p, nil
	case reflect.Map:
		var elem *clonePlan
		p.fix = func(v reflect.Value) {
			if v.IsNil() {
				return
			}
			n := reflect.MakeMapWithSize(t, v.Len())
			it := v.MapRange()
			for it.Next() {
				e := reflect.New(t.Elem()).Elem()
				e.Set(it.Value())
				if elem.fix != nil {
					elem.fix(e)
				}
				n.SetMapIndex(it.Key(), e)
			}
			v.Set(n)
		}
		key, err := planClone(t.Key(), building)
		if err != nil {
			return nil, err
		}
		if key.fix != nil {
			return nil, fmt.Errorf("%w: %s: map key holds references", errNotClonable, t)
		}
		if elem, err = planClone(t.Elem(), building); err != nil {
			return nil, err
		}
		return p, nil
	case reflect.Array:
		elem, err := planClone(t.Elem(), building)
		if err != nil {
			return nil, err
		}
		if elem.fix != nil {
			p.fix = func(v reflect.Value) {
				for i := range v.Len() {
					elem.fix(v.Index(i))
				}
			}
		}
		return p, nil
	case reflect.Struct:
		if immutable[t] {
			return p, nil
		}
		type field struct {
			i   int
			fix fixup
		}
		var fields []field
		for i := range t.NumField() {
			f := t.Field(i)
			fp, err := planClone(f.Type, building)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", t, f.Name, err)
			}
			if fp.fix == nil {
				continue
			}
			if !f.IsExported() {
				return nil, fmt.Errorf("%w: %s.%s: unexported field holds references", errNotClonable, t, f.Name)
			}
			fields = append(fields, field{i, fp.fix})
		}
		if len(fields) > 0 {
			p.fix = func(v reflect.Value) {
				for _, f := range fields {
					f.fix(v.Field(f.i))
				}
			}
		}
		return p, nil
	default: // Interface, Func, Chan, UnsafePointer
		return nil, fmt.Errorf("%w: %s (%s)", errNotClonable, t, t.Kind())
	}
}
