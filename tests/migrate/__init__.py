"""Migration tests and their harness: two xends in two network namespaces."""
