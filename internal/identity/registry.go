package identity

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// System is one registration system of the registry (see docs/security.md
// for the file format). The registry entry is the system's principal.
type System struct {
	// ID is the system's id, the request's sender.system (letters, digits,
	// '-' and '_', at most 64; no dots: it is a word of the status routing
	// key).
	ID string `json:"id"`
	// Name is for operators (dashboards, logs).
	Name string `json:"name,omitempty"`
	// Municipalities are the CBS codes (4 digits) the system may send for.
	Municipalities []string `json:"municipalities"`
	// LegalBases are the legal_basis kinds the system may use: consent,
	// legal_obligation, safety_override.
	LegalBases []string `json:"legal_bases"`
	// Certificate says how the system's client certificate is recognised
	// (HTTP over mutual TLS); nil: the system does not use HTTP.
	Certificate *CertificateMatch `json:"certificate,omitempty"`
	// BrokerUser is the RabbitMQ user the system publishes with (the
	// broker-validated user-id of its messages); empty: the system does not
	// use AMQP.
	BrokerUser string `json:"broker_user,omitempty"`
	// ReceivesFor are the municipalities (a subset of Municipalities) whose
	// inbound provider messages (305, 307, 315, 317, 323) this system
	// receives on its queue sluis.system.<id>.inbound (docs/inbound.md).
	// At most one system receives for a municipality; a municipality no
	// system receives for has its inbound messages parked (no_system).
	// Receiving needs a BrokerUser (the queue is read over AMQP).
	ReceivesFor []string `json:"receives_for,omitempty"`
}

// CertificateMatch recognises a client certificate (already verified
// against the configured CA) by its subject. Every field that is set must
// match; at least one must be set. In production use the organisation
// number (OIN or KvK), which the CA vouches for; the common name alone is
// only as good as the CA's control over it.
type CertificateMatch struct {
	// SubjectCN is the subject's common name, compared exactly.
	SubjectCN string `json:"subject_cn,omitempty"`
	// OIN is the 20-digit Organisatie-identificatienummer in the subject's
	// serialNumber (PKIoverheid).
	OIN string `json:"oin,omitempty"`
	// KvK is the 8-digit Chamber of Commerce number in the subject's
	// organizationIdentifier, as "NTRNL-" + KvK (ETSI EN 319 412-1).
	KvK string `json:"kvk,omitempty"`
}

// Registry is an immutable set of registration systems. It is safe for
// concurrent use.
type Registry struct {
	systems []System // in file order
	byID    map[string]int
	byUser  map[string]int
	// receiver: municipality → index of the system that receives for it.
	receiver map[string]int
}

