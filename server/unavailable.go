package server

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun/driver/pgdriver"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Messages of the 503 answers while a backing service is down (issue 9 "Outages").
const (
	msgDatabaseDown = "数据库暂时无法连接，请稍后重试（已提交的报备和操作不会丢失）"
	msgTemporalDown = "流程服务暂时无法连接，请稍后重试（已提交的报备和操作不会丢失）"
	msgTimeout      = "处理超时：系统繁忙或后台服务暂不可用，请稍后刷新查看是否已生效，再决定是否重试"
)

// unavailable classifies err as a backing service being down or too slow, the one place
// that decides which errors are a 503 rather than a 500: PostgreSQL refusing or dropping
// connections (network errors, SQLSTATE class 08, 57P01–57P03 shutdown/starting up,
// 53300 too many connections), Temporal unreachable (gRPC Unavailable, DeadlineExceeded,
// ResourceExhausted) and deadlines. It returns nil for any other error.
func unavailable(err error) *renoflow.Error {
	if err == nil {
		return nil
	}
	var pg pgdriver.Error
	if errors.As(err, &pg) {
		code := pg.Field('C')
		switch {
		case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03", code == "53300":
			return &renoflow.Error{Code: renoflow.CodeUnavailable, Message: msgDatabaseDown}
		case code == "57014": // statement cancelled (timeout)
			return &renoflow.Error{Code: renoflow.CodeUnavailable, Message: msgTimeout}
		}
		return nil
	}
	switch {
	case isTemporalDown(err):
		return &renoflow.Error{Code: renoflow.CodeUnavailable, Message: msgTemporalDown}
	case errors.Is(err, context.DeadlineExceeded):
		return &renoflow.Error{Code: renoflow.CodeUnavailable, Message: msgTimeout}
	case isConnectionError(err):
		return &renoflow.Error{Code: renoflow.CodeUnavailable, Message: msgDatabaseDown}
	}
	return nil
}

// isTemporalDown reports whether err is the Temporal frontend being unreachable or overloaded.
func isTemporalDown(err error) bool {
	var unav *serviceerror.Unavailable
	var dl *serviceerror.DeadlineExceeded
	var re *serviceerror.ResourceExhausted
	if errors.As(err, &unav) || errors.As(err, &dl) || errors.As(err, &re) {
		return true
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if st, ok := status.FromError(e); ok && st != nil {
			switch st.Code() {
			case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted:
				return true
			}
		}
	}
	return false
}

// isConnectionError reports whether err is a broken or refused network connection (to
// PostgreSQL: Temporal's come as gRPC statuses).
func isConnectionError(err error) bool {
	var ne net.Error
	var op *net.OpError
	return errors.As(err, &op) || errors.As(err, &ne) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, driver.ErrBadConn)
}
