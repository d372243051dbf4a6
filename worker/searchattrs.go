package worker

// This file depends only on the Temporal SDK and API modules (never on the
// Temporal server), so production code can use it against any Temporal.

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/renoflow/renoflow/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
)

// EnsureSearchAttributes registers in namespace every custom search attribute of attrs that is not registered yet, and fails if one exists with another type.
//
// It is idempotent and safe to call at every start, against the embedded dev
// server or an external Temporal.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string, attrs map[string]enumspb.IndexedValueType) error {
	if len(attrs) == 0 {
		return nil
	}
	for name, typ := range attrs {
		if name == "" {
			return fmt.Errorf("ensure search attributes: empty search attribute name")
		}
		if typ == enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED {
			return fmt.Errorf("ensure search attributes: search attribute %q has no type", name)
		}
	}

	missing, err := missingSearchAttributes(ctx, c, namespace, attrs)
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		return nil
	}

	_, addErr := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	if addErr == nil {
		return nil
	}
	// Another process may have added the same attributes meanwhile (the server
	// then answers AlreadyExists): accept that if everything is now in place.
	if still, err := missingSearchAttributes(ctx, c, namespace, attrs); err == nil && len(still) == 0 {
		return nil
	}
	return fmt.Errorf("add search attributes %s to namespace %q: %w", sortedNames(missing), namespace, addErr)
}

// missingSearchAttributes lists the custom search attributes of namespace and
// returns those of attrs that are absent; an attribute registered with a
// different type is an error.
func missingSearchAttributes(ctx context.Context, c client.Client, namespace string, attrs map[string]enumspb.IndexedValueType) (map[string]enumspb.IndexedValueType, error) {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list search attributes of namespace %q: %w", namespace, err)
	}
	missing := make(map[string]enumspb.IndexedValueType)
	for name, want := range attrs {
		got, ok := resp.GetCustomAttributes()[name]
		if !ok {
			got, ok = resp.GetSystemAttributes()[name]
		}
		switch {
		case !ok:
			missing[name] = want
		case got != want:
			return nil, fmt.Errorf("search attribute %q in namespace %q has type %s, want %s", name, namespace, got, want)
		}
	}
	return missing, nil
}

func sortedNames(m map[string]enumspb.IndexedValueType) string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// SearchAttributes is the set of custom search attributes the customer workflow sets
// (all Keyword), for EnsureSearchAttributes and the dev server's namespace.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	m := make(map[string]enumspb.IndexedValueType)
	for _, name := range workflows.SearchAttributeNames() {
		m[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	return m
}
