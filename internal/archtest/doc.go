// Package archtest holds the tests of the module's structure: which
// packages may import which. It has no code of its own; `make lint` and
// `make test` run its tests.
package archtest
