package renoflow

// Permission is something a staff member may do (SPEC.md "People (roles)"). The server
// checks it for API and pages alike; the customer workflow checks it again before it
// changes anything.
type Permission string

// The permissions of the role table.
const (
	PermFile            Permission = "file"             // 报备客户
	PermVerify          Permission = "verify"           // 核实报备
	PermStoreVisit      Permission = "store_visit"      // 登记到店（公海认领）
	PermPhoneEnquiry    Permission = "phone_enquiry"    // 登记来电咨询
	PermCallback        Permission = "callback"         // 首谈回访
	PermFollowUp        Permission = "follow_up"        // 月度跟进
	PermGrade           Permission = "grade"            // 客户分级
	PermDispatchPropose Permission = "dispatch_propose" // 提出派单
	PermDispatchConfirm Permission = "dispatch_confirm" // 确认派单（总监代签）
	PermDispatchRespond Permission = "dispatch_respond" // 设计师接单 / 拒单
	PermDesign          Permission = "design"           // 量房、方案进度
	PermDeposit         Permission = "deposit"          // 交定金
	PermContract        Permission = "contract"         // 签约
	PermMilestone       Permission = "milestone"        // 工程验收节点
	PermReturnVisit     Permission = "return_visit"     // 回访、售后回访
	PermComplaint       Permission = "complaint"        // 登记投诉
	PermComplaintHandle Permission = "complaint_handle" // 答复、解决投诉
	PermComplaintAssign Permission = "complaint_assign" // 改派投诉处理人
	PermInvalidPropose  Permission = "invalid_propose"  // 申请无效客户
	PermInvalidConfirm  Permission = "invalid_confirm"  // 确认无效客户
	PermReassign        Permission = "reassign"         // 重新分配归属人
	PermDispute         Permission = "dispute"          // 申请归属裁决（撞单）
	PermDisputeRule     Permission = "dispute_rule"     // 裁决归属争议
	PermAcknowledge     Permission = "acknowledge"      // 完成 / 已阅自己的任务
	PermManageStaff     Permission = "manage_staff"     // 员工与门店
	PermManagePolicy    Permission = "manage_policy"    // 策略与日历
	PermReports         Permission = "reports"          // 报表
)

var grants = map[Role][]Permission{
	RoleCustomerManager: {PermFile, PermStoreVisit, PermPhoneEnquiry, PermCallback, PermFollowUp, PermGrade,
		PermDispatchPropose, PermDesign, PermDeposit, PermContract, PermMilestone, PermComplaint, PermComplaintHandle,
		PermInvalidPropose, PermDispute, PermAcknowledge},
	RoleSalesAdvisor:    {PermFile, PermStoreVisit, PermDispute, PermAcknowledge},
	RoleCustomerService: {PermVerify, PermStoreVisit, PermPhoneEnquiry, PermCallback, PermReturnVisit, PermComplaint, PermComplaintHandle, PermAcknowledge},
	RoleStoreManager: {PermFile, PermVerify, PermStoreVisit, PermPhoneEnquiry, PermCallback, PermFollowUp, PermGrade,
		PermDispatchPropose, PermDispatchConfirm, PermDesign, PermDeposit, PermContract, PermMilestone, PermReturnVisit,
		PermComplaint, PermComplaintHandle, PermComplaintAssign, PermInvalidConfirm, PermReassign, PermDispute, PermDisputeRule,
		PermAcknowledge, PermReports},
	RoleDesigner: {PermDispatchRespond, PermDesign, PermComplaintHandle, PermAcknowledge},
	// A supervisor may do everything in their stores, but confirming a customer invalid
	// is the store manager's alone (SPEC.md step 12).
	RoleSupervisor: {PermFile, PermVerify, PermStoreVisit, PermPhoneEnquiry, PermCallback, PermFollowUp, PermGrade,
		PermDispatchPropose, PermDispatchConfirm, PermDesign, PermDeposit, PermContract, PermMilestone, PermReturnVisit,
		PermComplaint, PermComplaintHandle, PermComplaintAssign, PermReassign, PermDispute, PermDisputeRule, PermAcknowledge,
		PermReports},
	RoleAdmin: {PermManageStaff, PermManagePolicy, PermReports},
}

// Can reports whether the actor's role grants p.
func (a Actor) Can(p Permission) bool {
	for _, g := range grants[a.Role] {
		if g == p {
			return true
		}
	}
	return false
}

// Require returns a forbidden error naming the role when the actor lacks p.
func (a Actor) Require(p Permission, what string) error {
	if a.Can(p) {
		return nil
	}
	return Errorf(CodeForbidden, "%s不能%s", a.Role.Label(), what)
}
