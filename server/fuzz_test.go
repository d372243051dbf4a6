package server

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/renoflow/renoflow"
)

// requireEdgeError checks what the edge answers to a body it refuses: a domain error of
// code invalid naming at least one field, each name printable UTF-8 (it is echoed back).
func requireEdgeError(t *testing.T, err error) {
	t.Helper()
	var de *renoflow.Error
	if !errors.As(err, &de) {
		t.Fatalf("not a domain error: %T %v", err, err)
	}
	if de.Code != renoflow.CodeInvalid || de.Message == "" || len(de.Fields) == 0 {
		t.Fatalf("refusal without code, message or field: %+v", de)
	}
	for _, f := range de.Fields {
		if !utf8.ValidString(f.Field) || renoflow.CheckText("", f.Field) != "" {
			t.Fatalf("field name not fit to echo: %q", f.Field)
		}
	}
}

// requireWritable checks that every text of an accepted input would pass the edge again
// (no NUL, no control character, valid UTF-8, within its field's length): what the edge
// lets through can always be written.
func requireWritable(t *testing.T, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("accepted input does not encode: %v", err)
	}
	if _, err := checkBody("application/json", b); err != nil {
		t.Fatalf("accepted input %s fails the edge: %v", b, err)
	}
}

// FuzzFilingDecoder feeds arbitrary bodies to the filing's decoder and rules
// (POST /api/customers): it never panics, refuses with a 422 naming fields, and what it
// accepts is writable. Seeds: testdata/fuzz/FuzzFilingDecoder.
func FuzzFilingDecoder(f *testing.F) {
	f.Add([]byte(goodFiling))
	f.Add([]byte(filingWith(`"王先生"`, `"王\u0000先生"`)))
	f.Add([]byte(filingWith(`"王先生"`, "\"王\xff先生\"")))
	f.Add([]byte(goodFiling + "garbage"))
	f.Add([]byte(filingWith("2027-05-01", "0001-01-01")))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req FileRequest
		if err := decodeBody("application/json", body, &req); err != nil {
			requireEdgeError(t, err)
			return
		}
		rec, err := renoflow.ParseFiling(req.FilingInput)
		if err != nil {
			requireEdgeError(t, err)
			return
		}
		requireWritable(t, rec)
	})
}

// FuzzActionDecoder feeds arbitrary bodies to the decoder of every staff action
// (POST /api/customers/:id/<action>), the action chosen by the first byte: it never
// panics, refuses with a 422 naming fields, and what it accepts is writable. Seeds:
// testdata/fuzz/FuzzActionDecoder.
func FuzzActionDecoder(f *testing.F) {
	f.Add(uint8(1), []byte(`{"note":"客户到店"}`))
	f.Add(uint8(1), []byte(`{"note":"a\u0000b"}`))
	f.Add(uint8(3), []byte(`{"reached":true,"note":"已接通"}`))
	f.Add(uint8(12), []byte(`{"amount_yuan":5000}`))
	f.Add(uint8(19), []byte("{\"complaint_id\":\"K1\",\"satisfied\":true,\"note\":\"\xc3\"}"))
	f.Add(uint8(0), []byte(`{"note":"x"}{}`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		a := &actionSpecs[int(which)%len(actionSpecs)]
		in, err := decodeActionBody("application/json", body, a)
		if err != nil {
			requireEdgeError(t, err)
			return
		}
		requireWritable(t, in)
	})
}
