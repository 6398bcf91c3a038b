package ocktosim

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Builtin returns the built-in scenarios, their dates relative to ref (the simulator's clock when
// it starts; a fixed time in tests, so the fixtures are deterministic):
//
//	happy         created → scanned → dataAvailable (after two polls); ODM with two employers, a
//	              pension UPO, UWV employment history and 12 months of PSD2 transactions; three AIS
//	              consents (one active, one open, one historical)
//	no-scan       created, created, then expired: the user never scans the QR code
//	refused       created → scanned → refused: the user declines sharing
//	flaky         like happy, but the first request of each kind (per session; per server for
//	              consents) answers 500 with a JSON error body and the second one answers only after
//	              Options.SlowDelay: a client with 2 retries and a timeout below SlowDelay survives it
//	malformed     status, result and consents answer 200 with malformed JSON
//	unresponsive  status, result and consents never answer (until the client gives up)
func Builtin(ref time.Time) map[string]Scenario {
	ref = time.Date(ref.Year(), ref.Month(), ref.Day(), 0, 0, 0, 0, time.UTC)
	odm := mustJSON(happyODM(ref))
	consents := happyConsents(ref)
	happy := Scenario{
		Description: "The user scans the QR code and shares everything: data is available after two polls.",
		Statuses:    []string{"created", "scanned", "dataAvailable"},
		Result:      odm,
		Consents:    consents,
	}
	return map[string]Scenario{
		"happy": happy,
		"no-scan": {
			Description: "The user never scans the QR code: the session expires after three polls.",
			Statuses:    []string{"created", "created", "created", "expired"},
		},
		"refused": {
			Description: "The user scans the QR code and declines to share the data.",
			Statuses:    []string{"created", "scanned", "refused"},
		},
		"flaky": {
			Description: "Like happy, but the first request of each kind fails with 500 and the second is slow.",
			Statuses:    happy.Statuses,
			Result:      odm,
			Consents:    consents,
			Flaky:       true,
		},
		"malformed": {
			Description: "Status, result and consents answer 200 with malformed JSON.",
			Statuses:    happy.Statuses,
			Malformed:   []string{KindStatus, KindResult, KindConsents},
		},
		"unresponsive": {
			Description: "Status, result and consents never answer.",
			Statuses:    happy.Statuses,
			Hang:        []string{KindStatus, KindResult, KindConsents},
		},
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

type obj = map[string]any

func day(t time.Time) string { return t.Format("2006-01-02") }

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// happyODM is a realistic, ODM-like document for a Dutch applicant with two employers.
func happyODM(ref time.Time) obj {
	const (
		iban     = "NL91ABNA0417164300"
		employer = "Bakkerij Van Dijk B.V."
		care     = "Zorggroep Noord B.V."
	)
	// 12 months of transactions, the month before ref last.
	var tx []any
	from := time.Date(ref.Year(), ref.Month()-12, 1, 0, 0, 0, 0, time.UTC)
	balance := 2315.40
	n := 0
	add := func(date time.Time, amount float64, counterparty, counterIBAN, description, category string) {
		n++
		balance = round2(balance + amount)
		tx = append(tx, obj{
			"transactionId":        fmt.Sprintf("TX-%s-%03d", date.Format("200601"), n),
			"bookingDate":          day(date),
			"valueDate":            day(date),
			"amount":               round2(amount),
			"currency":             "EUR",
			"creditDebitIndicator": map[bool]string{true: "CRDT", false: "DBIT"}[amount > 0],
			"counterpartyName":     counterparty,
			"counterpartyIban":     counterIBAN,
			"description":          description,
			"category":             category,
			"balanceAfter":         balance,
		})
	}
	for m := 0; m < 12; m++ {
		month := from.AddDate(0, m, 0)
		label := month.Format("01-2006")
		add(month.AddDate(0, 0, 0), -1250.00, "Woonstichting De Key", "NL20INGB0001234567", "Huur "+label, "housing")
		add(month.AddDate(0, 0, 2), -138.45, "Zilveren Kruis Zorgverzekeringen", "NL69INGB0123456789", "Zorgverzekering "+label, "insurance")
		add(month.AddDate(0, 0, 9), -412.87-float64(m%3)*23.10, "Albert Heijn 1234 Amsterdam", "", "Betaalautomaat boodschappen", "groceries")
		add(month.AddDate(0, 0, 14), -89.00, "Vattenfall Klantenservice", "NL86INGB0002445588", "Termijnbedrag energie", "utilities")
		salary := 2651.12
		if month.Month() == time.May {
			salary += 2980.80 // holiday allowance (vakantiegeld)
		}
		add(month.AddDate(0, 0, 24), salary, employer, "NL02RABO0123456789", "Salaris "+label+" "+employer, "salary")
		add(month.AddDate(0, 0, 27), 1010.34, care, "NL44RABO0987654321", "Loonbetaling "+label+" "+care, "salary")
		add(month.AddDate(0, 0, 27), -1400.00, "J.P. de Vries", "NL12ASNB0123456789", "Spaarrekening", "savings")
	}
	periodEnd := from.AddDate(0, 12, -1)
	return obj{
		"odmVersion": "v3_2",
		"createdAt":  ref.Add(9*time.Hour + 12*time.Minute).Format(time.RFC3339),
		"source":     "Ockto (simulated)",
		"person": obj{
			"initials": "J.P.", "firstNames": "Jan Pieter", "surnamePrefix": "de", "surname": "Vries",
			"dateOfBirth": "1985-04-12", "gender": "male", "nationality": "NL", "bsnMasked": "*****1234",
			"address": obj{"street": "Keizersgracht", "houseNumber": 123, "houseNumberAddition": "A",
				"postalCode": "1015 CJ", "city": "Amsterdam", "country": "NL"},
			"maritalStatus": "married", "partner": nil,
		},
		"income": obj{
			"source":   "UWV Polisadministratie",
			"currency": "EUR",
			"employers": []any{
				obj{"name": employer, "payrollTaxNumber": "812345678L01", "employmentType": "permanent",
					"startDate": "2015-03-01", "endDate": nil, "hoursPerWeek": 32, "monthlyGrossSalary": 3450.00,
					"holidayAllowancePercentage": 8.0, "thirteenthMonth": false, "jobTitle": "Bedrijfsleider"},
				obj{"name": care, "payrollTaxNumber": "823456789L01", "employmentType": "temporary",
					"startDate": "2021-09-01", "endDate": day(ref.AddDate(0, 8, 0)), "hoursPerWeek": 12, "monthlyGrossSalary": 1280.50,
					"holidayAllowancePercentage": 8.0, "thirteenthMonth": true, "jobTitle": "Helpende Zorg en Welzijn"},
			},
			"totalMonthlyGross": 4730.50,
			"yearlyGross":       round2(4730.50 * 12 * 1.08),
		},
		"pension": obj{
			"upo": obj{
				"fund": "Pensioenfonds Zorg en Welzijn", "participantNumber": "PFZW-0012345",
				"referenceDate": fmt.Sprintf("%d-01-01", ref.Year()), "retirementDate": "2052-07-12",
				"retirementAge": "67 jaar en 3 maanden", "currency": "EUR",
				"accrued":   obj{"oldAgePensionYearly": 8123.00, "partnerPensionYearly": 5686.00, "orphanPensionYearly": 1137.00},
				"projected": obj{"oldAgePensionYearly": 21450.00, "partnerPensionYearly": 15015.00, "orphanPensionYearly": 3003.00},
			},
			"aow": obj{"startDate": "2052-07-12", "yearlyGrossEstimate": 15634.00},
		},
		"uwv": obj{
			"employmentHistory": []any{
				obj{"employer": "Hema B.V.", "payrollTaxNumber": "801234567L01", "from": "2008-08-01", "to": "2015-02-28",
					"type": "employment", "hoursPerWeek": 24, "averageMonthlyGross": 1850.00},
				obj{"employer": employer, "payrollTaxNumber": "812345678L01", "from": "2015-03-01", "to": nil,
					"type": "employment", "hoursPerWeek": 32, "averageMonthlyGross": 3450.00},
				obj{"employer": care, "payrollTaxNumber": "823456789L01", "from": "2021-09-01", "to": nil,
					"type": "employment", "hoursPerWeek": 12, "averageMonthlyGross": 1280.50},
			},
			"benefits": []any{},
		},
		"psd2": obj{
			"monthsIncluded": 12,
			"period":         obj{"from": day(from), "to": day(periodEnd)},
			"accounts": []any{obj{
				"iban": iban, "bank": "ABN AMRO", "bic": "ABNANL2A", "currency": "EUR", "ownerName": "J.P. de Vries",
				"balance":      obj{"amount": balance, "date": day(periodEnd)},
				"transactions": tx,
			}},
		},
	}
}

// happyConsents are AIS consents in the provider's shape: one active, one open, one historical.
func happyConsents(ref time.Time) []json.RawMessage {
	const iban = "NL91ABNA0417164300"
	access := obj{
		"accounts":     []any{obj{"currency": "EUR", "iban": iban}},
		"balances":     []any{obj{"currency": "EUR", "iban": iban}},
		"transactions": []any{obj{"currency": "EUR", "iban": iban}},
	}
	stamp := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
	rec := func(id, status, ais string, created, validUntil time.Time, services []any) json.RawMessage {
		consentedAt := any(stamp(created.Add(3 * time.Minute)))
		if status == "RECEIVED" {
			consentedAt = nil
		}
		return mustJSON(obj{
			"consentId":          id,
			"consentedServices":  services,
			"lastUpdated":        stamp(created.Add(3 * time.Minute)),
			"providerConsentId":  "abn-" + id,
			"validUntil":         day(validUntil),
			"created":            stamp(created),
			"frequencyPerDay":    4,
			"consentedAt":        consentedAt,
			"aisStatus":          ais,
			"recurringIndicator": true,
			"consentStatus":      status,
			"nearlyExpired":      status == "VALID" && validUntil.Sub(ref) < 14*24*time.Hour,
			"userId":             "user-jp-de-vries",
			"provider":           "ABN_AMRO",
			"options": obj{
				"transactions": obj{"dateFrom": day(created.AddDate(-1, 0, 0)), "dateTo": day(validUntil), "dateFormat": "yyyy-MM-dd"},
				"access":       access,
			},
			"region":      "NL",
			"type":        "AIS",
			"providerUrl": "https://www.abnamro.nl/psd2/consent",
		})
	}
	all := []any{"BALANCES", "TRANSACTIONS", "DETAILS"}
	return []json.RawMessage{
		rec("cns-0001", "VALID", "authorised", ref.AddDate(0, 0, -30).Add(10*time.Hour), ref.AddDate(0, 0, 150), all),
		rec("cns-0002", "RECEIVED", "initiated", ref.Add(-2*time.Hour), ref.AddDate(0, 0, 180), []any{"TRANSACTIONS"}),
		rec("cns-0000", "EXPIRED", "expired", ref.AddDate(0, -7, 0).Add(14*time.Hour), ref.AddDate(0, -1, 0), all),
	}
}
