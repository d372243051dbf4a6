package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

// SMS is one template SMS: the company's approved signature, the provider's approved
// template id and the template's named parameters.
type SMS struct {
	Phone      string
	Sign       string
	TemplateID string
	Params     map[string]string
	// ParamOrder lists the named parameters in the order the template numbers them
	// ({1}, {2} …) for providers with positional parameters; nil = sorted by name.
	ParamOrder []string
	// Key is the outbox business key (customer/key), passed to the provider as the
	// session context so that its records name the message.
	Key string
}

// SMSSender sends a template SMS; the answer is the provider's (serial number, code).
// A returned error is the provider's refusal or a transport error.
type SMSSender interface {
	SendSMS(ctx context.Context, m SMS) (answer string, err error)
}

// TencentSMS is Tencent Cloud SMS (API 2021-01-11 SendSms) through the official SDK's
// common client (github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common; the
// sms product module is not served by our module proxy, the common client speaks the
// same signed API). Endpoint overrides sms.tencentcloudapi.com (a test's fake server);
// Scheme is "HTTPS" unless set.
type TencentSMS struct {
	SecretID, SecretKey string
	SdkAppID            string
	Region              string // e.g. ap-guangzhou
	Endpoint            string
	Scheme              string
}

// SendSMS implements SMSSender.
func (t *TencentSMS) SendSMS(ctx context.Context, m SMS) (string, error) {
	prof := profile.NewClientProfile()
	if t.Endpoint != "" {
		prof.HttpProfile.Endpoint = t.Endpoint
	}
	if t.Scheme != "" {
		prof.HttpProfile.Scheme = t.Scheme
	}
	prof.HttpProfile.ReqTimeout = 10
	region := t.Region
	if region == "" {
		region = "ap-guangzhou"
	}
	client := common.NewCommonClient(common.NewCredential(t.SecretID, t.SecretKey), region, prof)
	req := tchttp.NewCommonRequest("sms", "2021-01-11", "SendSms")
	req.SetContext(ctx)
	phone := m.Phone
	if !strings.HasPrefix(phone, "+") {
		phone = "+86" + phone
	}
	if err := req.SetActionParameters(map[string]any{
		"PhoneNumberSet": []string{phone}, "SmsSdkAppId": t.SdkAppID, "SignName": m.Sign,
		"TemplateId": m.TemplateID, "TemplateParamSet": ordered(m.Params, m.ParamOrder), "SessionContext": m.Key,
	}); err != nil {
		return "", err
	}
	resp := tchttp.NewCommonResponse()
	if err := client.Send(req, resp); err != nil {
		var sdkErr *tcerr.TencentCloudSDKError
		if errors.As(err, &sdkErr) && sdkErr.GetCode() == "ClientError.NetworkError" {
			return "", inDoubt(err) // no answer: the SMS may have gone
		}
		return "", err
	}
	var body struct {
		Response struct {
			SendStatusSet []struct{ SerialNo, Code, Message string }
			RequestId     string
		}
	}
	if err := json.Unmarshal(resp.GetBody(), &body); err != nil {
		return "", fmt.Errorf("%w：短信服务应答无法解析", ErrInDoubt)
	}
	if len(body.Response.SendStatusSet) == 0 {
		return "", fmt.Errorf("短信服务未返回发送状态 (RequestId %s)", body.Response.RequestId)
	}
	st := body.Response.SendStatusSet[0]
	if !strings.EqualFold(st.Code, "Ok") {
		return "", fmt.Errorf("%s: %s", st.Code, st.Message)
	}
	return "Ok " + st.SerialNo, nil
}

func ordered(params map[string]string, order []string) []string {
	if order == nil {
		for k := range params {
			order = append(order, k)
		}
		sort.Strings(order)
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, params[k])
	}
	return out
}

// WeCom sends 企业微信 app messages (text) with the corp's app credentials. Plain HTTP
// (gettoken + message/send): github.com/silenceper/wechat/v2's work/message API hard-codes
// https://qyapi.weixin.qq.com in package constants and only lets a process-wide
// http.Client be swapped, so its endpoint cannot be pointed at a test server per client.
type WeCom struct {
	BaseURL string // default https://qyapi.weixin.qq.com
	CorpID  string
	Secret  string
	AgentID int
	Client  *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time
}

func (w *WeCom) base() string {
	if w.BaseURL != "" {
		return strings.TrimRight(w.BaseURL, "/")
	}
	return "https://qyapi.weixin.qq.com"
}

