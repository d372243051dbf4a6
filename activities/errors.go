package activities

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun/driver/pgdriver"
	"go.temporal.io/sdk/temporal"
)

// ErrUnwritable is the type of the non-retryable error an activity fails with when its
// data can never be written: PostgreSQL refused it as a data exception (SQLSTATE class
// 22: invalid byte sequence, value too long, …) or an integrity violation (class 23:
// check, not-null, foreign key, unique), or it could not even be encoded. Retrying cannot
// help; every other error (connection refused, shutdown, timeout, serialisation) is
// retried without limit by the workflow's retry policy (issue 9).
const ErrUnwritable = "unwritable"

// sqlClasses names the SQLSTATE classes that make data unwritable.
var sqlClasses = map[string]string{"22": "数据异常", "23": "违反完整性约束"}

// sqlCodes names single SQLSTATEs that make data unwritable: bun writes values into the
// statement, so a NUL byte ends the statement early and PostgreSQL reports a syntax
// error (42601) — which retrying can never cure either.
var sqlCodes = map[string]string{"42601": "语句无法解析（数据含有非法字符）"}

// classify turns an error from writing b into ErrUnwritable when the data can never be
// written, and returns other errors unchanged (retryable). The message names only the
// SQLSTATE and its class, never the offending value.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var pg pgdriver.Error
	if errors.As(err, &pg) {
		code := pg.Field('C')
		if len(code) == 5 {
			class, ok := sqlClasses[code[:2]]
			if !ok {
				class, ok = sqlCodes[code]
			}
			if ok {
				return temporal.NewNonRetryableApplicationError(fmt.Sprintf("SQLSTATE %s（%s）", code, class), ErrUnwritable, err)
			}
		}
	}
	var enc *encodeError
	if errors.As(err, &enc) {
		return temporal.NewNonRetryableApplicationError("数据无法编码", ErrUnwritable, err)
	}
	var bad *badTextError
	if errors.As(err, &bad) {
		return temporal.NewNonRetryableApplicationError(bad.Error(), ErrUnwritable, err)
	}
	return err
}

// badTextError is text PostgreSQL can never store: a NUL byte or invalid UTF-8.
type badTextError struct{ what string }

func (e *badTextError) Error() string { return "文本含有" + e.what }

// checkText finds, in every string reachable from v, what PostgreSQL can never store
// as text: a NUL byte or invalid UTF-8. The edge refuses such text first; this is the
// second line, so a bug there fails one transition with an alert instead of retrying
// forever.
func checkText(v any) error {
	return walkText(reflect.ValueOf(v))
}

func walkText(v reflect.Value) error {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if strings.IndexByte(s, 0) >= 0 {
			return &badTextError{"空字符（NUL）"}
		}
		if !utf8.ValidString(s) {
			return &badTextError{"无效的 UTF-8 编码"}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return walkText(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				if err := walkText(v.Field(i)); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := walkText(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if err := walkText(it.Key()); err != nil {
				return err
			}
			if err := walkText(it.Value()); err != nil {
				return err
			}
		}
	}
	return nil
}

// IsUnwritable reports whether err (as a workflow sees an activity's failure) is
// ErrUnwritable, and returns its data-free reason.
func IsUnwritable(err error) (reason string, ok bool) {
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == ErrUnwritable {
		return app.Message(), true
	}
	return "", false
}

// encodeError is a value that could not be encoded for writing.
type encodeError struct{ err error }

func (e *encodeError) Error() string { return "encode: " + e.err.Error() }
func (e *encodeError) Unwrap() error { return e.err }
