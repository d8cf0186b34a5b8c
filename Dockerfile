# Multi-stage build: a static binary on a distroless base, running as a non-root user.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/rapport ./cmd/rapport

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rapport /usr/local/bin/rapport
USER nonroot:nonroot
EXPOSE 8080
ENV RAPPORT_ADDR=:8080
ENTRYPOINT ["/usr/local/bin/rapport"]
CMD ["serve"]
