// Package govtest drives a chain's governance committee from tests
// through the Go SDK, so that the same steps serve the node tests
// (in-process nodes) and the end-to-end tests (node processes), which
// both reach the chain over JSON-RPC: the admin key of an organisation of
// a chain built with `gobcos chain build` (OrgAdmin), the public key a
// node proposal names for a manifest's node id (NodeKey), the id of the
// proposal a transaction created (ProposalID), and a Committee whose
// governors pass a proposal: the first proposes, the others vote for it
// (Pass, ProposeNode). A failed step fails the test. It is imported by
// tests only.
package govtest