func (w *WeCom) client() *http.Client {
	if w.Client != nil {
		return w.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

type wecomAnswer struct {
	ErrCode     int    `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	MsgID       string `json:"msgid"`
	Invalid     string `json:"invaliduser"`
}

func (w *WeCom) accessToken(ctx context.Context, now time.Time) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.token != "" && now.Before(w.expires) {
		return w.token, nil
	}
	u := w.base() + "/cgi-bin/gettoken?corpid=" + url.QueryEscape(w.CorpID) + "&corpsecret=" + url.QueryEscape(w.Secret)
	var a wecomAnswer
	if err := doJSON(ctx, w.client(), http.MethodGet, u, nil, &a, false); err != nil {
		return "", err
	}
	if a.ErrCode != 0 {
		return "", fmt.Errorf("企业微信 gettoken %d: %s", a.ErrCode, a.ErrMsg)
	}
	w.token, w.expires = a.AccessToken, now.Add(time.Duration(a.ExpiresIn)*time.Second/2)
	return w.token, nil
}

// WeComDedupWindow is the duplicate check every app message asks for (the API's maximum
// duplicate_check_interval, 4 hours): 企业微信 drops a message of the same text to the same
// user within it, so a message whose first send may have gone through can be sent again.
const WeComDedupWindow = 4 * time.Hour

// DedupWindow implements Deduplicator.
func (w *WeCom) DedupWindow() time.Duration { return WeComDedupWindow }

// SendApp sends text to the WeCom user userID with the duplicate check on
// (WeComDedupWindow); the answer names the message id.
func (w *WeCom) SendApp(ctx context.Context, userID, text string) (string, error) {
	tok, err := w.accessToken(ctx, time.Now())
	if err != nil {
		return "", err
	}
	body := map[string]any{"touser": userID, "msgtype": "text", "agentid": w.AgentID, "text": map[string]string{"content": text},
		"enable_duplicate_check": 1, "duplicate_check_interval": int(WeComDedupWindow / time.Second)}
	var a wecomAnswer
	if err := doJSON(ctx, w.client(), http.MethodPost, w.base()+"/cgi-bin/message/send?access_token="+url.QueryEscape(tok), body, &a, true); err != nil {
		return "", err
	}
	if a.ErrCode == 42001 || a.ErrCode == 40014 { // token expired or invalid: fetch anew next attempt
		w.mu.Lock()
		w.token = ""
		w.mu.Unlock()
	}
	if a.ErrCode != 0 {
		return "", fmt.Errorf("企业微信 %d: %s", a.ErrCode, a.ErrMsg)
	}
	if a.Invalid != "" {
		return "", fmt.Errorf("企业微信账号无效: %s", a.Invalid)
	}
	return "ok msgid " + a.MsgID, nil
}

// Robot posts to a 企业微信 group robot webhook (plain HTTP).
type Robot struct {
	BaseURL string // default https://qyapi.weixin.qq.com
	Client  *http.Client
}

// SendRobot posts text to the robot whose webhook key is key.
func (r *Robot) SendRobot(ctx context.Context, key, text string) (string, error) {
	base := "https://qyapi.weixin.qq.com"
	if r.BaseURL != "" {
		base = strings.TrimRight(r.BaseURL, "/")
	}
	c := r.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	var a wecomAnswer
	body := map[string]any{"msgtype": "text", "text": map[string]string{"content": text}}
	if err := doJSON(ctx, c, http.MethodPost, base+"/cgi-bin/webhook/send?key="+url.QueryEscape(key), body, &a, true); err != nil {
		return "", err
	}
	if a.ErrCode != 0 {
		return "", fmt.Errorf("群机器人 %d: %s", a.ErrCode, a.ErrMsg)
	}
	return "ok", nil
}

// ErrInDoubt marks a send whose outcome is unknown: the request may have reached the
// provider (a timeout, a connection lost or an unreadable answer after it was sent), so
// sending it again may deliver it twice. A provider's refusal and a connection never made
// are not in doubt.
var ErrInDoubt = errors.New("结果未知")

// inDoubt wraps err with ErrInDoubt unless the connection was never made (dial, DNS).
func inDoubt(err error) error {
	var op *net.OpError
	var dns *net.DNSError
	if (errors.As(err, &op) && op.Op == "dial") || errors.As(err, &dns) {
		return err
	}
	return fmt.Errorf("%w：%v", ErrInDoubt, err)
}

// doJSON calls u and decodes the JSON answer; the error never repeats the URL (it holds
// credentials). For a call that carries a message (carries), an error after the request
// may have been received is ErrInDoubt.
func doJSON(ctx context.Context, c *http.Client, method, u string, body, out any, carries bool) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("请求无效")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s %s: %w", method, req.URL.Host, ue.Err)
		} else {
			err = fmt.Errorf("%s %s: 连接失败", method, req.URL.Host)
		}
		if carries {
			return inDoubt(err)
		}
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if err == nil {
		err = json.Unmarshal(raw, out)
	}
	if err != nil {
		if carries {
			return fmt.Errorf("%w：应答无法读取", ErrInDoubt)
		}
		return fmt.Errorf("应答无法解析")
	}
	return nil
}
