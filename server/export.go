package server

import (
	"fmt"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/xuri/excelize/v2"
)

// maxExportRows bounds one export (a sheet is at most 1,048,576 rows; a store has far fewer
// customers).
const maxExportRows = 100000

// xlsxTime is the Asia/Shanghai text of t for a sheet cell ("" for zero).
func xlsxTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(renoflow.Zone).Format(renoflow.TimeLayout)
}

// sendXLSX answers with a one-sheet workbook: a bold header row of Chinese titles, then
// rows; cells are written as given (strings, ints).
func sendXLSX(c *fiber.Ctx, filename, sheet string, header []string, rows [][]any) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	for i := range header {
		if err := sw.SetColWidth(i+1, i+1, 16); err != nil {
			return err
		}
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	for i, r := range rows {
		axis, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(axis, r); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="export.xlsx"; filename*=UTF-8''%s`, url.PathEscape(filename)))
	return f.Write(c.Response().BodyWriter())
}

// customerSheetHeader are the columns of a customer export.
var customerSheetHeader = []string{"姓名", "手机号", "性别", "小区", "阶段", "分级", "客户来源", "门店", "归属人", "设计师",
	"报备人", "报备时间", "待重新分配", "无效客户"}

// exportCustomers: GET /customers/export.xlsx?<the list's filter> — every customer the
// filter matches (not just the page), phones masked unless the role may see them.
func (s *Server) exportCustomers(c *fiber.Ctx) error {
	f, err := customerFilterOf(c)
	if err != nil {
		return err
	}
	f.Page, f.PerPage = 1, maxExportRows
	actor := actorOf(c)
	list, _, err := s.listCustomers(c.UserContext(), actor, f)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(list))
	yes := func(b bool) string {
		if b {
			return "是"
		}
		return ""
	}
	for _, r := range list {
		owner := r.OwnerName
		if owner == "" {
			owner = "公海"
		}
		rows = append(rows, []any{r.Name, renoflow.Phone(r.Phone).PhoneFor(actor), renoflow.Gender(r.Gender).Label(), r.Community,
			r.StageLabel, r.Grade, r.ChannelLabel, r.StoreName, owner, r.DesignerName, r.FiledByName, xlsxTime(r.FiledAt),
			yes(r.Flagged), yes(r.Invalid)})
	}
	return sendXLSX(c, "客户-"+s.now().In(renoflow.Zone).Format("20060102")+".xlsx", "客户", customerSheetHeader, rows)
}

// exportTasks: GET /tasks/export.xlsx?view= — the task list of a view.
func (s *Server) exportTasks(c *fiber.Ctx) error {
	actor := actorOf(c)
	tasks, err := s.listTasks(c.UserContext(), actor, c.Query("view", ViewTodo))
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(tasks))
	for _, t := range tasks {
		status := renoflow.TaskStatus(t.Status).Label()
		if t.Overdue {
			status = "已逾期"
		}
		var done string
		if !t.DoneAt.IsZero() {
			done = xlsxTime(t.DoneAt)
		}
		rows = append(rows, []any{t.Title, t.CustomerName, renoflow.Phone(t.CustomerPhone).PhoneFor(actor), xlsxTime(t.DueAt),
			status, t.DoneByName, done, t.Outcome, t.RuleTitle})
	}
	return sendXLSX(c, "任务-"+s.now().In(renoflow.Zone).Format("20060102")+".xlsx", "任务",
		[]string{"任务", "客户", "手机号", "截止时间", "状态", "办理人", "办理时间", "结果", "规则"}, rows)
}

// exportReport: GET /reports/export.xlsx?month=&store= — the monthly report, one row per
// store (and the total) with the month's and the year's figures.
func (s *Server) exportReport(c *fiber.Ctx) error {
	rep, err := s.monthlyReport(c.UserContext(), actorOf(c), c.Query("month"), c.Query("store"))
	if err != nil {
		return err
	}
	sections := rep.Stores
	if rep.Total != nil {
		sections = append([]*StoreReport{rep.Total}, sections...)
	}
	var rows [][]any
	for _, sr := range sections {
		for _, p := range []struct {
			label string
			f     ReportFigures
		}{{"本月", sr.ReportFigures}, {"年度累计", sr.Year}} {
			rows = append(rows, []any{sr.StoreName, p.label, p.f.StoreConsultations, p.f.PhoneEnquiries, p.f.Consultations,
				p.f.Contracts, p.f.PhoneContracts, p.f.AdvisorConsultations, p.f.AdvisorContracts,
				p.f.StoreSuccessRate.Percent(), p.f.PhoneSuccessRate.Percent(), p.f.AdvisorSuccessRate.Percent(), p.f.SuccessRate.Percent()})
		}
		rows = append(rows, []any{sr.StoreName, "逾期（截至 " + xlsxTime(rep.OverdueAt) + "）", "回访", sr.Overdue.Callbacks, "回访任务",
			sr.Overdue.Visits, "投诉", sr.Overdue.Complaints, "其他", sr.Overdue.Other})
		for _, ch := range sr.Channels {
			rows = append(rows, []any{sr.StoreName, "本月·" + ch.Label, "", "", ch.Consultations, ch.Contracts, "", "", "", "", "", "", ch.Rate.Percent()})
		}
		for _, fu := range sr.FollowUps {
			rows = append(rows, []any{sr.StoreName, "跟进考核·" + fu.Name, "客户", fu.Customers, "缺跟进", fu.Missing, "扣分", fu.Points, "得分", fu.Score})
		}
	}
	return sendXLSX(c, "月度报表-"+rep.Month+".xlsx", "月度报表 "+rep.Month,
		[]string{"门店", "期间", "到店咨询", "来电咨询", "征询总人数", "签约", "来电客户签约", "顾问引入咨询", "顾问签约",
			"店面成功率", "电话成功率", "顾问成功率", "成功率"}, rows)
}
