package renoflow

import "testing"

func TestPermissions(t *testing.T) {
	tests := []struct {
		role Role
		p    Permission
		want bool
	}{
		{RoleSalesAdvisor, PermFile, true},
		{RoleSalesAdvisor, PermVerify, false},
		{RoleCustomerService, PermVerify, true},
		{RoleCustomerService, PermFile, false},
		{RoleCustomerManager, PermDispatchPropose, true},
		{RoleCustomerManager, PermDispatchConfirm, false},
		{RoleStoreManager, PermDispatchConfirm, true},
		{RoleSupervisor, PermDispatchConfirm, true},
		{RoleDesigner, PermDispatchRespond, true},
		{RoleCustomerManager, PermDispatchRespond, false},
		{RoleCustomerManager, PermInvalidPropose, true},
		{RoleCustomerManager, PermInvalidConfirm, false},
		{RoleStoreManager, PermInvalidConfirm, true},
		{RoleSupervisor, PermInvalidConfirm, false}, // only the store manager (SPEC.md step 12)
		{RoleStoreManager, PermReassign, true},
		{RoleAdmin, PermManageStaff, true},
		{RoleAdmin, PermFile, false},
		{Role("intern"), PermFile, false},
	}
	for _, tt := range tests {
		if got := (Actor{Role: tt.role}).Can(tt.p); got != tt.want {
			t.Errorf("%s can %s = %v, want %v", tt.role, tt.p, got, tt.want)
		}
	}
	if err := (Actor{Role: RoleDesigner}).Require(PermFile, "报备客户"); ErrorCodeOf(err) != CodeForbidden {
		t.Fatalf("Require = %v", err)
	}
}