var (
	systemIDRe     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	municipalityRe = regexp.MustCompile(`^[0-9]{4}$`)
	brokerUserRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$`)
	oinRe          = regexp.MustCompile(`^[0-9]{20}$`)
	kvkRe          = regexp.MustCompile(`^[0-9]{8}$`)
)

var knownBases = []string{BasisConsent, BasisLegalObligation, BasisSafetyOverride}

// New checks and indexes systems. Every problem is an ErrInvalidRegistry
// naming the entry (its position and id) and the field.
func New(systems []System) (*Registry, error) {
	r := &Registry{byID: map[string]int{}, byUser: map[string]int{}, receiver: map[string]int{}}
	for i, s := range systems {
		entry := fmt.Sprintf("system %d", i+1)
		if s.ID != "" {
			entry = fmt.Sprintf("system %d (%s)", i+1, s.ID)
		}
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalidRegistry, entry, err)
		}
		if j, dup := r.byID[s.ID]; dup {
			return nil, fmt.Errorf("%w: %s: id: also system %d's", ErrInvalidRegistry, entry, j+1)
		}
		if s.BrokerUser != "" {
			if j, dup := r.byUser[s.BrokerUser]; dup {
				return nil, fmt.Errorf("%w: %s: broker_user: also system %d's", ErrInvalidRegistry, entry, j+1)
			}
			r.byUser[s.BrokerUser] = i
		}
		if s.Certificate != nil {
			for j, o := range r.systems {
				if o.Certificate != nil && s.Certificate.overlaps(*o.Certificate) {
					return nil, fmt.Errorf("%w: %s: certificate: a certificate could match system %d too", ErrInvalidRegistry, entry, j+1)
				}
			}
		}
		for _, m := range s.ReceivesFor {
			if j, dup := r.receiver[m]; dup {
				return nil, fmt.Errorf("%w: %s: receives_for: %s is also received by system %d", ErrInvalidRegistry, entry, m, j+1)
			}
			r.receiver[m] = i
		}
		r.byID[s.ID] = i
		r.systems = append(r.systems, s.clone())
	}
	return r, nil
}

// clone copies s deeply, so the registry stays immutable whatever callers
// do with what it returns.
func (s System) clone() System {
	s.Municipalities = slices.Clone(s.Municipalities)
	s.LegalBases = slices.Clone(s.LegalBases)
	s.ReceivesFor = slices.Clone(s.ReceivesFor)
	if s.Certificate != nil {
		c := *s.Certificate
		s.Certificate = &c
	}
	return s
}

// check validates one entry on its own and names the bad field.
func (s System) check() error {
	if !systemIDRe.MatchString(s.ID) {
		return fmt.Errorf("id: must be 1-64 letters, digits, '-' or '_'")
	}
	if len(s.Municipalities) == 0 {
		return fmt.Errorf("municipalities: at least one CBS code is required")
	}
	for k, m := range s.Municipalities {
		if !municipalityRe.MatchString(m) {
			return fmt.Errorf("municipalities[%d]: %q is not a 4-digit CBS code", k, m)
		}
		if slices.Index(s.Municipalities, m) != k {
			return fmt.Errorf("municipalities[%d]: %s listed twice", k, m)
		}
	}
	if len(s.LegalBases) == 0 {
		return fmt.Errorf("legal_bases: at least one of %s is required", strings.Join(knownBases, ", "))
	}
	for k, b := range s.LegalBases {
		if !slices.Contains(knownBases, b) {
			return fmt.Errorf("legal_bases[%d]: %q is not one of %s", k, b, strings.Join(knownBases, ", "))
		}
		if slices.Index(s.LegalBases, b) != k {
			return fmt.Errorf("legal_bases[%d]: %s listed twice", k, b)
		}
	}
	for k, m := range s.ReceivesFor {
		switch {
		case !slices.Contains(s.Municipalities, m):
			return fmt.Errorf("receives_for[%d]: %q is not one of the system's municipalities", k, m)
		case slices.Index(s.ReceivesFor, m) != k:
			return fmt.Errorf("receives_for[%d]: %s listed twice", k, m)
		}
	}
	if len(s.ReceivesFor) > 0 && s.BrokerUser == "" {
		return fmt.Errorf("receives_for: a receiving system needs a broker_user to read its inbound queue")
	}
	if s.Certificate == nil && s.BrokerUser == "" {
		return fmt.Errorf("certificate, broker_user: the system needs at least one way to authenticate")
	}
	if s.BrokerUser != "" && !brokerUserRe.MatchString(s.BrokerUser) {
		return fmt.Errorf("broker_user: must be 1-128 letters, digits, '.', '_', '@' or '-'")
	}
	if c := s.Certificate; c != nil {
		switch {
		case c.SubjectCN == "" && c.OIN == "" && c.KvK == "":
			return fmt.Errorf("certificate: set at least one of subject_cn, oin, kvk")
		case c.SubjectCN != strings.TrimSpace(c.SubjectCN) || len(c.SubjectCN) > 64:
			return fmt.Errorf("certificate.subject_cn: at most 64 characters, no surrounding spaces")
		case c.OIN != "" && !oinRe.MatchString(c.OIN):
			return fmt.Errorf("certificate.oin: must be 20 digits")
		case c.KvK != "" && !kvkRe.MatchString(c.KvK):
			return fmt.Errorf("certificate.kvk: must be 8 digits")
		}
	}
	return nil
}

// overlaps reports whether c and o are not told apart: they set a common
// attribute to the same value and no common attribute to different values,
// so every certificate that matches the narrower also matches the other.
// Entries on different attributes (one by OIN, another by KvK) may load; a
// certificate that matches both is refused at lookup (ErrUnknownCertificate).
func (c CertificateMatch) overlaps(o CertificateMatch) bool {
	shared, differ := false, false
	for _, p := range [][2]string{{c.SubjectCN, o.SubjectCN}, {c.OIN, o.OIN}, {c.KvK, o.KvK}} {
		if p[0] == "" || p[1] == "" {
			continue
		}
		if p[0] == p[1] {
			shared = true
		} else {
			differ = true
		}
	}
	return shared && !differ
}

// Load reads a registry file: a JSON array of systems. Unknown fields,
// trailing data and every invalid entry are errors.
func Load(path string) (*Registry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("system registry: %w", err)
	}
	return parse(b, path)
}

//go:embed development.json
var development []byte

// Development is the embedded registry of development systems, used by
// `make run` only (never without a development setting).
func Development() (*Registry, error) {
	return parse(development, "embedded development registry")
}

func parse(b []byte, name string) (*Registry, error) {
	var raws []json.RawMessage
	if err := decodeStrict(b, &raws); err != nil {
		return nil, fmt.Errorf("system registry %s: %w: %w", name, ErrInvalidRegistry, err)
	}
	systems := make([]System, len(raws))
	for i, raw := range raws {
		if err := decodeStrict(raw, &systems[i]); err != nil {
			return nil, fmt.Errorf("system registry %s: %w: system %d: %w", name, ErrInvalidRegistry, i+1, err)
		}
	}
	r, err := New(systems)
	if err != nil {
		return nil, fmt.Errorf("system registry %s: %w", name, err)
	}
	return r, nil
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// anything after the value.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

// Get returns the system with this id, or ErrUnknownSystem.
func (r *Registry) Get(id string) (System, error) {
	i, ok := r.byID[id]
	if !ok {
		return System{}, ErrUnknownSystem
	}
	return r.systems[i].clone(), nil
}

// ByBrokerUser returns the system that publishes as this broker user (the
// broker-validated user-id of a message), or ErrUnknownBrokerUser (also for
// an empty user).
func (r *Registry) ByBrokerUser(user string) (System, error) {
	i, ok := r.byUser[user]
	if !ok || user == "" {
		return System{}, ErrUnknownBrokerUser
	}
	return r.systems[i].clone(), nil
}

// Receiver returns the system that receives the inbound provider messages
// of a municipality, or ErrNoReceiver.
func (r *Registry) Receiver(municipality string) (System, error) {
	i, ok := r.receiver[municipality]
	if !ok {
		return System{}, fmt.Errorf("%w: %s", ErrNoReceiver, municipality)
	}
	return r.systems[i].clone(), nil
}

// Receivers lists the ids of the systems that receive for a municipality,
// sorted (each gets an inbound queue).
func (r *Registry) Receivers() []string {
	var out []string
	for _, s := range r.systems {
		if len(s.ReceivesFor) > 0 {
			out = append(out, s.ID)
		}
	}
	sort.Strings(out)
	return out
}

// IDs lists the registered system ids, sorted.
func (r *Registry) IDs() []string {
	out := make([]string, 0, len(r.systems))
	for _, s := range r.systems {
		out = append(out, s.ID)
	}
	sort.Strings(out)
	return out
}

// Systems returns the entries in file order.
func (r *Registry) Systems() []System {
	out := make([]System, len(r.systems))
	for i, s := range r.systems {
		out[i] = s.clone()
	}
	return out
}
