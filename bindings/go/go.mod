// Not fetched from anywhere yet: use it with a replace directive pointing at
// a checkout (replace github.com/libimage/libimage/bindings/go => /path/to/libimage/bindings/go),
// or vendor the directory. Standard library only.
module github.com/libimage/libimage/bindings/go

go 1.19
