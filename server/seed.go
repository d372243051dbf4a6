package server

import (
	"context"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
)

// DemoPassword is the password of every demo account the dev command seeds.
const DemoPassword = "renoflow"

// DemoStaff lists the demo company's accounts: one person per role (SPEC.md "People").
var DemoStaff = []CreateStaffInput{
	{ID: "admin", Login: "admin", Name: "系统管理员", Role: renoflow.RoleAdmin},
	{ID: "sup1", Login: "sup1", Name: "孙总监", Role: renoflow.RoleSupervisor, StoreID: "s1", Stores: []string{"s1", "s2"}},
	{ID: "sm1", Login: "sm1", Name: "赵店长", Role: renoflow.RoleStoreManager, StoreID: "s1"},
	{ID: "cm1", Login: "cm1", Name: "张经理", Role: renoflow.RoleCustomerManager, StoreID: "s1"},
	{ID: "sa1", Login: "sa1", Name: "周顾问", Role: renoflow.RoleSalesAdvisor, StoreID: "s1"},
	{ID: "cs1", Login: "cs1", Name: "李客服", Role: renoflow.RoleCustomerService, StoreID: "s1", Lead: true},
	{ID: "d1", Login: "d1", Name: "吴设计", Role: renoflow.RoleDesigner, StoreID: "s1"},
	{ID: "sm2", Login: "sm2", Name: "钱店长", Role: renoflow.RoleStoreManager, StoreID: "s2"},
	{ID: "cm2", Login: "cm2", Name: "郑经理", Role: renoflow.RoleCustomerManager, StoreID: "s2"},
}

// SeedDemo creates the demo company (two stores, one person per role); idempotent.
func SeedDemo(ctx context.Context, db bun.IDB) error {
	for _, st := range [][2]string{{"s1", "旗舰店"}, {"s2", "城东店"}} {
		if err := CreateStore(ctx, db, st[0], st[1]); err != nil {
			return err
		}
	}
	for _, in := range DemoStaff {
		in.Password = DemoPassword
		if err := CreateStaff(ctx, db, in); err != nil {
			return err
		}
	}
	return nil
}
