package renoflow

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLimitTakeCheck(t *testing.T) {
	p := DefaultPolicy()
	p.OwnerCapacity, p.PoolDailyClaimLimit, p.MaxDepositCustomers = 2, 3, 3
	wang := Person{ID: "cm1", Name: "王经理"}
	tests := []struct {
		name  string
		take  LimitTake
		count int
		want  string // "" = allowed
	}{
		{"capacity below", p.Take(LimitOwnerCapacity, wang), 1, ""},
		{"capacity reached", p.Take(LimitOwnerCapacity, wang), 2, "王经理名下已有2位有效客户，达到库容上限2位"},
		{"capacity over", p.Take(LimitOwnerCapacity, wang), 5, "王经理名下已有5位有效客户，达到库容上限2位"},
		{"pool claims below", p.Take(LimitPoolDailyClaims, wang), 2, ""},
		{"pool claims reached", p.Take(LimitPoolDailyClaims, wang), 3, "王经理今日已认领3位公海客户，达到每日上限3位"},
		{"designer below", p.Take(LimitDesignerLoad, Person{ID: "d1", Name: "李设计"}), 2, ""},
		{"designer reached", p.Take(LimitDesignerLoad, Person{ID: "d1", Name: "李设计"}), 3, "设计师李设计已有3位交定金客户（上限3），暂不能派单"},
		{"counted only never refused", LimitTake{Limit: LimitDesignerLoad, Staff: wang, Max: 3, Counted: true}, 9, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.take.Check(tt.count)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, CodeConflict, ErrorCodeOf(err))
			require.Equal(t, tt.want, err.(*Error).Message)
		})
	}
}
