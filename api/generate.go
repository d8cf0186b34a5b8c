// Package api holds the code generated from openapi.yaml: the request and response types, the
// Echo strict server interface and the embedded spec. Nothing here is written by hand.
package api

//go:generate go tool oapi-codegen -config cfg.yaml ../openapi.yaml
