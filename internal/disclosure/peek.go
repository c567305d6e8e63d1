package disclosure

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
)

// Envelope is what can be read from a request that failed validation, to
// record it and route a status event to its sender. Fields that do not have
// their contract form are left empty.
type Envelope struct {
	ID           string
	Municipality string
	System       string
}

var (
	uuidRe   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	gemRe    = regexp.MustCompile(`^[0-9]{4}$`)
	systemRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
)

// Peek reads the id and sender of a request leniently. It reads at most the
// first MaxRequestBytes of data, token by token, so an oversized or broken
// request costs no more than a request at the limit: it yields what that
// prefix holds.
func Peek(data []byte) Envelope {
	if len(data) > MaxRequestBytes {
		data = data[:MaxRequestBytes]
	}
	var id, municipality, system string
	dec := json.NewDecoder(bytes.NewReader(data))
	// Best effort: any error ends the walk with what was read so far.
	_ = walkObject(dec, func(key string) error {
		switch key {
		case "id":
			return str(dec, &id)
		case "sender":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return err
			}
			sub := json.NewDecoder(bytes.NewReader(raw))
			return walkObject(sub, func(key string) error {
				switch key {
				case "municipality":
					return str(sub, &municipality)
				case "system":
					return str(sub, &system)
				}
				return skip(sub)
			})
		}
		return skip(dec)
	})
	s := func(v string, re *regexp.Regexp) string {
		if re.MatchString(v) {
			return v
		}
		return ""
	}
	return Envelope{
		ID:           s(id, uuidRe),
		Municipality: s(municipality, gemRe),
		System:       s(system, systemRe),
	}
}

// errNotObject ends a walk when a field name is not where one belongs.
var errNotObject = errors.New("not an object")

// walkObject reads an object, calling field for each key with the decoder
// placed before its value; field must consume the value. Anything but an
// object yields no fields, as json.Unmarshal skips a mismatch.
func walkObject(dec *json.Decoder, field func(key string) error) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := t.(string)
		if !ok {
			return errNotObject
		}
		if err := field(key); err != nil {
			return err
		}
	}
	_, err = dec.Token() // '}'
	return err
}

// str reads one value, keeping it in v when it is a string: only strings
// have the contract form Peek looks for.
func str(dec *json.Decoder, v *string) error {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		*v = s
	} else {
		*v = ""
	}
	return nil
}

// skip consumes one value as raw bytes: one copy, not an allocation per
// token.
func skip(dec *json.Decoder) error {
	var v json.RawMessage
	return dec.Decode(&v)
}
