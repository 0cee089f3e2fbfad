module github.com/readyctl/readyctl

go 1.26.8
