;; Imports the runner's Function constructor through the prototype chain of an import object, the
;; first step of getting JavaScript from a module. The runner must refuse it.
(module
  (import "constructor" "constructor" (func $f))
  (func (export "_start") (call $f)))
