package server

import "github.com/renoflow/renoflow"

// The customer page offers each action only at the stages where it makes sense (SPEC.md
// "Lifecycle"), and only to whom it concerns; the workflow still decides, so an action
// offered here can be refused.

// inStage reports whether the customer is at one of the stages.
func inStage(c *renoflow.Customer, stages ...renoflow.Stage) bool {
	for _, s := range stages {
		if c.Stage == s {
			return true
		}
	}
	return false
}

// live reports whether the customer is still in the pipeline (not invalid, not archived).
func live(c *renoflow.Customer) bool {
	return c.Stage != renoflow.StageInvalid && c.Stage != renoflow.StageArchived
}

// Step 1: a new filing is verified once.
func offerVerify(c *renoflow.Customer, _ renoflow.Actor) bool {
	return c.VerifiedAt.IsZero() && c.Stage != renoflow.StageInvalid
}

// Step 2: a visit keeps the claim, or claims a customer from the public pool.
func offerStoreVisit(c *renoflow.Customer, _ renoflow.Actor) bool { return live(c) }

// Step 3: a customer in the pool is claimed by a visit, not by a phone call.
func offerPhoneEnquiry(c *renoflow.Customer, _ renoflow.Actor) bool {
	return live(c) && c.Stage != renoflow.StagePool
}

// Step 3: the open first call-back.
func offerCallback(c *renoflow.Customer, _ renoflow.Actor) bool {
	for _, cb := range c.Callbacks {
		if cb.Reached == nil {
			return true
		}
	}
	return false
}

// Step 4: pre-sale customers are followed up monthly by grade.
func offerPresale(c *renoflow.Customer, _ renoflow.Actor) bool {
	return inStage(c, renoflow.StagePresale, renoflow.StageDesign, renoflow.StageDeposit)
}

// Step 4: grades B–D are set by hand before the deposit (A comes with the deposit).
func offerGrade(c *renoflow.Customer, _ renoflow.Actor) bool {
	return inStage(c, renoflow.StagePresale, renoflow.StageDesign) && c.DepositAt.IsZero()
}

// Step 5: a pre-sale customer without a pending dispatch is dispatched (again, after a
// refusal or a return).
func offerDispatchPropose(c *renoflow.Customer, _ renoflow.Actor) bool {
	d := lastDispatch(c)
	return c.Stage == renoflow.StagePresale && (d == nil || d.Status == renoflow.DispatchRefused || d.Status == renoflow.DispatchReturned)
}

// Step 5: the store manager confirms a proposal, or late-signs (补签) one a supervisor
// authorised.
func offerDispatchConfirm(c *renoflow.Customer, _ renoflow.Actor) bool {
	d := lastDispatch(c)
	if d == nil {
		return false
	}
	return d.Status == renoflow.DispatchProposed ||
		(d.AuthorisedBySupervisor && d.LateSignedBy.ID == "" && (d.Status == renoflow.DispatchConfirmed || d.Status == renoflow.DispatchAccepted))
}

// Step 5: the designer a confirmed dispatch went to answers it.
func offerDispatchRespond(c *renoflow.Customer, a renoflow.Actor) bool {
	d := lastDispatch(c)
	return d != nil && d.Status == renoflow.DispatchConfirmed && d.Designer.ID == a.ID
}

// Step 6: the house is measured once, after a designer accepted.
func offerMeasure(c *renoflow.Customer, a renoflow.Actor) bool {
	return offerDesign(c, a) && c.MeasuredAt.IsZero()
}

// Step 6: design progress once a designer has the customer, recorded by that designer
// (or by the store's customer manager or store manager, who track it).
func offerDesign(c *renoflow.Customer, a renoflow.Actor) bool {
	return c.Designer.ID != "" && inStage(c, renoflow.StageDesign, renoflow.StageDeposit) &&
		(a.Role != renoflow.RoleDesigner || a.ID == c.Designer.ID)
}

// Step 7: the deposit comes during design.
func offerDeposit(c *renoflow.Customer, _ renoflow.Actor) bool {
	return c.Stage == renoflow.StageDesign
}

