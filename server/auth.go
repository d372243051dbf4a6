package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
	"github.com/renoflow/renoflow/server/apiview"
	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"
)

// SessionCookie is the name of the login cookie; it holds a random token whose SHA-256
// is the key of the server-side session row.
const SessionCookie = "renoflow_session"

// csrfField is the form field (and X-CSRF-Token header) carrying the session's CSRF token.
const csrfField = "_csrf"

// session is a logged-in staff member.
type session struct {
	Actor renoflow.Actor
	CSRF  string
	Token string
}

// HashPassword hashes a password with bcrypt for the staff table.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// errBadLogin does not say which of login and password was wrong.
var errBadLogin = &renoflow.Error{Code: renoflow.CodeUnauthorized, Message: "账号或密码错误"}

// login checks a password and opens a session, under the login throttle (admitLogin):
// too many failures for the account or from ip answer *throttled without checking
// the password. Every attempt and its outcome is in the audit log (auth_events).
func (s *Server) login(ctx context.Context, login, password, ip string) (*session, error) {
	login = strings.TrimSpace(login)
	attempt, err := s.admitLogin(ctx, login, ip)
	if err != nil {
		return nil, err
	}
	row, err := postgres.StaffByLogin(ctx, s.db, login)
	if errors.Is(err, sql.ErrNoRows) {
		// Spend the same time as a real check, so logins cannot be probed by timing.
		_ = bcrypt.CompareHashAndPassword([]byte("$2a$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z5aOW4Ym5Fvf0e2m4e0W5n6."), []byte(password))
		s.resolveLogin(ctx, attempt, "", false)
		return nil, errBadLogin
	}
	if err != nil {
		return nil, err
	}
	if !row.Active || row.PasswordHash == "" || bcrypt.CompareHashAndPassword([]byte(row.PasswordHash), []byte(password)) != nil {
		s.resolveLogin(ctx, attempt, row.ID, false)
		return nil, errBadLogin
	}
	s.resolveLogin(ctx, attempt, row.ID, true)
	token, csrf := randomToken(), randomToken()
	if err := postgres.OpenSession(ctx, s.db, postgres.Session{TokenHash: tokenHash(token), StaffID: row.ID, CSRFToken: csrf,
		CreatedAt: s.now(), ExpiresAt: s.now().Add(s.cfg.SessionTTL)}); err != nil {
		return nil, err
	}
	actor, err := s.actor(ctx, row.ID)
	if err != nil {
		return nil, err
	}
	return &session{Actor: actor, CSRF: csrf, Token: token}, nil
}

// actor loads a staff member as an actor, with the stores a supervisor oversees.
func (s *Server) actor(ctx context.Context, id string) (renoflow.Actor, error) {
	m, err := postgres.ActiveStaff(ctx, s.db, id)
	if errors.Is(err, sql.ErrNoRows) {
		return renoflow.Actor{}, &renoflow.Error{Code: renoflow.CodeUnauthorized, Message: "账号已停用"}
	}
	if err != nil {
		return renoflow.Actor{}, err
	}
	return renoflow.Actor{ID: m.ID, Name: m.Name, Role: m.Role, StoreID: m.StoreID, Lead: m.Lead, Stores: m.Stores}, nil
}

// sessionFor resolves a token to its live session.
func (s *Server) sessionFor(ctx context.Context, token string) (*session, error) {
	if token == "" {
		return nil, nil
	}
	row, m, err := postgres.SessionActor(ctx, s.db, tokenHash(token), s.now())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !m.Active {
		return nil, &renoflow.Error{Code: renoflow.CodeUnauthorized, Message: "账号已停用"}
	}
	actor := renoflow.Actor{ID: m.ID, Name: m.Name, Role: m.Role, StoreID: m.StoreID, Lead: m.Lead, Stores: m.Stores}
	return &session{Actor: actor, CSRF: row.CSRFToken, Token: token}, nil
}

// logout ends a session.
func (s *Server) logout(ctx context.Context, token string) error {
	return postgres.EndSession(ctx, s.db, tokenHash(token))
}

