module github.com/acme/greenhouse-exporter

go 1.22
