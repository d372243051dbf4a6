package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
)

// bodyField names the request body as a whole in field errors.
const bodyField = "body"

// decodeJSON reads the JSON API's request body strictly into v. Every problem is a 422
// naming the field by its JSON name ("house.area_m2", "days[2].name", never a Go name),
// and nothing is read further (checkJSONBody): a body that is not JSON (415 when the
// Content-Type is not application/json), not UTF-8, not one JSON value, or with a text
// that breaks its field's renoflow.TextRules; then a field of the wrong type or an
// unknown field.
func decodeJSON(c *fiber.Ctx, v any) error {
	return decodeBody(c.Get(fiber.HeaderContentType), c.Body(), v)
}

// decodeBody is decodeJSON on a body and its Content-Type (the fuzz targets call it).
func decodeBody(contentType string, body []byte, v any) error {
	body, err := checkBody(contentType, body)
	if err != nil {
		return err
	}
	return decodeStrict(body, v)
}

// decodeStrict decodes a checked body into v, refusing unknown fields and wrong types.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := jsonPathAt(body, te.Offset-1)
		return &renoflow.Error{Code: renoflow.CodeInvalid, Message: "请求数据类型有误",
			Fields: []renoflow.FieldError{{Field: field, Message: "类型有误（应为" + jsonKind(te.Type.Kind().String()) + "）"}}}
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		field := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		return &renoflow.Error{Code: renoflow.CodeInvalid, Message: "请求中有无法识别的字段",
			Fields: []renoflow.FieldError{{Field: field, Message: "不是可识别的字段"}}}
	}
	var de *renoflow.Error
	if errors.As(err, &de) {
		return de
	}
	return invalidBody("请求不是有效的 JSON：" + err.Error())
}

// checkJSONBody returns the request body once it is known to be one JSON value in UTF-8,
// sent as application/json, whose every text (object keys included) passes
// renoflow.CheckText under its JSON path. This is the one text rule of the JSON API: a
// new field of any input gets it without a line of its own.
func checkJSONBody(c *fiber.Ctx) ([]byte, error) {
	return checkBody(c.Get(fiber.HeaderContentType), c.Body())
}