// authenticate resolves the caller's session from the Authorization bearer token (API
// clients) or the session cookie (browsers). Cookie-authenticated requests that change
// something must carry the session's CSRF token (form field or X-CSRF-Token header).
func (s *Server) authenticate(c *fiber.Ctx) error {
	token, viaCookie := "", false
	if h := c.Get(fiber.HeaderAuthorization); strings.HasPrefix(h, "Bearer ") {
		token = strings.TrimPrefix(h, "Bearer ")
	} else if v := c.Cookies(SessionCookie); v != "" {
		token, viaCookie = v, true
	}
	sess, err := s.sessionFor(c.UserContext(), token)
	if err != nil {
		return err
	}
	if sess == nil {
		if wantsHTML(c) {
			return c.Redirect("/login?next="+urlQueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		return &renoflow.Error{Code: renoflow.CodeUnauthorized, Message: "请先登录"}
	}
	if viaCookie && c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		sent := c.Get("X-CSRF-Token")
		if sent == "" {
			sent = c.FormValue(csrfField)
		}
		if subtle.ConstantTimeCompare([]byte(sent), []byte(sess.CSRF)) != 1 {
			return &renoflow.Error{Code: renoflow.CodeForbidden, Message: "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试"}
		}
	}
	c.Locals("session", sess)
	return c.Next()
}

// sessionOf returns the authenticated session of the request.
func sessionOf(c *fiber.Ctx) *session {
	sess, _ := c.Locals("session").(*session)
	return sess
}

// actorOf returns the authenticated staff member of the request.
func actorOf(c *fiber.Ctx) renoflow.Actor {
	if sess := sessionOf(c); sess != nil {
		return sess.Actor
	}
	return renoflow.Actor{}
}

// setSessionCookie hands the browser its session token (Secure behind TLS).
func (s *Server) setSessionCookie(c *fiber.Ctx, token string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: token, Path: "/", HTTPOnly: true,
		Secure: s.secureCookies(c), SameSite: fiber.CookieSameSiteLaxMode, Expires: expires})
}

// apiLogin: POST /api/login {login, password} → the session token (also set as cookie)
// and the CSRF token for cookie-authenticated calls.
func (s *Server) apiLogin(c *fiber.Ctx) error {
	var in struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	sess, err := s.login(c.UserContext(), in.Login, in.Password, s.clientIP(c))
	var th *throttled
	if errors.As(err, &th) {
		return th.answer(c)
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(c, sess.Token, s.now().Add(s.cfg.SessionTTL))
	return c.JSON(apiview.Session{Token: sess.Token, CSRFToken: sess.CSRF, Staff: sess.Actor})
}

// apiLogout: POST /api/logout ends the session.
func (s *Server) apiLogout(c *fiber.Ctx) error {
	if err := s.logout(c.UserContext(), sessionOf(c).Token); err != nil {
		return err
	}
	c.ClearCookie(SessionCookie)
	return c.SendStatus(fiber.StatusNoContent)
}

// apiMe: GET /api/me → the logged-in staff member.
func (s *Server) apiMe(c *fiber.Ctx) error {
	return c.JSON(apiview.Me{Staff: actorOf(c), CSRFToken: sessionOf(c).CSRF})
}

// CreateStaffInput creates a staff account.
type CreateStaffInput struct {
	ID       string        `json:"id"`
	Login    string        `json:"login"`
	Name     string        `json:"name"`
	Role     renoflow.Role `json:"role"`
	StoreID  string        `json:"store_id"`
	Lead     bool          `json:"lead"`
	Password string        `json:"password"`
	Stores   []string      `json:"stores"` // for a supervisor
}

// CreateStaff stores a staff account (used by the demo seed and tests); it is idempotent
// by login.
func CreateStaff(ctx context.Context, db bun.IDB, in CreateStaffInput) error {
	hash, err := HashPassword(in.Password)
	if err != nil {
		return err
	}
	return postgres.EnsureStaff(ctx, db, newStaff(in, hash))
}

// CreateStore stores a store; idempotent by id.
func CreateStore(ctx context.Context, db bun.IDB, id, name string) error {
	return postgres.EnsureStore(ctx, db, id, name)
}
