package messages

import (
	_ "embed"
	"strings"
)

// gemeentenCBS is the CBS "Gemeentelijke indeling op 1 januari 2026": one
// gemeente a line, "code<TAB>name", sorted by code (342 gemeenten).
//
// Source: github.com/i-Sociaal-Lab/jaapjunior, file
// packages/api/wmo/bronnen/codelijsten/CBS_Gemeentecodes.md at commit
// 876f2e7eb925807e9a066ca156bfa5e18b4f65b9 (the iStandaarden knowledge base
// of staff of the Ketenbureau i-Sociaal Domein, also the source of the
// embedded XSDs), which points to
// https://www.cbs.nl/nl-nl/onze-diensten/methoden/classificaties/overig/gemeentelijke-indelingen-per-jaar/indeling-per-jaar/gemeentelijke-indeling-op-1-januari-2026.
// That file's title and "Peildatum" say 1 January 2025 while it cites the
// 2026 page; there were no municipal redivisions on 1 January 2026, so
// both lists hold the same 342 codes. Only code and name were kept.
// Re-check against the CBS page when a redivision takes effect (the next
// ones are announced there) and replace this file.
//
//go:embed gemeenten_cbs.tsv
var gemeentenCBS string

// GemeentenListDate is the date of the embedded CBS gemeente list.
const GemeentenListDate = "2026-01-01"

var gemeenten = func() map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(gemeentenCBS), "\n") {
		code, name, _ := strings.Cut(line, "\t")
		m[code] = name
	}
	return m
}()

// GemeenteName returns the name of the gemeente with CBS code code in the
// embedded list (GemeentenListDate), false when the code is not in it
// (TR378, retourcode S300).
func GemeenteName(code string) (string, bool) {
	n, ok := gemeenten[code]
	return n, ok
}