// checkBody is checkJSONBody on a body and its Content-Type.
func checkBody(contentType string, body []byte) ([]byte, error) {
	if err := requireJSON(contentType); err != nil {
		return nil, err
	}
	if !utf8.Valid(body) {
		field := jsonPathAt(body, int64(firstInvalidUTF8(body)))
		return nil, &renoflow.Error{Code: renoflow.CodeInvalid, Message: "请求中的文字不是有效的 UTF-8 编码",
			Fields: []renoflow.FieldError{{Field: field, Message: "不是有效的 UTF-8 文本"}}}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, invalidBody("请求不是有效的 JSON：" + err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalidBody("请求在 JSON 之后还有多余的内容")
	}
	var p renoflow.Problems
	checkTree(&p, "", tree)
	if err := p.Err("输入的文字有误"); err != nil {
		return nil, err
	}
	return body, nil
}

// requireJSON refuses (415) a body the client did not send as application/json.
func requireJSON(contentType string) error {
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil && (mt == fiber.MIMEApplicationJSON || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return &statusError{status: fiber.StatusUnsupportedMediaType, err: &renoflow.Error{Code: renoflow.CodeInvalid,
		Message: "请求须为 JSON（Content-Type: application/json）",
		Fields:  []renoflow.FieldError{{Field: "Content-Type", Message: "须为 application/json"}}}}
}

// statusError is a domain error answered with a status of its own (415).
type statusError struct {
	status int
	err    *renoflow.Error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

func invalidBody(msg string) error {
	return &renoflow.Error{Code: renoflow.CodeInvalid, Message: msg,
		Fields: []renoflow.FieldError{{Field: bodyField, Message: msg}}}
}

// checkTree checks every text of a decoded JSON value under its path.
func checkTree(p *renoflow.Problems, path string, v any) {
	switch v := v.(type) {
	case string:
		field := path
		if field == "" {
			field = bodyField
		}
		if msg := renoflow.CheckText(field, v); msg != "" {
			p.Add(safeFieldName(field), msg)
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub := k
			if path != "" {
				sub = path + "." + k
			}
			if msg := renoflow.CheckText("", k); msg != "" {
				p.Add(safeFieldName(sub), "字段名"+msg)
				continue
			}
			checkTree(p, sub, v[k])
		}
	case []any:
		for i, x := range v {
			checkTree(p, path+"["+strconv.Itoa(i)+"]", x)
		}
	}
}

// safeFieldName makes a field name fit to be echoed back: valid UTF-8, no control
// characters, at most 100 characters.
func safeFieldName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if utf8.RuneCountInString(s) > 100 {
		s = string([]rune(s)[:100]) + "…"
	}
	return s
}

// firstInvalidUTF8 returns the offset of the first byte of b that is not UTF-8.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// jsonPathAt names the JSON value (or key) of body that holds the byte at offset off,
// as the API names fields ("house.community", "days[2].name"); "body" when off lies
// outside every value.
func jsonPathAt(body []byte, off int64) string {
	type frame struct {
		obj     bool
		key     string
		idx     int
		wantKey bool
	}
	var stack []*frame
	name := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.obj {
				if f.wantKey {
					break
				}
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else if f.idx >= 0 {
				fmt.Fprintf(&b, "[%d]", f.idx)
			}
		}
		if b.Len() == 0 {
			return bodyField
		}
		return safeFieldName(b.String())
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	beginValue := func() {
		if n := len(stack); n > 0 && !stack[n-1].obj {
			stack[n-1].idx++
		}
	}
	endValue := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].wantKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return name()
		}
		end := dec.InputOffset()
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				beginValue()
				if end > off {
					return name()
				}
				stack = append(stack, &frame{obj: t == '{', wantKey: t == '{', idx: -1})
			default:
				stack = stack[:len(stack)-1]
				endValue()
			}
		default:
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
				top := stack[n-1]
				top.key, _ = t.(string)
				top.wantKey = false
				if end > off {
					return name()
				}
				continue
			}
			beginValue()
			if end > off {
				return name()
			}
			endValue()
		}
	}
}

// checkInputText is the edge check of every query parameter and form field (and the
// Idempotency-Key header) of every request, before a handler reads any: each must pass
// renoflow.CheckText under its name, else 422 naming each bad one and nothing runs.
func checkInputText(c *fiber.Ctx) error {
	var p renoflow.Problems
	visit := func(k, v []byte) {
		key := string(k)
		if msg := renoflow.CheckText("", key); msg != "" {
			p.Add(safeFieldName(key), "参数名"+msg)
			return
		}
		if key == "next" {
			return // where to go after login: safeNext ignores a bad one
		}
		if !p.Has(key) {
			renoflow.CheckTextField(&p, key, string(v))
		}
	}
	c.Request().URI().QueryArgs().VisitAll(visit)
	switch ct := string(c.Request().Header.ContentType()); {
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		c.Request().PostArgs().VisitAll(visit)
	case strings.HasPrefix(ct, fiber.MIMEMultipartForm):
		if form, err := c.MultipartForm(); err == nil {
			for k, vs := range form.Value {
				for _, v := range vs {
					visit([]byte(k), []byte(v))
				}
			}
		}
	}
	if v := c.Request().Header.Peek("Idempotency-Key"); len(v) > 0 {
		renoflow.CheckTextField(&p, "Idempotency-Key", string(v))
	}
	if err := p.Err("输入的文字有误"); err != nil {
		return err
	}
	return c.Next()
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "文本"
	case "float64", "float32", "int", "int64", "int32":
		return "数字"
	case "bool":
		return "true/false"
	case "slice":
		return "数组"
	case "struct", "map":
		return "对象"
	}
	return k
}

// wantsHTML reports whether the request is for a web page rather than the JSON API.
func wantsHTML(c *fiber.Ctx) bool {
	p := c.Path()
	return !strings.HasPrefix(p, "/api/") && p != "/healthz"
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
