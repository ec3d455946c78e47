// cod's WASI runner: runs one WebAssembly module with Node's node:wasi (preview1), inside the
// sandbox the wasm executor builds (src/executor/wasm/README.md). The C++ side compiles this file
// into the binary and writes it where the sandbox mounts it.
//
//   node --no-warnings --no-turbo-fast-api-calls --wasm-max-mem-pages=N wasm_runner.mjs
//        [--sandbox ID] [--report-fd N] [--args-fd N]
//        --module GUEST_PATH --root HOST_DIR [--env K=V]... [--entry NAME] [--import PATH]...
//        -- ARGS...
//
// * --root: the folder that is the guest's "/" (preopened as "/"); module and import paths are
//   guest paths, resolved under it.
// * --import PATH: a module instantiated first and registered as an import namespace under PATH
//   (with and without a leading "/"), so the entry module can import its exports.
// * --entry: the export to call (default _start). A non-_start entry runs after
//   wasi.initialize() when the module has an _initialize export.
// * --sandbox: ignored here; it names the execution so that a restarted node can find runners it
//   left behind.
// Exit code: the WASI exit code, or the entry point's integer result for a non-_start entry;
// a trap prints "wasm trap: …" to stderr and exits 134; a runner error exits 125.
import { readFileSync, writeSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { join } from 'node:path';

const kRunnerError = 125;
const kTrap = 134;

let reportFd = -1;
function fail(message) {
  if (reportFd >= 0) writeSync(reportFd, message);
  process.stderr.write(`cod wasm runner: ${message}\n`);
  process.exit(kRunnerError);
}

// The engine passes the real arguments as a JSON array on an inherited file descriptor
// (--args-fd N), so that the task's environment and parameters never show on a command line that
// every user of the node can read, and takes the runner's own failure reasons on another
// (--report-fd N), which a guest cannot write to pretend to be the runner. Both come before the
// rest; --sandbox (the run's marker) stays on the command line.
function expandArgs(argv) {
  const out = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--args-fd' && i + 1 < argv.length) {
      out.push(...JSON.parse(readFileSync(Number(argv[++i]), 'utf8')));
    } else if (argv[i] === '--report-fd' && i + 1 < argv.length) {
      reportFd = Number(argv[++i]);
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}


function parseArgs(argv) {
  const opts = { env: {}, imports: [], entry: '_start', args: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--') {
      opts.args = argv.slice(i + 1);
      break;
    } else if (a === '--module') opts.module = value();
    else if (a === '--root') opts.root = value();
    else if (a === '--entry') opts.entry = value();
    else if (a === '--import') opts.imports.push(value());
    else if (a === '--sandbox') value();
    else if (a === '--env') {
      const kv = value();
      const eq = kv.indexOf('=');
      if (eq <= 0) fail(`--env ${kv}: expected K=V`);
      opts.env[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else fail(`unknown option ${a}`);
  }
  if (!opts.module || !opts.root) fail('--module and --root are required');
  return opts;
}

const opts = parseArgs(expandArgs(process.argv.slice(2)));
// Nothing after this point needs node's internals; a guest that got hold of JavaScript must not
// find them either (the engine also runs node with --disallow-code-generation-from-strings).
delete process.binding;
delete process._linkedBinding;
const hostPath = (guest) => join(opts.root, guest.replace(/^\/+/, ''));

function compile(guest) {
  try {
    return new WebAssembly.Module(readFileSync(hostPath(guest)));
  } catch (e) {
    fail(`${guest}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
}

const wasiOptions = {
  args: ['', ...opts.args],
  env: opts.env,
  preopens: { '/': opts.root },
  returnOnExit: true,
};
// Node 20 wants the preview1 version named and offers getImportObject(); Node 18 has neither.
if (process.versions.node.split('.')[0] >= 20) wasiOptions.version = 'preview1';
const wasi = new WASI(wasiOptions);
// No symlinks: uvwasi checks only the last element of a path, so a link made in an output folder
// and used as a directory (outputs/up/../../usr) walks out of the guest's folders.
const kErrnoPerm = 63;
const wasiImport = { ...wasi.wasiImport, path_symlink: () => kErrnoPerm };

// A proc_exit from a non-_start entry point must end the run with its code too; returnOnExit
// only turns it into a return value for start().
class ProcExit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}
// Import namespaces and their members are looked up as own properties of prototype-less objects
// only: a module must never reach Object.prototype, Function or anything else of the runner's
// JavaScript through an import named "constructor" or "__proto__".
const namespace = (members) => Object.assign(Object.create(null), members);
const imports = Object.create(null);
imports.wasi_snapshot_preview1 = namespace({
  ...wasiImport,
  proc_exit: (code) => {
    throw new ProcExit(code);
  },
});
const startImports = Object.create(null);
startImports.wasi_snapshot_preview1 = namespace(wasiImport);

function instantiate(module, importObject) {
  const needed = Object.create(null);
  for (const imp of WebAssembly.Module.imports(module)) {
    const ns = Object.hasOwn(importObject, imp.module) ? importObject[imp.module] : undefined;
    if (!ns || !Object.hasOwn(ns, imp.name)) {
      fail(`the module imports ${imp.module}.${imp.name}, which nothing provides ` +
           `(import modules: ${opts.imports.join(', ') || 'none'})`);
    }
    needed[imp.module] = ns;
  }
  return new WebAssembly.Instance(module, needed);
}

function trap(e) {
  if (e instanceof ProcExit) process.exit(e.code);
  if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) {
    process.stderr.write(`wasm trap: ${e.message}\n`);
    process.exit(kTrap);
  }
  fail(e.stack || String(e));
}

try {
  for (const path of opts.imports) {
    const instance = instantiate(compile(path), imports);
    const trimmed = path.replace(/^\/+/, '');
    const exports = namespace(instance.exports);
    imports[trimmed] = imports['/' + trimmed] = exports;
    startImports[trimmed] = startImports['/' + trimmed] = exports;
  }
  const module = compile(opts.module);
  if (opts.entry === '_start') {
    const instance = instantiate(module, startImports);
    if (typeof instance.exports._start !== 'function') fail(`${opts.module} exports no _start`);
    process.exitCode = wasi.start(instance) ?? 0;
  } else {
    const instance = instantiate(module, imports);
    const entry = Object.hasOwn(instance.exports, opts.entry) ? instance.exports[opts.entry] : null;
    if (typeof entry !== 'function') fail(`${opts.module} exports no function ${opts.entry}`);
    // initialize() refuses a module that also exports _start, so hand it only what it needs:
    // the memory WASI calls use, and the reactor's _initialize when there is one.
    const { memory, _initialize } = instance.exports;
    if (memory instanceof WebAssembly.Memory) {
      wasi.initialize({ exports: typeof _initialize === 'function' ? { memory, _initialize }
                                                                   : { memory } });
    }
    const result = entry();
    process.exitCode = Number.isInteger(result) ? result & 0xff : 0;
  }
} catch (e) {
  trap(e);
}
