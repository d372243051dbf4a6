package server

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
	"github.com/uptrace/bun"
)

// contentSecurityPolicy lets pages load only this site's stylesheet and scripts (the pages
// have no inline script or style), post forms only here, and never be framed.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the security headers of every response (issue 9 "Hostile
// requests"): CSP, no framing, no MIME sniffing, referrers only within the site, and
// HSTS when the request came over HTTPS.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set(fiber.HeaderXFrameOptions, "DENY")
	h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	h.Set(fiber.HeaderReferrerPolicy, "same-origin")
	if s.overTLS(c) {
		h.Set(fiber.HeaderStrictTransportSecurity, "max-age=31536000")
	}
	return c.Next()
}

// overTLS reports whether the browser reached us over HTTPS: the connection itself, or
// X-Forwarded-Proto: https from a proxy listed in Config.TrustedProxies (fiber's
// trusted-proxy check ignores the header from anyone else).
func (s *Server) overTLS(c *fiber.Ctx) bool { return c.Protocol() == "https" }

// secureCookies reports whether cookies of this response must be Secure: always with
// Config.SecureCookies, and automatically over HTTPS.
func (s *Server) secureCookies(c *fiber.Ctx) bool { return s.cfg.SecureCookies || s.overTLS(c) }

// trustedNets parses Config.TrustedProxies (addresses or CIDR ranges).
func trustedNets(list []string) []*net.IPNet {
	var out []*net.IPNet
	for _, p := range list {
		p = strings.TrimSpace(p)
		if !strings.Contains(p, "/") {
			if ip := net.ParseIP(p); ip != nil {
				bits := 8 * len(ip.To16())
				if ip.To4() != nil {
					ip, bits = ip.To4(), 32
				}
				out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			}
			continue
		}
		if _, n, err := net.ParseCIDR(p); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func (s *Server) trustedProxy(ip net.IP) bool {
	for _, n := range s.trusted {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// clientIP is the address the request came from: the peer, or behind trusted proxies
// the right-most address of X-Forwarded-For that is not one of them (the left part of
// the header is whatever the client wrote).
func (s *Server) clientIP(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP()
	if !s.trustedProxy(peer) {
		return peer.String()
	}
	addr := peer.String()
	parts := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(parts) - 1; i >= 0; i-- {
		ip := net.ParseIP(strings.TrimSpace(parts[i]))
		if ip == nil {
			break
		}
		addr = ip.String()
		if !s.trustedProxy(ip) {
			break
		}
	}
	return addr
}

// safeNext returns next when it is a path of this site ("/tasks?view=done"), else "":
// no scheme or host, no "//" or "/\" (which browsers read as another host), no
// backslash, no control character (a CR LF would start a header of its own).
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsRune(next, '\\') || renoflow.CheckText("next", next) != "" {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(u.Path, "//") {
		return ""
	}
	return next
}

// loginCSRFCookie holds the login form's CSRF token (double submit: the form carries
// the same value), so another site cannot sign a browser in to an account of its
// choosing.
const loginCSRFCookie = "renoflow_login_csrf"

// loginCSRF returns the browser's login-form token, handing it a new one when it has
// none.
func (s *Server) loginCSRF(c *fiber.Ctx) string {
	if v := c.Cookies(loginCSRFCookie); len(v) == 43 {
		return v
	}
	v := randomToken()
	c.Cookie(&fiber.Cookie{Name: loginCSRFCookie, Value: v, Path: "/login", HTTPOnly: true,
		Secure: s.secureCookies(c), SameSite: fiber.CookieSameSiteStrictMode})
	return v
}

// checkLoginCSRF reports whether a login form carries the token of the browser's cookie.
func checkLoginCSRF(c *fiber.Ctx) bool {
	cookie, sent := c.Cookies(loginCSRFCookie), c.FormValue(csrfField)
	return cookie != "" && subtle.ConstantTimeCompare([]byte(cookie), []byte(sent)) == 1
}

// LoginThrottle is the policy against password guessing (issue 9 "Hostile requests"):
// failed sign-ins count for Window; an account with PerAccount failures since its last
// success, or an address with PerIP failures, waits until the oldest of them leaves the
// window (429 with Retry-After). Attempts and refusals are in the audit log
// (auth_events). Defaults: 10 per account and 50 per address in 15 minutes.
type LoginThrottle struct {
	Window     time.Duration
	PerAccount int
	PerIP      int
}

// DefaultLoginThrottle is the throttle used when Config leaves it zero.
var DefaultLoginThrottle = LoginThrottle{Window: 15 * time.Minute, PerAccount: 10, PerIP: 50}

// codeThrottled is the code of a refused login that must wait.
const codeThrottled renoflow.ErrorCode = "throttled"

// throttled is a login refused until wait has passed.
type throttled struct{ wait time.Duration }

func (e *throttled) Error() string { return "login throttled for " + e.wait.String() }

// retryAfter is the wait in whole seconds, at least one.
func (e *throttled) retryAfter() int {
	n := int((e.wait + time.Second - 1) / time.Second)
	return max(n, 1)
}

// domain describes the refusal for people, the wait in Chinese.
func (e *throttled) domain() *renoflow.Error {
	n := e.retryAfter()
	wait := fmt.Sprintf("%d秒", n)
	if n > 60 {
		wait = fmt.Sprintf("%d分钟", (n+59)/60)
	}
	return &renoflow.Error{Code: codeThrottled, Message: "登录失败次数过多，请" + wait + "后再试",
		Data: map[string]any{"retry_after_seconds": n}}
}

// answer sets Retry-After and returns the error the handlers answer with (429).
func (e *throttled) answer(c *fiber.Ctx) error {
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(e.retryAfter()))
	return &statusError{status: fiber.StatusTooManyRequests, err: e.domain()}
}

// admitLogin decides under the throttle whether a sign-in may be checked: it records a
// pending attempt (counted as a failure until it resolves) and returns its audit row, or
// records the refusal and returns *throttled. Per-account and per-address advisory locks
// make concurrent attempts count one after another.
func (s *Server) admitLogin(ctx context.Context, login, ip string) (int64, error) {
	th := s.cfg.LoginThrottle
	now := s.now()
	var id int64
	var wait time.Duration
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := postgres.LockLoginThrottle(ctx, tx, login, ip); err != nil {
			return err
		}
		accountFails, ipFails, err := postgres.LoginFailures(ctx, tx, login, ip, now.Add(-th.Window))
		if err != nil {
			return err
		}
		for _, f := range []struct {
			at  []time.Time
			max int
		}{{accountFails, th.PerAccount}, {ipFails, th.PerIP}} {
			if len(f.at) >= f.max {
				wait = max(wait, f.at[len(f.at)-f.max].Add(th.Window).Sub(now))
			}
		}
		kind := postgres.AuthLoginPending
		if wait > 0 {
			kind = postgres.AuthLoginThrottled
		}
		id, err = postgres.AddAuthEvent(ctx, tx, postgres.AuthEvent{At: now, Kind: kind, Login: login, IP: ip})
		return err // the refusal too is kept
	})
	if err == nil && wait > 0 {
		return 0, &throttled{wait: wait}
	}
	return id, err
}

// resolveLogin records the outcome of an admitted sign-in.
func (s *Server) resolveLogin(ctx context.Context, id int64, staffID string, ok bool) {
	kind := postgres.AuthLoginFailed
	if ok {
		kind = postgres.AuthLoginOK
	}
	if err := postgres.ResolveAuthEvent(context.WithoutCancel(ctx), s.db, id, kind, staffID); err != nil {
		s.log.Error("record login outcome", "err", err)
	}
}