// Step 8: the contract follows the deposit.
func offerContract(c *renoflow.Customer, _ renoflow.Actor) bool {
	return c.Stage == renoflow.StageDeposit
}

// Step 9: inspections happen in order under construction.
func offerMilestone(c *renoflow.Customer, _ renoflow.Actor) bool {
	return c.Stage == renoflow.StageConstruction && c.NextMilestone() != ""
}

// Step 11: a complaint may come at any stage after filing.
func offerComplaintOpen(c *renoflow.Customer, _ renoflow.Actor) bool { return live(c) }

// Seed 004 重大投诉: any complaint not yet marked major may be marked so.
func offerComplaintMajor(c *renoflow.Customer, _ renoflow.Actor) bool {
	for _, k := range c.Complaints {
		if !k.Major {
			return true
		}
	}
	return false
}

// Seed 004 实际入住: after completion, until recorded.
func offerMovedIn(c *renoflow.Customer, _ renoflow.Actor) bool {
	return c.Stage == renoflow.StageAfterSales && c.MovedInAt.IsZero()
}

// Step 11: answering needs a complaint not yet answered.
func offerComplaintAnswer(c *renoflow.Customer, _ renoflow.Actor) bool {
	return len(complaintsIn(c, renoflow.ComplaintOpen)) > 0
}

// Step 11: resolving or reassigning needs a complaint not yet resolved.
func offerComplaintResolve(c *renoflow.Customer, _ renoflow.Actor) bool {
	return len(complaintsIn(c, renoflow.ComplaintOpen, renoflow.ComplaintAnswered)) > 0
}

// Step 11: closing needs a resolved complaint (closed when the customer is satisfied).
func offerComplaintClose(c *renoflow.Customer, _ renoflow.Actor) bool {
	return len(complaintsIn(c, renoflow.ComplaintResolved)) > 0
}

// Step 12: a customer manager proposes a live customer invalid, one proposal at a time.
func offerInvalidPropose(c *renoflow.Customer, _ renoflow.Actor) bool {
	return live(c) && c.InvalidProposal == nil
}

// Step 12: the store manager rules on a pending proposal.
func offerInvalidRule(c *renoflow.Customer, _ renoflow.Actor) bool { return c.InvalidProposal != nil }

// Step 2 "Disputed ownership": someone other than the owner claims an owned customer,
// one dispute at a time.
func offerDisputeOpen(c *renoflow.Customer, a renoflow.Actor) bool {
	return live(c) && c.Stage != renoflow.StagePool && c.Owner.ID != "" && c.Owner.ID != a.ID && openDispute(c) == nil
}

// Step 2 "Disputed ownership": the store manager rules on the open dispute.
func offerDisputeRule(c *renoflow.Customer, _ renoflow.Actor) bool { return openDispute(c) != nil }

// openDispute is the dispute waiting for a ruling, if any.
func openDispute(c *renoflow.Customer) *renoflow.Dispute {
	for i := range c.Disputes {
		if c.Disputes[i].Open() {
			return &c.Disputes[i]
		}
	}
	return nil
}

// Step 13 and the escalation ladder: a live customer may get a new owner.
func offerReassign(c *renoflow.Customer, _ renoflow.Actor) bool { return live(c) }

// lastDispatch is the customer's current dispatch, if any.
func lastDispatch(c *renoflow.Customer) *renoflow.Dispatch {
	if len(c.Dispatches) == 0 {
		return nil
	}
	return &c.Dispatches[len(c.Dispatches)-1]
}

// complaintsIn lists the customer's complaints in one of the statuses.
func complaintsIn(c *renoflow.Customer, statuses ...string) []renoflow.Complaint {
	var out []renoflow.Complaint
	for _, k := range c.Complaints {
		for _, s := range statuses {
			if k.Status == s {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// complaintsWithID lists the customer's complaint with the ID (none or one).
func complaintsWithID(c *renoflow.Customer, id string) []renoflow.Complaint {
	for _, k := range c.Complaints {
		if k.ID == id {
			return []renoflow.Complaint{k}
		}
	}
	return nil
}
