// Package worker runs renoflow's workflows and activities on the task queue.
package worker

import (
	"github.com/renoflow/renoflow/activities"
	"github.com/renoflow/renoflow/workflows"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
)

// New returns a worker for the renoflow task queue with every workflow and activity
// registered. Start it with Run or Start; several may run at once on many machines.
func New(c client.Client, a *activities.Activities, opts sdkworker.Options) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, opts)
	Register(w, a)
	return w
}

// Register registers renoflow's workflows and activities on any registry (a worker, or a
// test environment).
func Register(r interface {
	RegisterWorkflow(w interface{})
	RegisterActivity(a interface{})
}, a *activities.Activities) {
	r.RegisterWorkflow(workflows.CustomerWorkflow)
	r.RegisterActivity(a)
}
