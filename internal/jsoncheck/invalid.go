package jsoncheck

import "strings"

// Kind names what kind of document an InvalidError is about: its Err is the
// sentinel the error matches (errors.Is) and the start of its text.
// Implementations are empty structs.
type Kind interface {
	Err() error
}

// InvalidError lists the problems of one kind of document (K), by path and
// rule, never by value: its text is safe to return to the sender and to
// log. Each contract declares its own instance (disclosure.InvalidError,
// register.InvalidError), so errors.As tells them apart.
type InvalidError[K Kind] struct {
	Problems []Problem
}

func (e *InvalidError[K]) Error() string {
	var k K
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return k.Err().Error() + ": " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, K's sentinel) true.
func (e *InvalidError[K]) Is(target error) bool {
	var k K
	return target == k.Err()
}
