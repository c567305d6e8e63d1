package breach

import (
	"context"
	"fmt"
	"time"

	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/messages"
)

// APForm is the export for the Autoriteit Persoonsgegevens' notification
// form ("meldformulier datalekken"): its sections, in Dutch, filled from the
// register, for a privacy officer to copy into the AP's form (the AP takes
// notifications only through its own web form). Fields sluis cannot know
// (the contact person, the organisation's own registration number) are
// left for the officer. docs/breaches.md maps each field.
type APForm struct {
	Formulier   string         `json:"formulier"`
	Organisatie APOrganisatie  `json:"organisatie"`
	Melding     APMelding      `json:"melding"`
	Tijdlijn    APTijdlijn     `json:"tijdlijn"`
	Inbreuk     APInbreuk      `json:"inbreuk"`
	Betrokkenen APBetrokkenen  `json:"betrokkenen"`
	Gevolgen    string         `json:"gevolgen"`
	Maatregelen string         `json:"maatregelen"`
	Informeren  APInformeren   `json:"informeren_betrokkenen"`
	Bron        APBronRegister `json:"bron"`
}

// APOrganisatie is the controller.
type APOrganisatie struct {
	Gemeentecode string `json:"gemeentecode"`
	Naam         string `json:"naam"`
}

// APMelding is the notification itself.
type APMelding struct {
	Samenvatting        string `json:"samenvatting"`
	Meldplichtig        string `json:"meldplichtig"` // ja | nee | nog niet beoordeeld
	RedenNietMelden     string `json:"reden_niet_melden,omitempty"`
	ReferentieAP        string `json:"referentie_ap,omitempty"`
	RedenVertraging     string `json:"reden_vertraging,omitempty"`
	GrensOverschrijdend bool   `json:"grensoverschrijdend"`
}

// APTijdlijn is when it happened, was found and was notified.
type APTijdlijn struct {
	OntstaanVanaf string `json:"ontstaan_vanaf,omitempty"`
	OntstaanTot   string `json:"ontstaan_tot,omitempty"`
	Ontdekt       string `json:"ontdekt"`
	UiterlijkAP   string `json:"uiterlijk_melden_ap"`
	GemeldAP      string `json:"gemeld_ap,omitempty"`
}

// APInbreuk is the nature of the breach.
type APInbreuk struct {
	Soort            []string `json:"soort"`
	Persoonsgegevens []string `json:"soort_persoonsgegevens"`
}

// APBetrokkenen are the numbers.
type APBetrokkenen struct {
	AantalPersonen int `json:"aantal_personen_bij_benadering"`
	AantalRecords  int `json:"aantal_records_bij_benadering"`
	// BekendInRegister is how many clients the register itself names.
	BekendInRegister int `json:"bekend_in_register"`
}

// APInformeren is the informing of the data subjects (art. 34).
type APInformeren struct {
	Geinformeerd string `json:"geinformeerd_op,omitempty"`
	RedenNiet    string `json:"reden_niet_geinformeerd,omitempty"`
}

// APBronRegister points back to the register entry.
type APBronRegister struct {
	Incident string `json:"incident"`
	Bron     string `json:"bron"`
	Versie   int    `json:"versie"`
}

var soortNL = map[string]string{
	KindConfidentiality: "vertrouwelijkheid (inzage door onbevoegden)",
	KindIntegrity:       "integriteit (gegevens gewijzigd of niet betrouwbaar)",
	KindAvailability:    "beschikbaarheid (gegevens verloren of niet bereikbaar)",
}

var categorieNL = map[category.Category]string{
	category.Identification: "identificerende gegevens (naam, BSN, geboortedatum)",
	category.Contact:        "contactgegevens (adres, telefoon, e-mail)",
	category.Communication:  "communicatievoorkeuren (taal, communicatievorm)",
	category.Relations:      "relaties (contactpersonen, vertegenwoordigers)",
	category.CareAssignment: "toewijzing van zorg of ondersteuning (gezondheid, bijzondere persoonsgegevens)",
	category.LegalStatus:    "juridische status (bijv. maatregel jeugdbescherming)",
	category.FreeText:       "vrije tekst (kan alles bevatten)",
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// APExport fills the AP form from a confirmed incident; the export is a
// ledger entry.
func (r *Register) APExport(ctx context.Context, o Officer, id string) (APForm, error) {
	inc, err := r.get(ctx, o, id)
	if err != nil {
		return APForm{}, err
	}
	if inc.State != Confirmed {
		return APForm{}, fmt.Errorf("%s is %s (only a confirmed breach is notified): %w", inc.ID, inc.State, ErrState)
	}
	name, _ := messages.GemeenteName(o.Municipality)
	f := APForm{
		Formulier:   "Autoriteit Persoonsgegevens, meldformulier datalekken (AVG art. 33)",
		Organisatie: APOrganisatie{Gemeentecode: o.Municipality, Naam: name},
		Melding: APMelding{Samenvatting: inc.Summary, ReferentieAP: inc.APReference,
			RedenNietMelden: inc.APNotRequiredReason, RedenVertraging: inc.APNotificationDelay},
		Tijdlijn: APTijdlijn{OntstaanVanaf: stamp(inc.OccurredFrom), OntstaanTot: stamp(inc.OccurredUntil),
			Ontdekt: stamp(inc.AwareAt), UiterlijkAP: stamp(inc.APDue()), GemeldAP: stamp(inc.APNotifiedAt)},
		Inbreuk:     APInbreuk{Soort: []string{}, Persoonsgegevens: []string{}},
		Betrokkenen: APBetrokkenen{AantalPersonen: inc.SubjectsApprox, AantalRecords: inc.RecordsApprox, BekendInRegister: len(inc.ClientKeys)},
		Gevolgen:    inc.Consequences,
		Maatregelen: inc.Measures,
		Informeren:  APInformeren{Geinformeerd: stamp(inc.SubjectsInformedAt), RedenNiet: inc.SubjectsNotInformed},
		Bron:        APBronRegister{Incident: inc.ID, Bron: string(inc.Source), Versie: inc.Version},
	}
	switch inc.APNotification {
	case APRequired:
		f.Melding.Meldplichtig = "ja"
	case APNotRequired:
		f.Melding.Meldplichtig = "nee"
	default:
		f.Melding.Meldplichtig = "nog niet beoordeeld"
	}
	for _, k := range inc.Kinds {
		f.Inbreuk.Soort = append(f.Inbreuk.Soort, soortNL[k])
	}
	for _, c := range inc.Categories {
		f.Inbreuk.Persoonsgegevens = append(f.Inbreuk.Persoonsgegevens, categorieNL[category.Category(c)])
	}
	if _, err := r.store.Append(ctx, "", EventExported, map[string]string{"incident": inc.ID, "municipality": o.Municipality}); err != nil {
		return APForm{}, fmt.Errorf("record the export: %w", err)
	}
	return f, nil
}
