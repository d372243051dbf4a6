package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
)

// decodeJSON reads the request body strictly: malformed JSON is a 400, a field of the
// wrong type or an unknown field is a 422 naming the field.
func decodeJSON(c *fiber.Ctx, v any) error {
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "body"
		}
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
	return fiber.NewError(fiber.StatusBadRequest, "请求不是有效的 JSON："+err.Error())
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

// bunIn wraps a list for an SQL IN clause.
func bunIn(v []string) any { return bun.In(v) }
