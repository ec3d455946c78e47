;; The same through a namespace that exists: Object.prototype.toString via wasi's import object.
(module
  (import "wasi_snapshot_preview1" "toString" (func $f))
  (func (export "_start") (call $f)))
