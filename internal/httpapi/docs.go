package httpapi

import (
	"embed"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	swaggerfiles "github.com/swaggo/files/v2"

	"github.com/rapportlib/rapport/api"
)

// The contract is served as it is written in the repository: go generate copies openapi.yaml
// here (make check-generated keeps the copy fresh), and the binary embeds the copy.
//
//go:generate cp ../../openapi.yaml docs/openapi.yaml
//go:embed docs/index.html docs/init.js docs/openapi.yaml
var docsPages embed.FS

// specDocuments returns the spec as JSON (made from the spec oapi-codegen embeds) and as YAML,
// byte for byte the file of the repository.
func specDocuments() (jsonDoc, yamlDoc []byte, err error) {
	jsonDoc, err = api.GetSpecJSON()
	if err != nil {
		return nil, nil, fmt.Errorf("read embedded spec: %w", err)
	}
	yamlDoc, err = docsPages.ReadFile("docs/openapi.yaml")
	if err != nil {
		return nil, nil, fmt.Errorf("read embedded spec: %w", err)
	}
	return jsonDoc, yamlDoc, nil
}

// registerDocs serves the spec and the interactive docs (Swagger UI from files embedded in the
// binary: no CDN, nothing fetched from outside).
func registerDocs(e *echo.Echo, jsonDoc, yamlDoc []byte) {
	e.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/json", jsonDoc)
	})
	e.GET("/openapi.yaml", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", yamlDoc)
	})
	e.GET("/docs", func(c echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, "/docs/")
	})
	index, _ := docsPages.ReadFile("docs/index.html")
	initJS, _ := docsPages.ReadFile("docs/init.js")
	files := http.FileServerFS(swaggerfiles.FS)
	e.GET("/docs/*", func(c echo.Context) error {
		c.Response().Header().Set("Content-Security-Policy",
			"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'")
		c.Response().Header().Set("X-Content-Type-Options", "nosniff")
		name := c.Param("*")
		switch name {
		case "", "index.html":
			return c.Blob(http.StatusOK, "text/html; charset=utf-8", index)
		case "init.js":
			return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", initJS)
		case "swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
			"favicon-32x32.png", "favicon-16x16.png":
			c.Request().URL.Path = "/" + name
			files.ServeHTTP(c.Response(), c.Request())
			return nil
		}
		return echo.ErrNotFound
	})
}
