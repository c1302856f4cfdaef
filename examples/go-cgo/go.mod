module example.com/zsum

go 1.22
