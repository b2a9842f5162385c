// Package fileutil holds small file helpers shared by the commands and
// packages that write keys, certificates and manifests.
package fileutil
