package provisioning

import (
	"fmt"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// VM name rules.
const (
	// MaxNameLength bounds a VM name, including any "-0001" suffix.
	MaxNameLength = 64
	// maxSerial is the largest four-digit suffix.
	maxSerial = 9999
	// serialSuffix is the length of "-0001".
	serialSuffix = 5
)

// CheckName checks a requested VM name: 1 to MaxNameLength characters of
// letters, digits, '_', '-' and '.'. The limit and the character set are
// those of Huawei Cloud ECS names (the purchase page does not state them).
//
// Errors: *FieldError (ErrInvalidInput) with Rule RuleRequired,
// RuleMaxLength or RuleFormat.
func CheckName(field, name string) error {
	var c checker
	checkName(&c, field, name)
	return c.err()
}

func checkName(c *checker, field, name string) {
	if name == "" {
		c.add(field, RuleRequired, nil, "is required")
		return
	}
	c.maxLen(field, name, MaxNameLength)
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '.' {
			c.add(field, RuleFormat, truncate(name), "may contain only letters, digits, '_', '-' and '.'")
			return
		}
	}
}

// Names returns the names of quantity VMs requested as name, given the
// names of the account's existing VMs. It is the purchase page's rule:
//
//   - one VM keeps name as it is; if a VM already has that name and
//     allowDuplicate is false, that is a *NameConflictError;
//   - several VMs get a hyphen and a four-digit number, continuing after the
//     highest number already used with that name: "ecs" with none existing
//     gives ecs-0001, ecs-0002, ...; if ecs-0010 exists the next is
//     ecs-0011. Numbered names never collide, so allowDuplicate does not
//     matter for them.
//
// Errors: *FieldError (ErrInvalidInput) for a bad name, a quantity outside
// 1..MaxQuantity, or a name too long for its suffix; *NameConflictError
// (ErrNameConflict) for a taken single name or numbers past 9999.
func Names(name string, quantity int, existing []string, allowDuplicate bool) ([]string, error) {
	if err := checkNameQuantity(name, quantity); err != nil {
		return nil, err
	}
	if quantity == 1 {
		if !allowDuplicate && slices.Contains(existing, name) {
			return nil, &NameConflictError{Name: name, Reason: "a VM with this name already exists"}
		}
		return []string{name}, nil
	}
	return NumberedNames(name, quantity, existing)
}

// NumberedNames always numbers: quantity names "name-NNNN" continuing after
// the highest number among existing names of that form. Quick provisioning
// uses it with quantity 1, where the buyer types no name and a collision
// must not stop the purchase.
//
// Errors: as Names.
func NumberedNames(name string, quantity int, existing []string) ([]string, error) {
	if err := checkNameQuantity(name, quantity); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(name)+serialSuffix > MaxNameLength {
		return nil, &FieldError{Field: "name", Rule: RuleMaxLength, Value: truncate(name),
			Reason: fmt.Sprintf("must be at most %d characters to leave room for the -0001 suffix", MaxNameLength-serialSuffix)}
	}
	highest := 0
	for _, e := range existing {
		if n, ok := serialOf(name, e); ok && n > highest {
			highest = n
		}
	}
	if highest+quantity > maxSerial {
		return nil, &NameConflictError{Name: name,
			Reason: fmt.Sprintf("numbers would run past %04d (highest in use %04d, %d requested)", maxSerial, highest, quantity)}
	}
	out := make([]string, quantity)
	var digits [4]byte
	for i := range out {
		n := highest + 1 + i
		for j := len(digits) - 1; j >= 0; j-- {
			digits[j] = '0' + byte(n%10)
			n /= 10
		}
		out[i] = name + "-" + string(digits[:])
	}
	return out, nil
}

func checkNameQuantity(name string, quantity int) error {
	var c checker
	checkName(&c, "name", name)
	checkQuantity(&c, quantity)
	return c.err()
}

// serialOf parses "name-NNNN" (exactly four digits) and returns NNNN.
func serialOf(name, candidate string) (int, bool) {
	if len(candidate) != len(name)+serialSuffix || candidate[:len(name)] != name || candidate[len(name)] != '-' {
		return 0, false
	}
	digits := candidate[len(name)+1:]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}
