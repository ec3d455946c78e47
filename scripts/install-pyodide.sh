#!/usr/bin/env bash
# Installs Pyodide (CPython compiled to WebAssembly, from npm) for cod's Python engine
# (src/executor/python/pyodide_runner.mjs) into $COD_PYODIDE_DIR (default
# /usr/local/lib/cod/pyodide); the package ends up in $dir/node_modules/pyodide, which is what the
# runner's --pyodide takes. Idempotent: a second run costs one version check.
#
# Version: 314.0.8 (CPython 3.14.2), the newest release. It works on Node 20 fully offline from the
# npm package alone: the package ships the interpreter and the whole standard library (sqlite3,
# ssl, lzma, hashlib included, unlike 0.29.x, where they are separate wheels fetched from the CDN)
# but no third-party wheels. The npm package declares node >=18 for every version.
#
# After installing, the standard library is compiled to bytecode once (unchecked hash-based .pyc
# next to each .py, in python_stdlib_pyc.zip in the package folder): a job then starts in about
# 0.8-1.2 s instead of 2-2.7 s (2 cores), because Pyodide's zip holds only sources and nothing can
# cache their bytecode at run time (the folder is read-only to jobs). The file lives inside the package folder so that
# reinstalling the package drops it and this script rebuilds it for the new version.
set -euo pipefail

dir=${COD_PYODIDE_DIR:-/usr/local/lib/cod/pyodide}
version=314.0.8
pkg="$dir/node_modules/pyodide"

if [ -f "$pkg/python_stdlib_pyc.zip" ] && grep -q "\"version\": \"$version\"" "$pkg/package.json" 2>/dev/null; then
  exit 0
fi
for tool in npm node; do
  if ! command -v "$tool" >/dev/null; then
    echo "install-pyodide: $tool is missing (scripts/install-deps.sh installs it)" >&2
    exit 1
  fi
done
echo "install-pyodide: installing pyodide@$version into $dir"
umask 022 # the runner reads the files as an unprivileged user
mkdir -p "$dir"
cd "$dir"
cat >package.json <<JSON
{
  "name": "cod-pyodide",
  "private": true,
  "dependencies": {
    "pyodide": "$version"
  }
}
JSON
npm install --no-audit --no-fund --loglevel=error

# Build python_stdlib_pyc.zip with Pyodide itself (the bytecode must match its CPython), into a
# temporary file first so that an interrupted run leaves nothing the runner would pick up.
rm -f "$pkg/python_stdlib_pyc.zip" "$pkg/python_stdlib_pyc.zip.tmp"
env -i PKG="$pkg" "$(command -v node)" --no-warnings --input-type=module -e '
const pkg = process.env.PKG;
const { loadPyodide } = await import(pkg + "/pyodide.mjs");
const py = await loadPyodide({ indexURL: pkg + "/" });
py.FS.mkdirTree("/pkg");
py.FS.mount(py.FS.filesystems.NODEFS, { root: pkg }, "/pkg");
py.runPython(`
import _imp, importlib._bootstrap_external as bootstrap, sys, zipfile
src = f"/lib/python{sys.version_info[0]}{sys.version_info[1]}.zip"  # where Pyodide puts it
with (zipfile.ZipFile(src) as zin,
      zipfile.ZipFile("/pkg/python_stdlib_pyc.zip.tmp", "w", zipfile.ZIP_DEFLATED) as zout):
    for info in zin.infolist():
        data = zin.read(info)
        zout.writestr(info, data)
        if not info.filename.endswith(".py"):
            continue
        # The file name as zipimport would compile it, so tracebacks read the same.
        code = compile(data, f"{src}/{info.filename}", "exec", dont_inherit=True)
        pyc = bootstrap._code_to_hash_pyc(
            code, _imp.source_hash(_imp.pyc_magic_number_token, data), checked=False)
        pyc_info = zipfile.ZipInfo(info.filename + "c", info.date_time)
        pyc_info.compress_type = zipfile.ZIP_DEFLATED
        zout.writestr(pyc_info, pyc)
`);
'
chmod 644 "$pkg/python_stdlib_pyc.zip.tmp"
mv "$pkg/python_stdlib_pyc.zip.tmp" "$pkg/python_stdlib_pyc.zip"
